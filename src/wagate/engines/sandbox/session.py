"""A sandbox session: one instance's connection to the simulated network.

Each :class:`SandboxSession` runs one background task that owns the session's timers
(QR rotation, autolink) and delivers its events to the sink, in order and one at a
time. Control methods (a scan, a pairing-code confirmation, an unlink, a message from a
virtual contact) change the state right away and queue their event on that task; they
return once the sink has handled it, unless they are called from inside the sink itself
(or the session is offline: then network events wait in its mailbox).

Messaging calls (``send_text``, ``send_message``, ``vote_poll``, ``post_status``,
``react``...) and the chat calls that tell others (``revoke``, ``edit``) return at once
and queue their effect on the network (delivery to the partner, acks) on the same task,
after what was queued before; see :mod:`wagate.engines.sandbox.network`.

Profile and contact calls (:mod:`~wagate.engines.sandbox.session_profile`) act on the
account's records on the network at once; group calls
(:mod:`~wagate.engines.sandbox.session_groups`) change the group at once and tell its
members on the same task; channel calls (:mod:`~wagate.engines.sandbox.session_channels`)
change the channel at once, and a channel's posts reach its followers on the same task.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from wagate.domain.chats import ChatChange
from wagate.domain.content import (
    Audio,
    Content,
    EventInvite,
    Image,
    Poll,
    StatusText,
    Video,
    display_text,
    kind_of,
)
from wagate.domain.events import (
    ConnectionFailed,
    EngineEvent,
    LoggedIn,
    LoggedOut,
    MessageEdited,
    MessageRevoked,
    MessageSeen,
    PollVoteReceived,
    PresenceChanged,
    QrCodeChanged,
    ReactionReceived,
)
from wagate.domain.messages import Ack, Message, MessageKey, Presence
from wagate.domain.models import Me
from wagate.engines.base import DeviceStore, EventSink
from wagate.engines.sandbox.network import STATUS_CHAT, Delivery, SandboxNetwork, VirtualPhone
from wagate.engines.sandbox.session_channels import SandboxChannelOperations
from wagate.engines.sandbox.session_groups import SandboxGroupOperations
from wagate.engines.sandbox.session_profile import SandboxProfileOperations
from wagate.engines.sandbox.util import (
    ENGINE_NAME,
    NO_PENDING_CODE,
    NO_SUCH_POLL,
    NOT_LINKED,
    NOT_WAITING_FOR_SCAN,
    OWN_PRESENCES,
    _check_content,
    _choose,
    _now,
    autolink_phone,
    new_message_id,
    new_pairing_code,
    new_qr_value,
)
from wagate.errors import InvalidParamError, InvalidSessionStatusError, SessionNotReadyError

logger = logging.getLogger(__name__)

NOT_WAITING_FOR_LINK = "The session is not waiting to be linked"
WRONG_CODE = "Wrong pairing code"
UNLINKED_REASON = "The linked device was removed on the phone"
NOT_CONNECTED = "The session is not connected"
CHAT_PRESENCES = (Presence.COMPOSING, Presence.RECORDING, Presence.PAUSED)
NOT_OWN_STATUS = "The message is not one of this account's statuses"
NOT_A_STATUS = "A status is a text, an image, a voice note or a video"
NOT_OWN_REVOKE = "Only your own messages can be deleted for everyone in a direct chat"
NOT_OWN_EDIT = "Only your own messages can be edited"
EMPTY_EDIT = "An edited message needs a text"
NEGATIVE_PIN = "A pin lasts 0 seconds (unpin) or more"


def _seen_from_partner(key: MessageKey, partner_chat_id: str) -> MessageKey:
    """The same message as the other side of a direct chat names it."""
    return MessageKey(chat_id=partner_chat_id, id=key.id, from_me=not key.from_me)


def _normalize_code(code: str) -> str:
    return code.strip().replace("-", "").upper()


def _me_of(phone: VirtualPhone) -> Me:
    return Me(id=phone.chat_id, lid=phone.lid, push_name=phone.push_name)


class _State(enum.Enum):
    IDLE = "idle"  # not connected (or just logged out)
    CONNECTING = "connecting"  # loading the stored device
    WAITING = "waiting"  # showing QR codes, may have a pairing code pending
    LINKING = "linking"  # saving the new device
    LINKED = "linked"
    UNLINKING = "unlinking"  # deleting the device after an unlink on the phone


@dataclass(slots=True)
class _Entry:
    """One step of a session's ordered delivery: an event for the sink, or a job."""

    event: EngineEvent | None = None
    done: asyncio.Future[None] | None = None
    delivery: Delivery | None = None  # set for events that came over the network
    job: Callable[[], object] | None = None  # a network effect of a messaging call


class _Run:
    """One connection: its task and its queue of undelivered events."""

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None
        self.outbox: deque[_Entry] = deque()
        self.wakeup = asyncio.Event()
        self.stopped = False  # exit as soon as possible, dropping undelivered events
        self.closing = False  # exit once the outbox is delivered

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    @property
    def alive(self) -> bool:
        """Running and accepting events (not stopping, not closing)."""
        return not self.stopped and not self.closing and self.running


def _resolve(done: asyncio.Future[None] | None) -> None:
    if done is not None and not done.done():
        done.set_result(None)


class SandboxSession(SandboxGroupOperations, SandboxChannelOperations, SandboxProfileOperations):
    """A session on the simulated network."""

    def __init__(
        self,
        instance_id: str,
        sink: EventSink,
        *,
        device_store: DeviceStore,
        network: SandboxNetwork,
        qr_rotate_seconds: float = 20.0,
        autolink_seconds: float = 0.0,
    ) -> None:
        self.instance_id = instance_id
        self._sink = sink
        self._store = device_store
        self._network = network
        self._qr_rotate_seconds = qr_rotate_seconds
        self._autolink_seconds = autolink_seconds
        self._state = _State.IDLE
        self._run: _Run | None = None
        self._lingering: asyncio.Task[None] | None = None  # stopping from inside the sink
        self._me: Me | None = None
        self._qr: str | None = None
        self._next_qr_at = 0.0
        self._autolink_at: float | None = None
        self._pending_code: tuple[str, str] | None = None  # (phone, code without dash)

    # --- read-only views --------------------------------------------------------------

    @property
    def linked(self) -> bool:
        """Logged in to a phone (after a link or resuming a stored device)."""
        return self._state is _State.LINKED

    @property
    def waiting_for_link(self) -> bool:
        """Showing QR codes (a scan or a pairing code can link it)."""
        return self._state is _State.WAITING

    @property
    def connected(self) -> bool:
        """The background task is running."""
        return self._run is not None and self._run.alive

    @property
    def online(self) -> bool:
        """Linked and connected: it can send, and network events reach its sink."""
        return self.linked and self.connected

    @property
    def me(self) -> Me | None:
        """Our account, with its push name as it is now (any of its sessions may change
        it)."""
        me = self._me
        if me is None or not self.linked:
            return None
        phone = self._network.get(me.id.partition("@")[0])
        return me if phone is None else _me_of(phone)

    @property
    def qr(self) -> str | None:
        """The QR value shown now, while waiting for a link."""
        return self._qr if self.waiting_for_link else None

    @property
    def pending_pairing_code(self) -> str | None:
        """The pairing code waiting for confirmation (``ABCD-EFGH``), if any."""
        if self._pending_code is None or not self.waiting_for_link:
            return None
        code = self._pending_code[1]
        return f"{code[:4]}-{code[4:]}"

    # --- EngineSession ----------------------------------------------------------------

    async def connect(self) -> None:
        previous = self._run
        if previous is not None and previous.alive:
            return
        if (
            previous is not None
            and previous.task is not None
            and previous.running
            and previous.task is not asyncio.current_task()
        ):
            # Still delivering its last events (e.g. LoggedOut): keep the order.
            await asyncio.wait({previous.task})
        run = _Run()
        self._run = run
        self._state = _State.CONNECTING
        run.task = asyncio.create_task(self._worker(run), name=f"wagate-sandbox-{self.instance_id}")

    async def disconnect(self) -> None:
        run = self._run
        self._run = None
        self._reset()
        current = asyncio.current_task()
        lingering = self._lingering
        if lingering is not None and lingering is not current:
            # A previous disconnect came from inside the sink: let that task end now.
            self._lingering = None
            if not lingering.done():
                await asyncio.wait({lingering})
        if run is None:
            return
        run.stopped = True
        run.wakeup.set()
        task = run.task
        if task is None or task.done():
            return
        if task is current:
            # Called from the sink on our own task: never cancel or await ourselves;
            # the loop sees `stopped` and ends once the sink returns.
            self._lingering = task
            return
        task.cancel()
        await asyncio.wait({task})

    async def logout(self) -> None:
        await self.disconnect()
        self._network.detach(self.instance_id)
        await self._store.delete(self.instance_id)

    async def request_pairing_code(self, phone: str) -> str:
        if self._state is not _State.WAITING:
            raise InvalidSessionStatusError(NOT_WAITING_FOR_LINK)
        number = phone.strip().removeprefix("+")
        if not number.isdigit():
            raise InvalidParamError("A phone number has only digits", phone=phone)
        code = new_pairing_code()
        self._pending_code = (number, _normalize_code(code))
        return code

    # --- messaging --------------------------------------------------------------------

    async def send_text(
        self,
        chat_id: str,
        text: str,
        *,
        reply_to: MessageKey | None = None,
        mentions: Sequence[str] = (),
    ) -> Message:
        """Send a text; it is returned at SERVER and delivered once this call returned.

        Direct chats (``@c.us``, a known ``@lid``) get it: a linked session as a
        ``MessageSeen`` (when it is offline, on its return), a virtual contact at once;
        we then see ``AckChanged`` DEVICE. A group we are in gets it like that from us
        (see :meth:`_post_to_group`; refused if we are not in it), a channel we own as a
        post from the channel to its followers (see :meth:`_post_to_channel`; refused if
        we do not own it); groups and channels the network does not know, unknown lids
        and our own chat keep it at SERVER.
        """
        return self._send(chat_id, text, None, reply_to, mentions)

    async def send_message(
        self,
        chat_id: str,
        content: Content,
        *,
        reply_to: MessageKey | None = None,
        mentions: Sequence[str] = (),
    ) -> Message:
        """Send any kind of message; delivered like :meth:`send_text`.

        ``body`` is the text WhatsApp shows (a caption, a poll's name...); the
        recipient's copy carries the same ``content`` (media bytes included). Polls and
        event invitations are remembered for the votes and answers to come.
        """
        _check_content(content)
        return self._send(chat_id, display_text(content), content, reply_to, mentions)

    def _send(
        self,
        chat_id: str,
        body: str,
        content: Content | None,
        reply_to: MessageKey | None,
        mentions: Sequence[str],
    ) -> Message:
        own = self._own_phone()
        group = self._group_to_send(own, chat_id)
        channel = self._channel_to_send(own, chat_id)
        target = self._network.resolve(chat_id)
        message = Message(
            key=MessageKey(chat_id=chat_id, id=new_message_id(), from_me=True),
            timestamp=_now(),
            sender=own.chat_id,
            recipient=chat_id,
            body=body,
            ack=Ack.SERVER,
            participant=own.chat_id if group is not None else None,
            reply_to=reply_to.serialized if reply_to is not None else None,
            mentions=tuple(mentions),
            push_name=own.push_name,
            source="api",
            content=content,
        )
        if isinstance(content, Poll | EventInvite):
            self._network.keep(own.phone, target, message.key, content)
        if group is not None:
            self._post_to_group(own, group, message, reply_to)
        elif channel is not None:
            self._post_to_channel(own, channel, message)
        elif target is not None and target != own.phone:
            self._schedule(lambda: self._route(own, target, message, reply_to))
        return message

    async def vote_poll(self, poll: MessageKey, selected: Sequence[str]) -> Message:
        """Vote on a poll of one of our chats (``poll`` as we name it) with option names.

        Every other device in the chat (the partner's sessions, our other sessions;
        queued while offline) gets ``PollVoteReceived`` with the poll as it names it and
        the whole current choice, in the poll's order (``[]`` retracts). Returns the vote
        as WhatsApp models it: our own message in the poll's chat, ``body`` ``""``,
        ``content`` ``None``, ack SERVER (votes get no acks here).
        """
        own = self._own_phone()
        network = self._network
        kept = network.poll(poll.id)
        if kept is None or not kept.named_by(own.phone, poll, network):
            raise InvalidParamError(NO_SUCH_POLL, poll=poll.serialized)
        choice = _choose(kept, selected)
        now = _now()
        vote = Message(
            key=MessageKey(chat_id=poll.chat_id, id=new_message_id(), from_me=True),
            timestamp=now,
            sender=own.chat_id,
            recipient=poll.chat_id,
            body="",
            ack=Ack.SERVER,
            push_name=own.push_name,
            source="api",
        )
        instance_id = self.instance_id

        def job() -> None:
            for party in kept.parties():
                event = PollVoteReceived(
                    poll=kept.key_for(party, network),
                    voter=own.chat_id,
                    selected=choice,
                    timestamp=now,
                )
                network.deliver(party, event, exclude=instance_id, sender=own)

        self._schedule(job)
        return vote

    async def post_status(self, content: Content, *, recipients: Sequence[str] = ()) -> Message:
        """Post a status: a text, an image, a voice note or a video.

        Returned with the key ``status@broadcast``/<id>/from_me. The sessions of the
        ``recipients`` (chat ids; by default every account we have a chat with) get it
        as ``MessageSeen`` (queued while offline), from_me false with ``participant`` =
        us; our other sessions see it as sent. Recipients that name no account (groups,
        unknown lids, ourselves) are skipped.
        """
        own = self._own_phone()
        if not isinstance(content, StatusText | Image | Audio | Video):
            raise InvalidParamError(NOT_A_STATUS, kind=kind_of(content))
        network = self._network
        if recipients:
            resolved = {network.resolve(chat_id) for chat_id in recipients}
            audience = sorted(p for p in resolved if p is not None and p != own.phone)
        else:
            audience = sorted(network.chats_of(own.phone))
        status = Message(
            key=MessageKey(chat_id=STATUS_CHAT, id=new_message_id(), from_me=True),
            timestamp=_now(),
            sender=own.chat_id,
            recipient=STATUS_CHAT,
            body=display_text(content),
            ack=Ack.SERVER,
            push_name=own.push_name,
            source="api",
            content=content,
        )
        network.add_status(own.phone, status.key.id)
        seen = replace(
            status,
            key=replace(status.key, from_me=False),
            ack=Ack.DEVICE,
            participant=own.chat_id,
            source="app",
        )
        instance_id = self.instance_id

        def job() -> None:
            if status.key.id not in network.statuses(own.phone):
                return  # deleted before it went out
            network.deliver(
                own.phone, MessageSeen(message=replace(status, source="app")), exclude=instance_id
            )
            for partner in audience:
                network.deliver(partner, MessageSeen(message=seen), sender=own)

        self._schedule(job)
        return status

    async def delete_status(self, key: MessageKey) -> None:
        """Forget one of our statuses (recipients are not told yet)."""
        own = self._own_phone()
        if (
            key.chat_id != STATUS_CHAT
            or not key.from_me
            or not self._network.remove_status(own.phone, key.id)
        ):
            raise InvalidParamError(NOT_OWN_STATUS, id=key.serialized)

    async def mark_seen(
        self, chat_id: str, keys: Sequence[MessageKey], *, participant: str | None = None
    ) -> None:
        """Read received messages of a direct chat: their author sees READ (once)."""
        own = self._own_phone()
        author = self._network.resolve(chat_id)
        if author is None or author == own.phone:
            return
        ids = [key.id for key in keys if not key.from_me]
        network = self._network

        def job() -> None:
            for entry in network.mark_read(own.phone, author, ids):
                network.ack(entry, Ack.READ)

        self._schedule(job)

    async def set_chat_presence(self, chat_id: str, presence: Presence) -> None:
        """Typing state for a linked partner: it gets ``PresenceChanged`` (if online)."""
        own = self._own_phone()
        if presence not in CHAT_PRESENCES:
            raise InvalidParamError(
                "A chat presence is composing, recording or paused", presence=str(presence)
            )
        partner = self._network.resolve(chat_id)
        if partner is None or partner == own.phone:
            return
        event = PresenceChanged(chat_id=own.chat_id, sender=own.chat_id, presence=presence)
        network = self._network
        self._schedule(lambda: network.deliver(partner, event, durable=False, sender=own))

    async def set_presence(self, presence: Presence) -> None:
        """Our presence: recorded, and told to the online sessions we have a chat with."""
        own = self._own_phone()
        if presence not in OWN_PRESENCES:
            raise InvalidParamError(
                "A presence is available or unavailable", presence=str(presence)
            )
        network = self._network
        now = _now()
        network.set_presence(own.phone, presence, now)
        event = PresenceChanged(
            chat_id=own.chat_id,
            sender=own.chat_id,
            presence=presence,
            last_seen=now if presence is Presence.UNAVAILABLE else None,
        )

        def job() -> None:
            for partner in sorted(network.chats_of(own.phone)):
                network.deliver(partner, event, durable=False, sender=own)

        self._schedule(job)

    async def get_presence(self, chat_id: str) -> list[PresenceChanged]:
        """The account's presence for a direct chat; nothing for groups or unknown lids."""
        self._own_phone()
        target = self._network.resolve(chat_id)
        if target is None:
            return []
        return [self._network.presence_of(target)]

    async def react(self, key: MessageKey, reaction: str) -> str:
        """React to a message: a linked partner, or the other members of a group we are
        in, get ``ReactionReceived`` (the message as they name it)."""
        own = self._own_phone()
        reaction_id = new_message_id()
        now = _now()

        def reacted(k: MessageKey) -> EngineEvent:
            return ReactionReceived(
                key=k, reaction_id=reaction_id, sender=own.chat_id, reaction=reaction, timestamp=now
            )

        if self._tell_group(own, key, reacted, ours_too=False):
            return reaction_id
        partner = self._network.resolve(key.chat_id)
        if partner is not None and partner != own.phone:
            event = reacted(_seen_from_partner(key, own.chat_id))
            network = self._network
            self._schedule(lambda: network.deliver(partner, event, sender=own))
        return reaction_id

    async def star(self, key: MessageKey, star: bool) -> None:
        """Star or unstar (see :meth:`SandboxNetwork.starred`); nobody else is told."""
        own = self._own_phone()
        self._network.star(own.phone, key, star)

    # --- chats ------------------------------------------------------------------------

    async def revoke(self, key: MessageKey, *, author: str | None = None) -> None:
        """Delete a message for everyone.

        In a direct chat only our own messages can be deleted (``InvalidParamError``
        otherwise): our other sessions get ``MessageRevoked`` with ``key``, a linked
        partner's sessions with the message as they name it (queued while offline);
        ``by`` is us. With a virtual contact only our other sessions are told. In a group
        we are in, admins may delete anyone's message (``author`` wrote it), and every
        member is told; groups the network does not know, newsletters, unknown lids and
        our own chat accept it with nobody to tell.
        """
        own = self._own_phone()
        now = _now()

        def revoked(k: MessageKey) -> EngineEvent:
            return MessageRevoked(key=k, by=own.chat_id, timestamp=now)

        if self._tell_group(own, key, revoked, author=author, admins_for_others=True):
            return
        partner = self._network.resolve(key.chat_id)
        if partner is None or partner == own.phone:
            return
        if not key.from_me:
            raise InvalidParamError(NOT_OWN_REVOKE, id=key.serialized)
        self._tell_chat(own, partner, key, revoked)

    async def edit(self, key: MessageKey, text: str) -> None:
        """Replace the text of one of our messages (``InvalidParamError`` for another's
        or a blank text).

        Told like :meth:`revoke`: ``MessageEdited`` with ``new_body`` = ``text`` and
        ``sender`` = us, to our other sessions and a linked partner's (or a group's members).
        """
        own = self._own_phone()
        if not text.strip():
            raise InvalidParamError(EMPTY_EDIT, id=key.serialized)
        if not key.from_me:
            raise InvalidParamError(NOT_OWN_EDIT, id=key.serialized)
        now = _now()

        def edited(k: MessageKey) -> EngineEvent:
            return MessageEdited(key=k, new_body=text, sender=own.chat_id, timestamp=now)

        if self._tell_group(own, key, edited):
            return
        partner = self._network.resolve(key.chat_id)
        if partner is None or partner == own.phone:
            return
        self._tell_chat(own, partner, key, edited)

    async def pin(self, key: MessageKey, seconds: int, *, author: str | None = None) -> None:
        """Check the duration (``0`` unpins, negative is refused), then accept: the
        sandbox does not simulate pins, so nobody is told and nothing is remembered."""
        self._own_phone()
        if seconds < 0:
            raise InvalidParamError(NEGATIVE_PIN, seconds=seconds)

    async def chat_picture(self, chat_id: str) -> str | None:
        """A person's, a channel's or (for its members) a group's picture as a ``data:``
        URI (see :meth:`profile`); ``None`` when there is none, a person blocks us, and
        for other groups, unknown channels and unknown lids."""
        if chat_id.endswith("@g.us"):
            return self._group_picture(chat_id)
        if chat_id.endswith("@newsletter"):
            self._own_phone()
            channel = self._network.channels.get(chat_id)
            return channel.picture_url if channel is not None else None
        target = self._visible(chat_id)
        return target.picture_url if target is not None else None

    async def change_chat(self, chat_id: str, change: ChatChange) -> None:
        """Accept every change (archive, unarchive, unread, delete): a chat's state lives
        in wagate's store; the sandbox keeps none and tells no other device."""
        self._own_phone()

    async def check_labels(self) -> None:
        """Labels live in wagate's store; the sandbox has no other device to tell."""
        self._own_phone()

    def _tell_chat(
        self,
        own: VirtualPhone,
        partner: str,
        key: MessageKey,
        event_for: Callable[[MessageKey], EngineEvent],
    ) -> None:
        """Queue an event about our message ``key`` of the direct chat with ``partner``:
        our other sessions get it with ``key``, the partner's with their view of it."""
        network = self._network
        instance_id = self.instance_id

        def job() -> None:
            network.deliver(own.phone, event_for(key), exclude=instance_id)
            theirs = _seen_from_partner(key, own.chat_id)
            # WhatsApp tells who is behind a sender's lid with the message (SenderAlt)
            network.deliver(partner, event_for(theirs), sender=own)

        self._schedule(job)

    def _own_phone(self) -> VirtualPhone:
        """Our account; ``SessionNotReadyError`` unless linked and connected."""
        me = self._me
        if not self.online or me is None:
            raise SessionNotReadyError(NOT_CONNECTED)
        return self._network.phone(me.id.partition("@")[0])

    def _route(
        self, own: VirtualPhone, target: str, message: Message, reply_to: MessageKey | None
    ) -> None:
        """On the worker: hand a sent message to the network."""
        network = self._network
        entry = network.record(own.phone, target, message.key)
        # our other linked devices see it as sent from another device
        network.deliver(
            own.phone, MessageSeen(message=replace(message, source="app")), exclude=self.instance_id
        )
        if not network.is_linked(target):
            network.mark_delivered(entry.key.id)  # virtual contacts are always online
            return
        incoming = Message(
            key=_seen_from_partner(message.key, own.chat_id),
            timestamp=message.timestamp,
            sender=own.chat_id,
            recipient=network.phone(target).chat_id,
            body=message.body,
            ack=Ack.DEVICE,
            reply_to=_seen_from_partner(reply_to, own.chat_id).serialized if reply_to else None,
            mentions=message.mentions,
            push_name=own.push_name,
            source="app",
            content=message.content,
        )
        message_id = entry.key.id
        # WhatsApp tells who is behind a sender's lid with the message (SenderAlt)
        network.deliver(
            target,
            MessageSeen(message=incoming),
            sender=own,
            on_delivered=lambda: network.mark_delivered(message_id),
        )

    # --- control (what the phone does) -----------------------------------------------

    async def scan(self, phone: str, push_name: str | None = None) -> Me:
        """The phone scans the QR code shown now."""
        if self._state is not _State.WAITING:
            raise InvalidSessionStatusError(NOT_WAITING_FOR_SCAN)
        return await self._link(phone, push_name)

    async def confirm_code(self, code: str) -> Me:
        """The phone's user types the pairing code."""
        pending = self._pending_code
        if self._state is not _State.WAITING or pending is None:
            raise InvalidSessionStatusError(NO_PENDING_CODE)
        phone, expected = pending
        if _normalize_code(code) != expected:
            raise InvalidParamError(WRONG_CODE)
        return await self._link(phone, None)

    async def unlink(self) -> None:
        """The phone's user removes this linked device: forget it, log out, stop."""
        if self._state is not _State.LINKED:
            raise InvalidSessionStatusError(NOT_LINKED)
        self._state = _State.UNLINKING
        try:
            await self._store.delete(self.instance_id)
        except BaseException:
            if self._state is _State.UNLINKING:
                self._state = _State.LINKED
            raise
        self._network.detach(self.instance_id)
        if self._state is not _State.UNLINKING:
            return  # disconnected meanwhile: nobody to tell
        self._reset()
        await self._emit(LoggedOut(reason=UNLINKED_REASON), close=True)

    # --- internals --------------------------------------------------------------------

    def _reset(self) -> None:
        self._state = _State.IDLE
        self._me = None
        self._qr = None
        self._autolink_at = None
        self._pending_code = None

    async def _link(self, number: str, push_name: str | None) -> Me:
        phone = self._network.phone(number, push_name)
        self._state = _State.LINKING
        data: dict[str, Any] = {
            "phone": phone.phone,
            "push_name": phone.push_name,
            "lid": phone.lid,
        }
        try:
            await self._store.save(self.instance_id, ENGINE_NAME, data)
        except BaseException:
            if self._state is _State.LINKING:
                self._state = _State.WAITING
            raise
        me = _me_of(phone)
        if self._state is _State.LINKING:  # else disconnected while saving
            self._reset()
            self._state = _State.LINKED
            self._me = me
            done = self._enqueue(_Entry(event=LoggedIn(me=me)))
            self._network.attach(self.instance_id, phone.phone, self)  # after LoggedIn
            if done is not None:
                await done
        return me

    async def _emit(self, event: EngineEvent, *, close: bool = False) -> None:
        """Queue an event for the sink; wait for its delivery unless on the worker."""
        run = self._run
        if run is None or not run.alive:
            return
        done = self._enqueue(_Entry(event=event))
        run.closing = close
        if done is not None:
            await done

    def _enqueue(self, entry: _Entry) -> asyncio.Future[None] | None:
        """Append to the running outbox; a future for its delivery unless on the worker."""
        run = self._run
        if run is None or not run.alive:
            return None
        if asyncio.current_task() is not run.task:
            entry.done = asyncio.get_running_loop().create_future()
        run.outbox.append(entry)
        run.wakeup.set()
        return entry.done

    def post(self, delivery: Delivery) -> asyncio.Future[None] | None:
        """Queue a network event on the ordered delivery (the network calls it while
        the session is online)."""
        return self._enqueue(_Entry(event=delivery.event, delivery=delivery))

    def _schedule(self, job: Callable[[], object]) -> None:
        """Run a network effect on the worker, after everything queued before."""
        self._enqueue(_Entry(job=job))

    def _run_job(self, job: Callable[[], object]) -> None:
        try:
            job()
        except Exception:
            logger.exception("sandbox session %s: a network job failed", self.instance_id)

    async def _deliver_entry(self, entry: _Entry) -> None:
        if entry.job is not None:
            self._run_job(entry.job)
            return
        if entry.event is None:
            return
        on_delivered = entry.delivery.on_delivered if entry.delivery else None
        try:
            await self._deliver(entry.event)
        finally:
            if on_delivered is not None:  # the sink had it, even if interrupted
                self._run_job(on_delivered)

    async def _deliver(self, event: EngineEvent) -> None:
        try:
            await self._sink(event)
        except Exception:
            logger.exception(
                "sandbox session %s: the event sink failed on %s",
                self.instance_id,
                type(event).__name__,
            )

    async def _worker(self, run: _Run) -> None:
        try:
            await self._start(run)
            await self._loop(run)
        except Exception as exc:
            logger.exception("sandbox session %s failed", self.instance_id)
            if not run.stopped:
                run.stopped = True
                if self._run is run:
                    self._reset()
                await self._deliver(ConnectionFailed(reason=f"Sandbox engine failed: {exc}"))
        finally:
            run.stopped = True
            self._drop_outbox(run)
            if self._run is run:
                self._run = None
                self._reset()

    def _drop_outbox(self, run: _Run) -> None:
        """On stop: network events go back to the mailbox, pending jobs still run."""
        leftovers = list(run.outbox)
        run.outbox.clear()
        self._network.requeue(
            self.instance_id, (e.delivery for e in leftovers if e.delivery is not None)
        )
        for entry in leftovers:
            if entry.job is not None:
                self._run_job(entry.job)
            _resolve(entry.done)

    async def _start(self, run: _Run) -> None:
        data = await self._store.load(self.instance_id)
        if run.stopped:
            return
        phone = self._stored_phone(data)
        if phone is not None:
            self._state = _State.LINKED
            self._me = _me_of(phone)
            run.outbox.append(_Entry(event=LoggedIn(me=self._me)))
            self._network.attach(self.instance_id, phone.phone, self)  # after LoggedIn
            return
        loop = asyncio.get_running_loop()
        self._state = _State.WAITING
        self._next_qr_at = loop.time()
        if self._autolink_seconds > 0:
            self._autolink_at = loop.time() + self._autolink_seconds

    def _stored_phone(self, data: dict[str, Any] | None) -> VirtualPhone | None:
        if not data:
            return None
        number = data.get("phone")
        if not isinstance(number, str) or not number.isdigit():
            logger.warning("sandbox session %s: ignoring an unusable device", self.instance_id)
            return None
        push_name = data.get("push_name")
        return self._network.phone(number, push_name if isinstance(push_name, str) else None)

    async def _loop(self, run: _Run) -> None:
        loop = asyncio.get_running_loop()
        while not run.stopped:
            if run.outbox:
                entry = run.outbox.popleft()
                try:
                    await self._deliver_entry(entry)
                finally:
                    _resolve(entry.done)
                continue
            if run.closing:
                return
            await self._tick(loop)
            if run.outbox or run.stopped:
                continue
            run.wakeup.clear()
            deadline = self._next_deadline()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    await run.wakeup.wait()

    async def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        """Fire the timers that are due: autolink, then QR rotation."""
        if self._state is not _State.WAITING:
            return
        now = loop.time()
        if self._autolink_at is not None and now >= self._autolink_at:
            self._autolink_at = None
            await self._link(autolink_phone(self.instance_id), None)
            return
        if now >= self._next_qr_at:
            self._qr = new_qr_value()
            if self._qr_rotate_seconds > 0:
                self._next_qr_at = now + self._qr_rotate_seconds
            else:
                self._next_qr_at = float("inf")
            await self._emit(QrCodeChanged(value=self._qr))

    def _next_deadline(self) -> float | None:
        if self._state is not _State.WAITING:
            return None
        deadline = self._next_qr_at
        if self._autolink_at is not None:
            deadline = min(deadline, self._autolink_at)
        return None if deadline == float("inf") else deadline
