"""Presence: set the session's, read a chat's (Wawp §8)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from wagate.domain.messages import Presence
from wagate.errors import InvalidParamError
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import InstanceParams
from wagate.http.wawp.fields import ChatId

router = WawpRouter(tags=["Presence"])

# Both vocabularies clients use: WAHA's and WhatsApp's own.
PRESENCES: dict[str, Presence] = {
    "online": Presence.AVAILABLE,
    "available": Presence.AVAILABLE,
    "offline": Presence.UNAVAILABLE,
    "unavailable": Presence.UNAVAILABLE,
    "typing": Presence.COMPOSING,
    "composing": Presence.COMPOSING,
    "recording": Presence.RECORDING,
    "paused": Presence.PAUSED,
}


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


PresenceName = Literal[
    "online", "available", "offline", "unavailable", "typing", "composing", "recording", "paused"
]


class SetPresenceParams(InstanceParams):
    presence: Annotated[PresenceName, BeforeValidator(_lower)] = Field(
        description="online/offline for the account; typing (composing), recording or paused "
        "in `chatId`."
    )
    chatId: ChatId | None = Field(
        None, description="The chat of a typing, recording or paused state."
    )


class GetPresenceParams(InstanceParams):
    chatId: ChatId = Field(description="The chat, URL-encoded in the path.")


@router.wawp(
    "/presence", SetPresenceParams, methods=["POST"], summary="Set presence", errors=[409, 502]
)
async def set_presence(call: Call[SetPresenceParams]) -> dict[str, Any]:
    """Appear online or offline, or show typing/recording in a chat."""
    presence = PRESENCES[call.params.presence]
    chat_id = call.params.chatId
    if presence not in (Presence.AVAILABLE, Presence.UNAVAILABLE) and chat_id is None:
        raise InvalidParamError(
            f"Invalid parameter chatId: presence {call.params.presence} needs a chatId",
            param="chatId",
        )
    await call.services.messaging.set_presence(call.session.instance_id, presence, chat_id)
    return {"success": True}


@router.wawp(
    "/presence/{chatId}",
    GetPresenceParams,
    methods=["GET"],
    summary="Get presence for chat",
    errors=[409, 502],
)
async def get_presence(call: Call[GetPresenceParams]) -> dict[str, Any]:
    """The last known presence of the chat's members."""
    found = await call.services.messaging.get_presence(call.session.instance_id, call.params.chatId)
    return {
        "id": call.params.chatId,
        "presences": [
            {
                "participant": p.sender,
                "lastKnownPresence": p.presence.value,
                "lastSeen": p.last_seen,
            }
            for p in found
        ],
    }
