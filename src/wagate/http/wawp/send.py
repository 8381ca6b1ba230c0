"""Sending: text, seen receipts, typing, reactions and stars (Wawp §5)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from wagate.domain.messages import Presence
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import Bool, InstanceParams
from wagate.http.wawp.fields import (
    ChatId,
    ChatIdList,
    MessageId,
    MessageIdList,
    OptionalMessageId,
    message_key,
)
from wagate.services.messaging import MAX_TEXT_LENGTH

router = WawpRouter(tags=["Send messages"])

SEND_ERRORS = [409, 422, 502]
OK = {"success": True}


class SendTextParams(InstanceParams):
    chatId: ChatId = Field(
        description="`<number>@c.us`, `@g.us`, `@lid`, `@newsletter`, or a phone number."
    )
    message: str = Field(
        min_length=1, max_length=MAX_TEXT_LENGTH, description="The text (≤ 4096 characters)."
    )
    reply_to: OptionalMessageId = Field(None, description="Id of the message to quote.")
    mentions: ChatIdList = Field(
        default_factory=list, description="Chat ids of people mentioned in the text."
    )


class SendSeenParams(InstanceParams):
    chatId: ChatId = Field(description="The chat whose messages were read.")
    messageIds: MessageIdList = Field(
        min_length=1, description="Ids of the received messages to mark read."
    )
    participant: ChatId | None = Field(None, description="The sender, in a group.")


class ChatParams(InstanceParams):
    chatId: ChatId = Field(description="The chat.")


class ReactionParams(InstanceParams):
    messageId: MessageId = Field(description="The message to react to.")
    reaction: str = Field(
        max_length=32, description="An emoji; an empty string removes your reaction."
    )
    chatId: ChatId | None = Field(None, description="The chat (optional).")


class StarParams(InstanceParams):
    chatId: ChatId = Field(description="The chat.")
    messageId: MessageId = Field(description="The message to star or unstar.")
    star: Bool = Field(description="true to star, false to unstar.")


@router.wawp("/send", SendTextParams, methods=["POST"], summary="Send text", errors=SEND_ERRORS)
async def send_text(call: Call[SendTextParams]) -> dict[str, Any]:
    """Send a text message; returns the message object with its id."""
    p = call.params
    return await call.services.messaging.send_text(
        call.session.instance_id,
        p.chatId,
        p.message,
        reply_to=message_key(p.reply_to) if p.reply_to else None,
        mentions=p.mentions,
    )


@router.wawp("/sendSeen", SendSeenParams, methods=["POST"], summary="Mark seen", errors=SEND_ERRORS)
async def send_seen(call: Call[SendSeenParams]) -> dict[str, Any]:
    """Mark received messages as read; their sender sees the blue ticks."""
    p = call.params
    await call.services.messaging.mark_seen(
        call.session.instance_id,
        p.chatId,
        [message_key(m) for m in p.messageIds],
        participant=p.participant,
    )
    return OK


@router.wawp(
    "/startTyping", ChatParams, methods=["POST"], summary="Start typing", errors=SEND_ERRORS
)
async def start_typing(call: Call[ChatParams]) -> dict[str, Any]:
    """Show "typing…" in the chat."""
    await call.services.messaging.set_typing(
        call.session.instance_id, call.params.chatId, Presence.COMPOSING
    )
    return OK


@router.wawp("/stopTyping", ChatParams, methods=["POST"], summary="Stop typing", errors=SEND_ERRORS)
async def stop_typing(call: Call[ChatParams]) -> dict[str, Any]:
    """Stop showing "typing…" in the chat."""
    await call.services.messaging.set_typing(
        call.session.instance_id, call.params.chatId, Presence.PAUSED
    )
    return OK


@router.wawp("/reaction", ReactionParams, methods=["PUT"], summary="Reaction", errors=SEND_ERRORS)
async def reaction(call: Call[ReactionParams]) -> dict[str, Any]:
    """React to a message with an emoji, or remove your reaction with ``""``."""
    reaction_id = await call.services.messaging.react(
        call.session.instance_id, message_key(call.params.messageId), call.params.reaction
    )
    return {"success": True, "id": reaction_id}


@router.wawp(
    "/star", StarParams, methods=["PUT"], summary="Star / unstar", errors=[*SEND_ERRORS, 404]
)
async def star(call: Call[StarParams]) -> dict[str, Any]:
    """Star or unstar a message."""
    await call.services.messaging.star(
        call.session.instance_id, message_key(call.params.messageId), call.params.star
    )
    return OK
