"""Sending and receiving: messages, receipts, reactions, stars, typing and presence.

Every change is published through the :class:`EventPipeline`, which stores it together
with its webhook deliveries; engine events arrive here in order, one session at a time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from wagate.domain.content import Content, Poll, media_of
from wagate.domain.events import (
    AckChanged,
    CallEvent,
    EngineEvent,
    EventResponseFailed,
    EventResponseReceived,
    GroupParticipantsChanged,
    GroupUpdated,
    HistoryReceived,
    LidsLearned,
    MessageEdited,
    MessageRevoked,
    MessageSeen,
    PollVoteFailed,
    PollVoteReceived,
    PresenceChanged,
    RawEngineEvent,
    ReactionReceived,
)
from wagate.domain.groups import GroupInfo
from wagate.domain.ids import STATUS_BROADCAST
from wagate.domain.messages import Message, MessageKey, Presence
from wagate.domain.models import Session
from wagate.engines.base import EngineSession
from wagate.errors import InvalidParamError, NotFoundError
from wagate.events import payloads
from wagate.events.pipeline import EventPipeline
from wagate.media.storage import MediaStore
from wagate.services.lids import LidDirectory
from wagate.services.sessions import SessionService
from wagate.store.repositories.chats import ChatRepository
from wagate.store.repositories.messages import MessageRepository

MAX_TEXT_LENGTH = 4096


class MessagingService:
    """What a WORKING session can do with messages, and what it hears back."""

    def __init__(
        self,
        sessions: SessionService,
        messages: MessageRepository,
        pipeline: EventPipeline,
        *,
        media: MediaStore,
        media_url: Callable[[str, str], str],
        lids: LidDirectory,
        chats: ChatRepository,
    ) -> None:
        self._sessions = sessions
        self._chats = chats
        self._lids = lids
        self._messages = messages
        self._pipeline = pipeline
        self._media = media
        self._media_url = media_url  # (instance_id, media_id) -> download URL

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
        return await self._send(
            instance_id,
            lambda engine: engine.send_text(chat_id, text, reply_to=reply_to, mentions=mentions),
        )

    async def send_content(
        self,
        instance_id: str,
        chat_id: str,
        content: Content,
        *,
        reply_to: MessageKey | None = None,
        mentions: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Send media, a location, a poll, cards, a list or an event invitation."""
        return await self._send(
            instance_id,
            lambda engine: engine.send_message(
                chat_id, content, reply_to=reply_to, mentions=mentions
            ),
        )

    async def vote(
        self, instance_id: str, poll_key: MessageKey, votes: Sequence[str | int]
    ) -> dict[str, Any]:
        """Vote on a poll by option names or 0-based indexes; ``[]`` retracts the vote."""
        stored = await self._messages.get(instance_id, poll_key)
        if stored is None or not isinstance(stored.content, Poll):
            raise NotFoundError(f"No poll {poll_key.serialized} in this session")
        selected = _poll_options(stored.content, votes)
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.vote_poll(poll_key, selected)
        return {"success": True, "pollId": poll_key.serialized, "selectedOptions": selected}

    async def post_status(
        self, instance_id: str, content: Content, *, recipients: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Post a 24-hour status to ``recipients`` (default: the account's contacts);
        returns it (``id`` starts ``true_status@broadcast_``)."""
        return await self._send(
            instance_id, lambda engine: engine.post_status(content, recipients=recipients)
        )

    async def stored_message(self, instance_id: str, key: MessageKey) -> dict[str, Any]:
        """A stored message's object, as events carry it."""
        message = await self._messages.get(instance_id, key)
        if message is None:
            raise NotFoundError(f"No message {key.serialized} in this session")
        return self.message_object(instance_id, message)

    def message_object(self, instance_id: str, message: Message) -> dict[str, Any]:
        """The message object (as events carry it) of a stored message."""
        return payloads.message(message, media_url=self._url(instance_id, message))

    def _url(self, instance_id: str, message: Message) -> str | None:
        return self._media_url(instance_id, message.media_id) if message.media_id else None

    async def delete_status(self, instance_id: str, key: MessageKey) -> None:
        if key.chat_id != STATUS_BROADCAST or not key.from_me:
            raise InvalidParamError(
                "Invalid parameter id: a status id looks like true_status@broadcast_<ID>",
                param="id",
            )
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.delete_status(key)

    async def _send(
        self, instance_id: str, call: Callable[[EngineSession], Awaitable[Message]]
    ) -> dict[str, Any]:
        """Run an engine send and record the message before any receipt for it."""
        async with self._sessions.exclusive(instance_id):
            session, engine = await self._sessions.working_engine_session(instance_id)
            message = await call(engine)
            # The engine returns once WhatsApp's server took the message: that is the
            # SERVER receipt, announced like the DEVICE and READ ones that follow.
            server_ack = AckChanged(key=message.key, ack=message.ack)
            ack = ("message.ack", payloads.ack(server_ack, me_id=_me_id(session)))
            return await self._record(session, message, [ack])

    async def require_working(self, instance_id: str) -> None:
        """Fail fast (409) before preparing media for a session that cannot send."""
        await self._sessions.working_engine_session(instance_id)

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
            case PollVoteReceived():
                payload = payloads.poll_vote(event, me_id=_me_id(session))
                await self._pipeline.publish(session, [("poll.vote", payload)])
            case PollVoteFailed():
                payload = payloads.poll_vote_failed(event)
                await self._pipeline.publish(session, [("poll.vote.failed", payload)])
            case EventResponseReceived():
                payload = payloads.event_response(event)
                await self._pipeline.publish(session, [("event.response", payload)])
            case EventResponseFailed():
                payload = payloads.event_response_failed(event)
                await self._pipeline.publish(session, [("event.response.failed", payload)])
            case _:
                await self._on_other(session, event)

    async def _on_other(self, session: Session, event: EngineEvent) -> None:
        """Edits, revokes, calls, groups and raw engine events."""
        match event:
            case MessageEdited():
                # Events arrive one at a time per session, so nothing changes the text
                # between reading the old one and storing the new one.
                stored = await self._messages.get(session.instance_id, event.key)
                previous = stored.body if stored else None
                await self._pipeline.publish(
                    session,
                    [("message.edited", payloads.edited(event, previous))],
                    write=lambda conn: self._messages.set_body(
                        conn, session.instance_id, event.key, event.new_body
                    ),
                )
            case MessageRevoked():
                await self._pipeline.publish(
                    session,
                    [("message.revoked", payloads.revoked(event))],
                    write=lambda conn: self._messages.set_revoked(
                        conn, session.instance_id, event.key
                    ),
                )
            case CallEvent():
                name = payloads.CALL_EVENTS.get(event.kind)
                if name is not None:
                    await self._pipeline.publish(session, [(name, payloads.call(event))])
            case GroupParticipantsChanged() | GroupUpdated() | LidsLearned():
                await self._on_people(session, event)
            case RawEngineEvent():
                await self._pipeline.publish(session, [("engine.event", payloads.raw(event))])
            case HistoryReceived(messages=messages):
                # Past messages fill the store quietly: they are not news for webhooks.
                async def save_all(conn: AsyncConnection) -> None:
                    for message in messages:
                        await self._save(conn, session.instance_id, message, unread=False)

                await self._pipeline.publish(session, [], write=save_all)

    async def _on_people(
        self, session: Session, event: GroupParticipantsChanged | GroupUpdated | LidsLearned
    ) -> None:
        """Groups' members and settings, and who is behind which lid."""
        match event:
            case GroupParticipantsChanged(group=GroupInfo() as group):
                # the account joined: the group's chat gets its subject
                name = payloads.GROUP_PARTICIPANT_EVENTS[event.action]
                await self._pipeline.publish(
                    session,
                    [(name, payloads.group_participants(event))],
                    write=lambda conn: self._chats.set_name(
                        conn, session.instance_id, group.id, group.subject, group.created
                    ),
                )
            case GroupParticipantsChanged():
                name = payloads.GROUP_PARTICIPANT_EVENTS[event.action]
                payload = payloads.group_participants(event)
                await self._pipeline.publish(session, [(name, payload)])
            case LidsLearned(pairs=pairs):
                news = self._lids.news(session.instance_id, pairs)
                if news:

                    async def save(conn: AsyncConnection) -> None:
                        await self._lids.save(conn, session.instance_id, news)

                    await self._pipeline.publish(session, [], write=save)
                    self._lids.remember(session.instance_id, news)
            case GroupUpdated(changes={"subject": str() as subject}):
                await self._pipeline.publish(
                    session,
                    [("group.v2.update", payloads.group_update(event))],
                    write=lambda conn: self._chats.set_name(
                        conn, session.instance_id, event.group_id, subject, event.timestamp
                    ),
                )
            case GroupUpdated():
                payload = payloads.group_update(event)
                await self._pipeline.publish(session, [("group.v2.update", payload)])

    async def _record(
        self,
        session: Session,
        message: Message,
        more: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> dict[str, Any]:
        """Store a message (its media in the media store) and publish it: ``message.any``
        always, ``message`` when received. Returns its message object."""
        blob = media_of(message.content)
        if blob is not None and message.media_id is None:
            stored = await self._media.save(
                session.instance_id, blob.data, blob.mimetype, blob.filename
            )
            message = dataclasses.replace(message, media_id=stored.id)
        payload = payloads.message(message, media_url=self._url(session.instance_id, message))
        events = [("message.any", payload), *more]
        if not message.key.from_me:
            events.insert(0, ("message", payload))

        async def write(conn: AsyncConnection) -> None:
            await self._save(conn, session.instance_id, message, unread=not message.key.from_me)

        await self._pipeline.publish(session, events, write=write)
        return payload

    async def _save(
        self, conn: AsyncConnection, instance_id: str, message: Message, *, unread: bool
    ) -> None:
        """The message, and the news in its chat (statuses are not a chat)."""
        await self._messages.save(conn, instance_id, message)
        if message.key.chat_id != STATUS_BROADCAST:
            await self._chats.touch(conn, instance_id, message, unread=unread)


def _poll_options(poll: Poll, votes: Sequence[str | int]) -> list[str]:
    """Option names from names or 0-based indexes, checked against the poll."""
    selected: list[str] = []
    for vote in votes:
        if isinstance(vote, str) and vote in poll.options:
            name = vote  # an option's own name wins over reading it as an index
        elif isinstance(vote, int) or vote.isdigit():
            index = int(vote)
            if not 0 <= index < len(poll.options):
                raise InvalidParamError(
                    f"Invalid parameter votes: the poll has options 0 to {len(poll.options) - 1}",
                    param="votes",
                )
            name = poll.options[index]
        else:
            raise InvalidParamError(
                f"Invalid parameter votes: {vote!r} is not an option of the poll", param="votes"
            )
        if name not in selected:
            selected.append(name)
    if len(selected) > 1 and not poll.multiple_answers:
        raise InvalidParamError(
            "Invalid parameter votes: this poll allows one answer", param="votes"
        )
    return selected


def _me_id(session: Session) -> str | None:
    return session.me.id if session.me else None
