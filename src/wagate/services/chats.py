"""Chats: the session's conversations from the store, and what can be done to them and
to their messages (delete for everyone, edit, pin, read, archive…) through the engine.

Reads come from wagate's store and work in any status. Changes go to WhatsApp first
(the session must be WORKING) and reach the store only once the engine accepted them.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from wagate.domain.chats import Chat, ChatChange
from wagate.domain.messages import Ack, Message, MessageKey
from wagate.errors import InvalidParamError, NotFoundError
from wagate.events import payloads
from wagate.events.pipeline import EventPipeline
from wagate.services.messaging import MessagingService
from wagate.services.sessions import SessionService
from wagate.store.repositories.chats import ChatRepository
from wagate.store.repositories.messages import MessageRepository

MAX_TEXT_LENGTH = 4096
DAY_SECONDS = 86_400


class ChatService:
    def __init__(
        self,
        sessions: SessionService,
        chats: ChatRepository,
        messages: MessageRepository,
        messaging: MessagingService,
        pipeline: EventPipeline,
    ) -> None:
        self._sessions = sessions
        self._chats = chats
        self._messages = messages
        self._messaging = messaging
        self._pipeline = pipeline

    # --- reading ------------------------------------------------------------------

    async def list(
        self,
        instance_id: str,
        *,
        limit: int,
        offset: int,
        sort_by: str = "conversationTimestamp",
        descending: bool = True,
        ids: Sequence[str] | None = None,
    ) -> list[Chat]:
        """The session's chats, each with its newest message."""
        found = await self._chats.list(
            instance_id, limit=limit, offset=offset, sort_by=sort_by, descending=descending, ids=ids
        )
        last = await self._messages.last_of(instance_id, [chat.id for chat in found])
        return [replace(chat, last_message=last.get(chat.id)) for chat in found]

    async def messages(
        self,
        instance_id: str,
        chat_id: str,
        *,
        limit: int,
        offset: int,
        since: int | None = None,
        until: int | None = None,
        from_me: bool | None = None,
        ack: Ack | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """The chat's stored messages, newest first, as message objects."""
        found = await self._messages.list_chat(
            instance_id,
            chat_id,
            limit=limit,
            offset=offset,
            since=since,
            until=until,
            from_me=from_me,
            ack=ack,
        )
        return [self._messaging.message_object(instance_id, message) for message in found]

    async def find(self, instance_id: str, chat_id: str, message_id: str) -> MessageKey:
        """A message of the chat by its id (``true_<chatId>_<ID>``) or by WhatsApp's own
        ``<ID>`` (looked up among the stored messages); 404 when there is none."""
        try:
            key = MessageKey.parse(message_id)
        except ValueError:
            for from_me in (True, False):
                key = MessageKey(chat_id=chat_id, id=message_id, from_me=from_me)
                if await self._messages.get(instance_id, key) is not None:
                    return key
            raise NotFoundError(f"No message {message_id} in chat {chat_id}") from None
        return key

    async def message(self, instance_id: str, chat_id: str, key: MessageKey) -> Message:
        """A stored message of the chat; 404 when the store does not have it there."""
        message = await self._messages.get(instance_id, key) if key.chat_id == chat_id else None
        if message is None:
            raise NotFoundError(f"No message {key.serialized} in chat {chat_id}")
        return message

    # --- changing messages ----------------------------------------------------------

    async def delete_message(self, instance_id: str, chat_id: str, key: MessageKey) -> None:
        """Delete a message for everyone; the store keeps it as revoked."""
        message = await self.message(instance_id, chat_id, key)
        session, engine = await self._sessions.working_engine_session(instance_id)
        await engine.revoke(key, author=None if key.from_me else message.participant)

        async def write(conn: AsyncConnection) -> None:
            await self._messages.set_revoked(conn, instance_id, key)

        await self._pipeline.publish(session, [], write=write)

    async def edit_message(
        self, instance_id: str, chat_id: str, key: MessageKey, text: str
    ) -> dict[str, Any]:
        """Replace the text of one of our messages; returns the edited message object."""
        if not text.strip():
            raise InvalidParamError("Invalid parameter text: the new text is empty", param="text")
        if len(text) > MAX_TEXT_LENGTH:
            raise InvalidParamError(
                f"Invalid parameter text: longer than {MAX_TEXT_LENGTH} characters", param="text"
            )
        message = await self.message(instance_id, chat_id, key)
        if not key.from_me:
            raise InvalidParamError(
                "Only messages the session sent can be edited", id=key.serialized
            )
        if message.revoked:
            raise InvalidParamError("A deleted message cannot be edited", id=key.serialized)
        session, engine = await self._sessions.working_engine_session(instance_id)
        await engine.edit(key, text)

        async def write(conn: AsyncConnection) -> None:
            await self._messages.set_body(conn, instance_id, key, text)

        await self._pipeline.publish(session, [], write=write)
        return self._messaging.message_object(instance_id, replace(message, body=text))

    async def pin(self, instance_id: str, chat_id: str, key: MessageKey, seconds: int) -> None:
        """Pin a message for ``seconds`` (0 unpins it)."""
        message = await self.message(instance_id, chat_id, key)
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.pin(key, seconds, author=None if key.from_me else message.sender)

    async def read(
        self, instance_id: str, chat_id: str, *, count: int | None, days: int | None
    ) -> builtins.list[str]:
        """Mark the chat's newest received messages read: ``count`` of them (else as many
        as are unread, at least the newest), from the last ``days`` days when given.
        Returns their ids."""
        chat = await self._chats.get(instance_id, chat_id)
        wanted = count if count is not None else max(chat.unread_count if chat else 0, 1)
        since = int(time.time()) - days * DAY_SECONDS if days is not None else None
        received = await self._messages.list_chat(
            instance_id, chat_id, limit=wanted, offset=0, since=since, from_me=False
        )
        if received:
            by_author: dict[str | None, builtins.list[MessageKey]] = {}
            for message in received:
                by_author.setdefault(message.participant, []).append(message.key)
            for participant, keys in by_author.items():
                await self._messaging.mark_seen(instance_id, chat_id, keys, participant=participant)
        else:
            await self._sessions.working_engine_session(instance_id)
        await self._chats.set_flags(
            instance_id, chat_id, timestamp=_last_timestamp(chat), read=True
        )
        return [message.key.serialized for message in received]

    # --- changing chats ---------------------------------------------------------------

    async def change(self, instance_id: str, chat_id: str, change: ChatChange) -> None:
        """Archive, unarchive or mark a chat unread on the account's devices, then in the
        store; archiving and unarchiving publish ``chat.archive``."""
        session, engine = await self._sessions.working_engine_session(instance_id)
        await engine.change_chat(chat_id, change)
        chat = await self._chats.get(instance_id, chat_id)
        timestamp = _last_timestamp(chat)
        if change is ChatChange.UNREAD:
            await self._chats.set_flags(
                instance_id, chat_id, timestamp=timestamp, marked_unread=True
            )
            return
        archived = change is ChatChange.ARCHIVE
        await self._chats.set_flags(instance_id, chat_id, timestamp=timestamp, archived=archived)
        event = ("chat.archive", payloads.chat_archive(chat_id, archived))
        await self._pipeline.publish(session, [event])

    async def delete(self, instance_id: str, chat_id: str) -> None:
        """Delete the chat on the account's devices, and its messages from the store."""
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.change_chat(chat_id, ChatChange.DELETE)
        await self._chats.delete(instance_id, chat_id)

    async def clear(self, instance_id: str, chat_id: str) -> int:
        """Delete the chat's messages from wagate's store only (WhatsApp keeps them)."""
        return await self._chats.clear(instance_id, chat_id)

    async def picture(self, instance_id: str, chat_id: str) -> str | None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.chat_picture(chat_id)


def _last_timestamp(chat: Chat | None) -> int:
    return chat.timestamp if chat is not None else int(time.time())
