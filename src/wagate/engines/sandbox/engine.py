"""The sandbox engine: the simulated network its sessions share, and the control routes
that act as the phone (scan, pairing-code confirmation, unlink) or as virtual contacts.
Sessions live in :mod:`wagate.engines.sandbox.session`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from wagate.domain.content import Content, EventInvite, EventResponse, Poll, display_text
from wagate.domain.events import (
    EventResponseFailed,
    EventResponseReceived,
    MessageSeen,
    PollVoteFailed,
    PollVoteReceived,
    PresenceChanged,
    ReactionReceived,
)
from wagate.domain.ids import normalize_phone
from wagate.domain.messages import Ack, Message, MessageKey, Presence
from wagate.domain.models import Me
from wagate.engines.base import DeviceStore, Engine, EventSink
from wagate.engines.sandbox.network import KeptMessage, SandboxNetwork, VirtualPhone
from wagate.engines.sandbox.session import SandboxSession
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
    new_message_id,
)
from wagate.errors import InvalidParamError, InvalidSessionStatusError

NO_SUCH_EVENT = "No event invitation with this id was sent to this contact"
VOTE_UNDECRYPTABLE = "The vote could not be decrypted"
RESPONSE_UNDECRYPTABLE = "The response could not be decrypted"


class SandboxEngine(Engine):
    """An in-process simulated WhatsApp network; every session of a server shares it."""

    name = ENGINE_NAME

    def __init__(
        self,
        device_store: DeviceStore,
        *,
        qr_rotate_seconds: float = 20.0,
        autolink_seconds: float = 0.0,
    ) -> None:
        self._store = device_store
        self._qr_rotate_seconds = qr_rotate_seconds
        self._autolink_seconds = autolink_seconds
        self._network = SandboxNetwork()
        self._sessions: dict[str, SandboxSession] = {}

    @property
    def network(self) -> SandboxNetwork:
        return self._network

    def session(self, instance_id: str) -> SandboxSession | None:
        """The open session for ``instance_id``, if any."""
        return self._sessions.get(instance_id)

    async def open_session(self, instance_id: str, sink: EventSink) -> SandboxSession:
        previous = self._sessions.pop(instance_id, None)
        if previous is not None:
            await previous.disconnect()
        session = SandboxSession(
            instance_id,
            sink,
            device_store=self._store,
            network=self._network,
            qr_rotate_seconds=self._qr_rotate_seconds,
            autolink_seconds=self._autolink_seconds,
        )
        self._sessions[instance_id] = session
        return session

    async def forget(self, instance_id: str) -> None:
        session = self._sessions.pop(instance_id, None)
        if session is not None:
            await session.disconnect()
        self._network.detach(instance_id)
        await self._store.delete(instance_id)

    async def close(self) -> None:
        sessions = list(self._sessions.values())
        self._sessions.clear()
        for session in sessions:
            await session.disconnect()

    # --- control routes (what the phone does) ----------------------------------------

    async def scan(self, instance_id: str, phone: str, push_name: str | None = None) -> Me:
        """As if ``phone`` scanned the QR code the session shows."""
        session = self._sessions.get(instance_id)
        if session is None or not session.waiting_for_link:
            raise InvalidSessionStatusError(NOT_WAITING_FOR_SCAN)
        return await session.scan(phone, push_name)

    async def confirm_code(self, instance_id: str, code: str) -> Me:
        """Complete the pairing-code login started by ``request_pairing_code``."""
        session = self._sessions.get(instance_id)
        if session is None:
            raise InvalidSessionStatusError(NO_PENDING_CODE)
        return await session.confirm_code(code)

    async def unlink(self, instance_id: str) -> None:
        """As if the user removed the linked device on the phone."""
        session = self._sessions.get(instance_id)
        if session is None:
            raise InvalidSessionStatusError(NOT_LINKED)
        await session.unlink()

    # --- control routes (what virtual contacts do) -----------------------------------
    #
    # A virtual contact is any phone no sandbox session is linked to. These act on the
    # account of a linked session (online, or offline: then the events wait for it) and
    # return once its sink handled them (at once when it is offline).

    async def inject_message(
        self,
        instance_id: str,
        from_phone: str,
        body: str | None = None,
        *,
        content: Content | None = None,
        reply_to: str | None = None,
        push_name: str | None = None,
        mentions: Sequence[str] = (),
    ) -> Message:
        """The virtual contact ``from_phone`` sends the session a text, or any other
        ``content`` (media, a location, a poll...; ``body`` then defaults to the text
        WhatsApp shows for it: a caption, a poll's name...).

        ``reply_to`` is the serialized id of the quoted message as the session names it
        (``true_<contact>@c.us_<ID>`` for one the session sent). ``push_name`` renames the
        contact. Returns the message as the session receives it (``MessageSeen``).
        """
        if body is None and content is None:
            raise InvalidParamError("A message needs a body or a content")
        _check_content(content)
        account = self._linked_account(instance_id)
        contact = self._contact(from_phone, push_name)
        if reply_to is not None:
            try:
                MessageKey.parse(reply_to)
            except ValueError as exc:
                raise InvalidParamError(str(exc), reply_to=reply_to) from None
        message_id = new_message_id()
        message = Message(
            key=MessageKey(chat_id=contact.chat_id, id=message_id, from_me=False),
            timestamp=_now(),
            sender=contact.chat_id,
            recipient=account.chat_id,
            body=display_text(content) if body is None else body,
            ack=Ack.DEVICE,
            reply_to=reply_to,
            mentions=tuple(mentions),
            push_name=contact.push_name,
            source="app",
            content=content,
        )
        authored = MessageKey(chat_id=account.chat_id, id=message_id, from_me=True)
        self._network.record(contact.phone, account.phone, authored)
        if isinstance(content, Poll | EventInvite):
            self._network.keep(contact.phone, account.phone, authored, content)
        await _wait(
            self._network.deliver(account.phone, MessageSeen(message=message), sender=contact)
        )
        return message

    async def contact_react(
        self, instance_id: str, from_phone: str, key: MessageKey, reaction: str
    ) -> str:
        """The virtual contact reacts (``""`` removes it) to a message of its chat with the
        session; ``key`` as the session names it. Returns the reaction's id."""
        account = self._linked_account(instance_id)
        contact = self._contact(from_phone)
        self._require_chat_with(contact, key)
        reaction_id = new_message_id()
        event = ReactionReceived(
            key=key,
            reaction_id=reaction_id,
            sender=contact.chat_id,
            reaction=reaction,
            timestamp=_now(),
        )
        await _wait(self._network.deliver(account.phone, event, sender=contact))
        return reaction_id

    async def contact_vote(
        self, instance_id: str, from_phone: str, poll: MessageKey, selected: Sequence[str]
    ) -> None:
        """The virtual contact votes on a poll of its chat with the session (``poll`` as
        the session names it; option names, ``[]`` retracts): the session gets
        ``PollVoteReceived``."""
        account = self._linked_account(instance_id)
        contact = self._contact(from_phone)
        kept = self._poll_in_chat(account, contact, poll)
        event = PollVoteReceived(
            poll=kept.key_for(account.phone, self._network),
            voter=contact.chat_id,
            selected=_choose(kept, selected),
            timestamp=_now(),
        )
        await _wait(self._network.deliver(account.phone, event, sender=contact))

    async def contact_vote_undecryptable(
        self, instance_id: str, from_phone: str, poll: MessageKey
    ) -> None:
        """A vote of the virtual contact that the session cannot read: ``PollVoteFailed``."""
        account = self._linked_account(instance_id)
        contact = self._contact(from_phone)
        kept = self._poll_in_chat(account, contact, poll)
        event = PollVoteFailed(
            poll=kept.key_for(account.phone, self._network),
            voter=contact.chat_id,
            reason=VOTE_UNDECRYPTABLE,
            timestamp=_now(),
        )
        await _wait(self._network.deliver(account.phone, event, sender=contact))

    async def contact_event_response(
        self, instance_id: str, from_phone: str, event: MessageKey, response: EventResponse
    ) -> None:
        """The virtual contact answers an event invitation the session sent it (``event``
        as the session names it): the session gets ``EventResponseReceived``."""
        account = self._linked_account(instance_id)
        contact = self._contact(from_phone)
        kept = self._invite_to(account, contact, event)
        answer = EventResponseReceived(
            event=kept.key,
            responder=contact.chat_id,
            response=EventResponse(response),
            timestamp=_now(),
        )
        await _wait(self._network.deliver(account.phone, answer, sender=contact))

    async def contact_event_response_undecryptable(
        self, instance_id: str, from_phone: str, event: MessageKey
    ) -> None:
        """An answer of the virtual contact that the session cannot read:
        ``EventResponseFailed``."""
        account = self._linked_account(instance_id)
        contact = self._contact(from_phone)
        kept = self._invite_to(account, contact, event)
        failure = EventResponseFailed(
            event=kept.key,
            responder=contact.chat_id,
            reason=RESPONSE_UNDECRYPTABLE,
            timestamp=_now(),
        )
        await _wait(self._network.deliver(account.phone, failure, sender=contact))

    async def contact_mark_seen(
        self, instance_id: str, from_phone: str, keys: Sequence[MessageKey] | None = None
    ) -> list[MessageKey]:
        """The virtual contact reads what the session sent it (``keys`` as the session
        names them; ``None``: everything unread). The session gets ``AckChanged`` READ
        for each message newly read; returns their keys."""
        account = self._linked_account(instance_id)
        contact = self._contact(from_phone)
        network = self._network
        if keys is None:
            ids = [entry.key.id for entry in network.unread(account.phone, contact.phone)]
        else:
            for key in keys:
                self._require_chat_with(contact, key)
            ids = [key.id for key in keys if key.from_me]
        newly = network.mark_read(contact.phone, account.phone, ids)
        futures = [future for entry in newly for future in network.ack(entry, Ack.READ)]
        await _wait(futures)
        return [entry.key for entry in newly]

    async def contact_presence(self, instance_id: str, from_phone: str, presence: Presence) -> None:
        """The virtual contact's presence (available, unavailable) or typing state in its
        chat with the session; the session gets ``PresenceChanged`` if online."""
        account = self._linked_account(instance_id)
        contact = self._contact(from_phone)
        now = _now()
        last_seen = None
        if presence in OWN_PRESENCES:
            self._network.set_presence(contact.phone, presence, now)
            last_seen = now if presence is Presence.UNAVAILABLE else None
        event = PresenceChanged(
            chat_id=contact.chat_id, sender=contact.chat_id, presence=presence, last_seen=last_seen
        )
        await _wait(self._network.deliver(account.phone, event, durable=False, sender=contact))

    def _linked_account(self, instance_id: str) -> VirtualPhone:
        phone = self._network.account_of(instance_id)
        if phone is None:
            raise InvalidSessionStatusError(NOT_LINKED)
        return self._network.phone(phone)

    def _contact(self, raw: str, push_name: str | None = None) -> VirtualPhone:
        """The virtual contact with this number (``+44 7441 429009``, digits, ``@c.us``)."""
        try:
            number = normalize_phone(raw.strip().removesuffix("@c.us"))
        except ValueError as exc:
            raise InvalidParamError(str(exc), phone=raw) from None
        if self._network.is_linked(number):
            raise InvalidParamError(
                "This phone is linked to a sandbox session: send from that session",
                phone=number,
            )
        return self._network.phone(number, push_name)

    def _poll_in_chat(
        self, account: VirtualPhone, contact: VirtualPhone, poll: MessageKey
    ) -> KeptMessage:
        """The poll ``poll`` names, in the chat of the session and the contact."""
        self._require_chat_with(contact, poll)
        kept = self._network.poll(poll.id)
        if (
            kept is None
            or contact.phone not in kept.parties()
            or not kept.named_by(account.phone, poll, self._network)
        ):
            raise InvalidParamError(NO_SUCH_POLL, poll=poll.serialized)
        return kept

    def _invite_to(
        self, account: VirtualPhone, contact: VirtualPhone, event: MessageKey
    ) -> KeptMessage:
        """The event invitation the session sent the contact that ``event`` names."""
        self._require_chat_with(contact, event)
        kept = self._network.event_invite(event.id)
        if (
            kept is None
            or kept.author != account.phone
            or kept.other != contact.phone
            or not kept.named_by(account.phone, event, self._network)
        ):
            raise InvalidParamError(NO_SUCH_EVENT, event=event.serialized)
        return kept

    def _require_chat_with(self, contact: VirtualPhone, key: MessageKey) -> None:
        if self._network.resolve(key.chat_id) != contact.phone:
            raise InvalidParamError(
                "The message is not in the chat with this contact", chat_id=key.chat_id
            )


async def _wait(futures: Iterable[asyncio.Future[None]]) -> None:
    for future in futures:
        await future
