"""Sending and receiving: messages, receipts, reactions, stars, typing and presence.

Every change is published through the :class:`EventPipeline`, which stores it together
with its webhook deliveries; engine events arrive here in order, one session at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from wagate.domain.events import (
    AckChanged,
    EngineEvent,
    MessageSeen,
    PresenceChanged,
    ReactionReceived,
)
from wagate.domain.messages import Message, MessageKey, Presence
from wagate.domain.models import Session
from wagate.errors import NotFoundError
from wagate.events import payloads
from wagate.events.pipeline import EventPipeline
from wagate.services.sessions import SessionService
from wagate.store.repositories.messages import MessageRepository

MAX_TEXT_LENGTH = 4096


class MessagingService:
    """What a WORKING session can do with messages, and what it hears back."""

    def __init__(
        self, sessions: SessionService, messages: MessageRepository, pipeline: EventPipeline
    ) -> None:
        self._sessions = sessions
        self._messages = messages
        self._pipeline = pipeline

    # --- calls ----------------------------------------------------------------------

    async def send_text(
        self,
        instance_id: str,
        chat_id: str,
        text: str,
        *,
        reply_to: MessageKey | None = None,
        mentions: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Send ``text``; returns the message object (also published as ``message.any``)."""
        async with self._sessions.exclusive(instance_id):
            session, engine = await self._sessions.working_engine_session(instance_id)
            message = await engine.send_text(chat_id, text, reply_to=reply_to, mentions=mentions)
            # The engine returns once WhatsApp's server took the message: that is the
            # SERVER receipt, announced like the DEVICE and READ ones that follow.
            server_ack = AckChanged(key=message.key, ack=message.ack)
            await self._record(
                session, message, [("message.ack", payloads.ack(server_ack, me_id=_me_id(session)))]
            )
        return payloads.message(message)

    async def mark_seen(
        self,
        instance_id: str,
        chat_id: str,
        keys: Sequence[MessageKey],
        *,
        participant: str | None = None,
    ) -> None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.mark_seen(chat_id, keys, participant=participant)

    async def set_typing(self, instance_id: str, chat_id: str, presence: Presence) -> None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.set_chat_presence(chat_id, presence)

    async def set_presence(
        self, instance_id: str, presence: Presence, chat_id: str | None = None
    ) -> None:
        """The account's presence, or a typing state in ``chat_id``."""
        _, engine = await self._sessions.working_engine_session(instance_id)
        if presence in (Presence.AVAILABLE, Presence.UNAVAILABLE):
            await engine.set_presence(presence)
        elif chat_id is None:
            raise ValueError("a typing presence needs a chatId")
        else:
            await engine.set_chat_presence(chat_id, presence)

    async def get_presence(self, instance_id: str, chat_id: str) -> list[PresenceChanged]:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.get_presence(chat_id)

    async def react(self, instance_id: str, key: MessageKey, reaction: str) -> str:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.react(key, reaction)

    async def star(self, instance_id: str, key: MessageKey, star: bool) -> None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        if await self._messages.get(instance_id, key) is None:
            raise NotFoundError(f"No message {key.serialized} in this session")
        await engine.star(key, star)
        await self._messages.set_starred(instance_id, key, star)

    # --- what engines report ------------------------------------------------------------

    async def on_engine_event(self, session: Session, event: EngineEvent) -> None:
        """Store and publish one messaging event (called in order, per session)."""
        match event:
            case MessageSeen(message=message):
                await self._record(session, message)
            case AckChanged():
                await self._pipeline.publish(
                    session,
                    [("message.ack", payloads.ack(event, me_id=_me_id(session)))],
                    write=lambda conn: self._messages.set_ack(
                        conn, session.instance_id, event.key, event.ack
                    ),
                )
            case ReactionReceived():
                await self._pipeline.publish(
                    session,
                    [("message.reaction", payloads.reaction(event))],
                    write=lambda conn: self._messages.set_reaction(
                        conn, session.instance_id, event.key, event.sender, event.reaction
                    ),
                )
            case PresenceChanged():
                await self._pipeline.publish(
                    session, [("presence.update", payloads.presence(event))]
                )

    async def _record(
        self,
        session: Session,
        message: Message,
        more: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        """Store a message and publish it: ``message.any`` always, ``message`` if received."""
        payload = payloads.message(message)
        events = [("message.any", payload), *more]
        if not message.key.from_me:
            events.insert(0, ("message", payload))

        async def write(conn: AsyncConnection) -> None:
            await self._messages.save(conn, session.instance_id, message)

        await self._pipeline.publish(session, events, write=write)


def _me_id(session: Session) -> str | None:
    return session.me.id if session.me else None
