"""Labels (WhatsApp Business; Wawp §13). ``labels/chats/{chatId}`` comes before
``labels/{labelId}``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from wagate.http.deps import Call, WawpRouter
from wagate.http.params import InstanceParams
from wagate.http.wawp.fields import ChatId
from wagate.services.labels import LabelService

router = WawpRouter(tags=["Labels"])

ERRORS = [409, 422, 502]


def _labels(call: Call[Any]) -> LabelService:
    return call.services.labels


def _label_ids(value: Any) -> Any:
    """``[{"id": "1"}]`` as Wawp sends them, or plain ids."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (str, int)):
        value = [value]
    if isinstance(value, list):
        return [str(item.get("id")) if isinstance(item, dict) else str(item) for item in value]
    return value


LabelIds = Annotated[list[str], BeforeValidator(_label_ids)]


class LabelParams(InstanceParams):
    name: str = Field(description="The label's name.")
    colorHex: str | None = Field(None, description="Its colour, `#rrggbb`.")
    color: int | None = Field(None, description="Or a palette index, 0–19 (see the docs).")


class LabelIdParams(InstanceParams):
    labelId: str = Field(description="The label's id, in the path.")


class UpdateParams(LabelParams, LabelIdParams):
    pass


class ChatParams(InstanceParams):
    chatId: ChatId = Field(description="The chat, in the path.")


class ChatLabelsParams(ChatParams):
    labels: LabelIds = Field(description='`[{"id": "1"}, {"id": "7"}]`: the chat\'s labels now.')


@router.wawp("/labels", InstanceParams, methods=["GET"], summary="Get labels", errors=ERRORS)
async def list_labels(call: Call[InstanceParams]) -> list[dict[str, Any]]:
    return [label.to_json() for label in await _labels(call).list(call.session.instance_id)]


@router.wawp("/labels", LabelParams, methods=["POST"], summary="Create label", errors=ERRORS)
async def create_label(call: Call[LabelParams]) -> dict[str, Any]:
    p = call.params
    label = await _labels(call).create(
        call.session.instance_id, p.name, color=p.color, color_hex=p.colorHex
    )
    return label.to_json()


@router.wawp(
    "/labels/chats/{chatId}", ChatParams, methods=["GET"], summary="Get chat labels", errors=ERRORS
)
async def chat_labels(call: Call[ChatParams]) -> list[dict[str, Any]]:
    found = await _labels(call).of_chat(call.session.instance_id, call.params.chatId)
    return [label.to_json() for label in found]


@router.wawp(
    "/labels/chats/{chatId}",
    ChatLabelsParams,
    methods=["PUT"],
    summary="Save chat labels",
    errors=[404, *ERRORS],
)
async def save_chat_labels(call: Call[ChatLabelsParams]) -> list[dict[str, Any]]:
    """Replace the chat's labels; answers them."""
    p = call.params
    found = await _labels(call).set_chat(call.session.instance_id, p.chatId, p.labels)
    return [label.to_json() for label in found]


@router.wawp(
    "/labels/{labelId}",
    UpdateParams,
    methods=["PUT"],
    summary="Update label",
    errors=[404, *ERRORS],
)
async def update_label(call: Call[UpdateParams]) -> dict[str, Any]:
    p = call.params
    label = await _labels(call).update(
        call.session.instance_id, p.labelId, p.name, color=p.color, color_hex=p.colorHex
    )
    return label.to_json()


@router.wawp(
    "/labels/{labelId}",
    LabelIdParams,
    methods=["DELETE"],
    summary="Delete label",
    errors=[404, *ERRORS],
)
async def delete_label(call: Call[LabelIdParams]) -> dict[str, Any]:
    await _labels(call).delete(call.session.instance_id, call.params.labelId)
    return {"success": True}


@router.wawp(
    "/labels/{labelId}/chats",
    LabelIdParams,
    methods=["GET"],
    summary="Get chats by label",
    errors=[404, *ERRORS],
)
async def label_chats(call: Call[LabelIdParams]) -> list[dict[str, Any]]:
    """The chats that carry the label (ids)."""
    chat_ids = await _labels(call).chats(call.session.instance_id, call.params.labelId)
    return [{"id": chat_id} for chat_id in chat_ids]
