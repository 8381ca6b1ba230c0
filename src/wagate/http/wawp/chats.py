"""Chats and their messages (Wawp §10)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BeforeValidator, Field

from wagate.domain.chats import Chat, ChatChange
from wagate.domain.messages import Ack, MessageKey
from wagate.events import payloads
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import Bool, InstanceParams
from wagate.http.wawp.fields import ChatId, ChatIdList
from wagate.services.chats import ChatService

router = WawpRouter(tags=["Chats"])

PIN_SECONDS = 86_400


def _chats(call: Call[Any]) -> ChatService:
    return call.services.chats


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _dotted(name: str) -> Any:
    """``filter.timestamp.lte`` as Wawp names it, or as PHP hands it over
    (``filter_timestamp_lte``)."""
    return AliasChoices(name, name.replace(".", "_"))


class ListChatsParams(InstanceParams):
    sortBy: Literal["id", "conversationTimestamp", "name"] = Field(
        "conversationTimestamp", description="id, conversationTimestamp or name."
    )
    sortOrder: Annotated[Literal["ASC", "DESC"], BeforeValidator(_upper)] = Field(
        "DESC", description="ASC or DESC."
    )
    limit: int = Field(50, ge=1, le=1000, description="How many chats at most.")
    offset: int = Field(0, ge=0, description="How many chats to skip.")


class OverviewParams(InstanceParams):
    limit: int = Field(50, ge=1, le=1000, description="How many chats at most.")
    offset: int = Field(0, ge=0, description="How many chats to skip.")
    ids: ChatIdList | None = Field(None, description="Only these chats.")


class ChatParams(InstanceParams):
    chatId: ChatId = Field(description="The chat, in the path (`@` may be `%40`).")


class PictureParams(ChatParams):
    refresh: Bool = Field(False, description="Accepted; the picture is always asked anew.")


class MessagesParams(ChatParams):
    limit: int = Field(50, ge=1, le=1000, description="How many messages at most.")
    offset: int = Field(0, ge=0, description="How many of the newest messages to skip.")
    downloadMedia: Bool = Field(
        False, description="Accepted; media are stored when they arrive and always linked."
    )
    timestamp_lte: int | None = Field(
        None,
        validation_alias=_dotted("filter.timestamp.lte"),
        serialization_alias="filter.timestamp.lte",
        description="Only messages at or before this time (seconds).",
    )
    timestamp_gte: int | None = Field(
        None,
        validation_alias=_dotted("filter.timestamp.gte"),
        serialization_alias="filter.timestamp.gte",
        description="Only messages at or after this time (seconds).",
    )
    from_me: Bool | None = Field(
        None,
        validation_alias=_dotted("filter.fromMe"),
        serialization_alias="filter.fromMe",
        description="Only the session's own (true) or only received (false) messages.",
    )
    ack: Ack | None = Field(
        None,
        validation_alias=_dotted("filter.ack"),
        serialization_alias="filter.ack",
        description="Only messages at this ack (-1 ERROR … 4 PLAYED).",
    )


class ReadParams(ChatParams):
    messages: int | None = Field(
        None, ge=1, le=1000, description="How many of the newest received messages to read."
    )
    days: int | None = Field(None, ge=1, le=3650, description="Only from the last N days.")


class MessageParams(ChatParams):
    messageId: str = Field(
        description="The message: its id (`true_<chatId>_<ID>`) or WhatsApp's own `<ID>`."
    )
    downloadMedia: Bool = Field(
        False, description="Accepted; media are stored when they arrive and always linked."
    )


class EditParams(MessageParams):
    text: str = Field(description="The new text.")
    linkPreview: Bool = Field(True, description="Accepted; edits carry no new preview.")
    linkPreviewHighQuality: Bool = Field(False, description="Accepted.")


class PinParams(MessageParams):
    duration: int = Field(
        PIN_SECONDS,
        ge=1,
        le=30 * PIN_SECONDS,
        description="Seconds to keep it pinned: 86400 (24 h), 604800 (7 days), 2592000 (30).",
    )


async def _key(call: Call[EditParams] | Call[PinParams] | Call[MessageParams]) -> MessageKey:
    p = call.params
    return await _chats(call).find(call.session.instance_id, p.chatId, p.messageId)


@router.wawp("/chats", ListChatsParams, methods=["GET", "POST"], summary="Get chats")
async def list_chats(call: Call[ListChatsParams]) -> list[dict[str, Any]]:
    """The session's chats from wagate's store, each with its newest message."""
    p = call.params
    chats = await _chats(call).list(
        call.session.instance_id,
        limit=p.limit,
        offset=p.offset,
        sort_by=p.sortBy,
        descending=p.sortOrder == "DESC",
    )
    return await _with_lids(call, [_chat(call, chat) for chat in chats])


@router.wawp(
    "/chats/overview", OverviewParams, methods=["GET", "POST"], summary="Get chats overview"
)
async def chats_overview(call: Call[OverviewParams]) -> list[dict[str, Any]]:
    """The newest chats in short: id, name, picture (`null`; see the picture route) and
    newest message."""
    p = call.params
    chats = await _chats(call).list(
        call.session.instance_id, limit=p.limit, offset=p.offset, ids=p.ids
    )
    overview = []
    for chat in chats:
        full = _chat(call, chat)
        last = full.pop("lastMessage")
        overview.append(
            {"id": chat.id, "name": chat.name, "picture": None, "lastMessage": last, "_chat": full}
        )
    return await _with_lids(call, overview)


@router.wawp(
    "/chats/{chatId}", ChatParams, methods=["DELETE"], summary="Delete chat", errors=[409, 422, 502]
)
async def delete_chat(call: Call[ChatParams]) -> dict[str, Any]:
    """Delete the chat on the account's devices and its messages in wagate's store."""
    await _chats(call).delete(call.session.instance_id, call.params.chatId)
    return {"success": True}


@router.wawp(
    "/chats/{chatId}/picture",
    PictureParams,
    methods=["GET"],
    summary="Get chat picture",
    errors=[409, 422, 502],
)
async def chat_picture(call: Call[PictureParams]) -> dict[str, Any]:
    """The URL of the contact's or group's picture (`null` when it has none or hides it)."""
    url = await _chats(call).picture(call.session.instance_id, call.params.chatId)
    return {"url": url}


@router.wawp(
    "/chats/{chatId}/messages", MessagesParams, methods=["GET"], summary="Get messages in chat"
)
async def chat_messages(call: Call[MessagesParams]) -> list[dict[str, Any]]:
    """The chat's messages from wagate's store, newest first."""
    p = call.params
    found = await _chats(call).messages(
        call.session.instance_id,
        p.chatId,
        limit=p.limit,
        offset=p.offset,
        since=p.timestamp_gte,
        until=p.timestamp_lte,
        from_me=p.from_me,
        ack=p.ack,
    )
    await call.services.lids.fill(call.session, found)
    return found


@router.wawp(
    "/chats/{chatId}/messages", ChatParams, methods=["DELETE"], summary="Clear all messages"
)
async def clear_messages(call: Call[ChatParams]) -> dict[str, Any]:
    """Delete the chat's messages from wagate's store (not from WhatsApp)."""
    deleted = await _chats(call).clear(call.session.instance_id, call.params.chatId)
    return {"success": True, "deleted": deleted}


@router.wawp(
    "/chats/{chatId}/messages/read",
    ReadParams,
    methods=["POST"],
    summary="Read unread messages",
    errors=[409, 502],
)
async def read_messages(call: Call[ReadParams]) -> dict[str, Any]:
    """Mark the chat's newest received messages as read; their senders see READ."""
    p = call.params
    ids = await _chats(call).read(call.session.instance_id, p.chatId, count=p.messages, days=p.days)
    return {"success": True, "ids": ids}


@router.wawp(
    "/chats/{chatId}/messages/{messageId}",
    MessageParams,
    methods=["GET", "POST"],
    summary="Get message by id",
    errors=[404],
)
async def get_message(call: Call[MessageParams]) -> dict[str, Any]:
    """One stored message of the chat."""
    chats = _chats(call)
    message = await chats.message(call.session.instance_id, call.params.chatId, await _key(call))
    found = call.services.messaging.message_object(call.session.instance_id, message)
    await call.services.lids.fill(call.session, [found])
    return found


@router.wawp(
    "/chats/{chatId}/messages/{messageId}",
    MessageParams,
    methods=["DELETE"],
    summary="Delete message",
    errors=[404, 409, 502],
)
async def delete_message(call: Call[MessageParams]) -> dict[str, Any]:
    """Delete a message for everyone (ours; a member's in a group where we are admin)."""
    p = call.params
    await _chats(call).delete_message(call.session.instance_id, p.chatId, await _key(call))
    return {"success": True}


@router.wawp(
    "/chats/{chatId}/messages/{messageId}",
    EditParams,
    methods=["PUT"],
    summary="Edit message",
    errors=[404, 409, 502],
)
async def edit_message(call: Call[EditParams]) -> dict[str, Any]:
    """Replace the text of a message the session sent; returns the message."""
    p = call.params
    return await _chats(call).edit_message(
        call.session.instance_id, p.chatId, await _key(call), p.text
    )


@router.wawp(
    "/chats/{chatId}/messages/{messageId}/pin",
    PinParams,
    methods=["POST"],
    summary="Pin message",
    errors=[404, 409, 502],
)
async def pin_message(call: Call[PinParams]) -> dict[str, Any]:
    """Pin a message in its chat for `duration` seconds."""
    p = call.params
    await _chats(call).pin(call.session.instance_id, p.chatId, await _key(call), p.duration)
    return {"success": True}


@router.wawp(
    "/chats/{chatId}/messages/{messageId}/unpin",
    MessageParams,
    methods=["POST"],
    summary="Unpin message",
    errors=[404, 409, 502],
)
async def unpin_message(call: Call[MessageParams]) -> dict[str, Any]:
    p = call.params
    await _chats(call).pin(call.session.instance_id, p.chatId, await _key(call), 0)
    return {"success": True}


async def _change(call: Call[ChatParams], change: ChatChange) -> dict[str, Any]:
    await _chats(call).change(call.session.instance_id, call.params.chatId, change)
    return {"success": True}


@router.wawp(
    "/chats/{chatId}/archive",
    ChatParams,
    methods=["POST"],
    summary="Archive chat",
    errors=[409, 422, 502],
)
async def archive_chat(call: Call[ChatParams]) -> dict[str, Any]:
    return await _change(call, ChatChange.ARCHIVE)


@router.wawp(
    "/chats/{chatId}/unarchive",
    ChatParams,
    methods=["POST"],
    summary="Unarchive chat",
    errors=[409, 422, 502],
)
async def unarchive_chat(call: Call[ChatParams]) -> dict[str, Any]:
    return await _change(call, ChatChange.UNARCHIVE)


@router.wawp(
    "/chats/{chatId}/unread",
    ChatParams,
    methods=["POST"],
    summary="Mark chat unread",
    errors=[409, 422, 502],
)
async def unread_chat(call: Call[ChatParams]) -> dict[str, Any]:
    return await _change(call, ChatChange.UNREAD)


async def _with_lids(call: Call[Any], chats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chats whose newest messages name people by phone id and lid."""
    last = [chat["lastMessage"] for chat in chats if chat["lastMessage"] is not None]
    await call.services.lids.fill(call.session, last)
    return chats


def _chat(call: Call[Any], chat: Chat) -> dict[str, Any]:
    last = chat.last_message
    obj = (
        call.services.messaging.message_object(call.session.instance_id, last)
        if last is not None
        else None
    )
    return payloads.chat(chat, last_message=obj)
