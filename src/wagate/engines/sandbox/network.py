"""The simulated WhatsApp network shared by every sandbox session of one engine.

It knows the virtual phones (accounts) by number. Phones are created on demand, the
first time anything refers to them (a scan, a pairing code, an autolink, a message).

A phone that a sandbox session is linked to is that session's account; every other
phone is a *virtual contact* that is always online. The network routes what accounts
send each other: events for a linked session go to its device while it is online, and
the durable ones (messages, acks, reactions, votes, statuses) wait in the session's
mailbox while it is offline, to be delivered in order when it comes back.

It also remembers what later messages refer to: polls (to check and route votes), event
invitations (to check answers) and each account's statuses (so that it can delete them).

Profiles (push name, "About", picture) live on the phones, so that every session linked
to a phone and every other account sees the same; each account's address book and
blocklist live with its other per-phone records. While an account blocks another, what
the blocked one sends it is dropped (WhatsApp shows it as sent, never delivered). Like
chats, all of it lasts as long as the network (the server process); only the push name
is also kept with each linked device.

Groups (members, roles, settings, invite codes) live in the network's :attr:`groups`
registry (:mod:`wagate.engines.sandbox.groups`); what is said in a group reaches its
members even from someone they block, as on WhatsApp.

Channels (owners, followers, posts) live in the network's :attr:`channels` registry
(:mod:`wagate.engines.sandbox.channels`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

from wagate.domain.contacts import Contact
from wagate.domain.content import EventInvite, Poll
from wagate.domain.events import AckChanged, EngineEvent, LidsLearned, PresenceChanged
from wagate.domain.messages import Ack, MessageKey, Presence
from wagate.engines.sandbox.channels import Channels
from wagate.engines.sandbox.groups import Groups
from wagate.errors import InvalidParamError

_LID_DIGITS = 15
LEDGER_SIZE = 10_000  # messages remembered for acks and reads
KEPT_SIZE = 10_000  # polls and event invitations remembered for votes and answers
STATUS_CHAT = "status@broadcast"
DEFAULT_ABOUT = "Hey there! I am using WhatsApp."
MISSING_SUFFIX = "0000"  # numbers ending so have no WhatsApp account (see has_whatsapp)


def lid_for_phone(phone: str) -> str:
    """The deterministic 15-digit ``<digits>@lid`` of a phone number."""
    digest = int(hashlib.sha256(phone.encode("ascii")).hexdigest(), 16)
    low = 10 ** (_LID_DIGITS - 1)
    return f"{low + digest % (10**_LID_DIGITS - low)}@lid"


def default_push_name(phone: str) -> str:
    return f"Sandbox {phone[-4:]}"


@dataclass(frozen=True, slots=True)
class VirtualPhone:
    """A WhatsApp account on the sandbox network."""

    phone: str  # digits, international format
    push_name: str
    lid: str  # "<15 digits>@lid"
    about: str = DEFAULT_ABOUT  # "" when the account cleared it
    picture: bytes | None = field(default=None, repr=False)  # a JPEG

    @property
    def chat_id(self) -> str:
        return f"{self.phone}@c.us"

    @property
    def picture_url(self) -> str | None:
        """The picture as a ``data:image/jpeg;base64,...`` URI: the sandbox has no web
        host to serve it from, as WhatsApp's CDN would."""
        if self.picture is None:
            return None
        return "data:image/jpeg;base64," + base64.b64encode(self.picture).decode("ascii")


@dataclass(slots=True)
class Delivery:
    """A network event on its way to one device.

    ``durable`` ones (messages, acks, reactions) wait in the mailbox of an offline
    session; the others (presence) are dropped. ``on_delivered`` runs once the
    session's sink has handled the event.
    """

    event: EngineEvent
    durable: bool = True
    on_delivered: Callable[[], None] | None = None


class Device(Protocol):
    """What the network needs of a linked session."""

    @property
    def online(self) -> bool:
        """Linked and connected: it can take events now."""
        ...

    def post(self, delivery: Delivery) -> asyncio.Future[None] | None:
        """Queue the event on the session's ordered delivery (only while online).

        Returns a future resolved once delivered, or ``None`` when called from the
        session's own delivery task (which must not wait for itself).
        """
        ...


@dataclass(slots=True)
class _Binding:
    phone: str
    device: Device


@dataclass(slots=True)
class SentMessage:
    """What the network remembers of a message between two accounts."""

    author: str  # phone
    recipient: str  # phone
    key: MessageKey  # as the author sees it
    delivered: bool = False
    read: bool = False


@dataclass(frozen=True, slots=True)
class KeptMessage:
    """A poll or an event invitation, remembered for the votes or answers to come.

    ``other`` is the phone of the direct chat's other party (``None`` in a group, a
    newsletter, an unknown lid: then only the author is in the chat as far as the
    network knows).
    """

    author: str  # phone
    other: str | None  # phone
    key: MessageKey  # as the author sees it
    content: Poll | EventInvite

    def parties(self) -> list[str]:
        """The phones in the chat: the author, then the other party (if known)."""
        if self.other is None or self.other == self.author:
            return [self.author]
        return [self.author, self.other]

    def key_for(self, phone: str, network: SandboxNetwork) -> MessageKey:
        """The message's key as ``phone`` (one of :meth:`parties`) names it."""
        if phone == self.author:
            return self.key
        return MessageKey(chat_id=network.phone(self.author).chat_id, id=self.key.id, from_me=False)

    def named_by(self, phone: str, key: MessageKey, network: SandboxNetwork) -> bool:
        """``phone`` is in the chat and ``key`` names this message as ``phone`` sees it."""
        if key.id != self.key.id or key.from_me != (phone == self.author):
            return False
        if phone == self.author:
            if self.other is None:
                return key.chat_id == self.key.chat_id
            return network.resolve(key.chat_id) == self.other
        return phone == self.other and network.resolve(key.chat_id) == self.author


@dataclass(slots=True)
class _PresenceState:
    presence: Presence
    since: int  # seconds


@dataclass(slots=True)
class _Account:
    """Per-phone state: chats, presence, starred messages, address book, blocklist."""

    chats: set[str] = field(default_factory=set)  # phones it exchanged messages with
    presence: _PresenceState | None = None
    starred: set[MessageKey] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)  # ids of the statuses it posted
    saved: dict[str, str] = field(default_factory=dict)  # phone → name in the address book
    blocked: set[str] = field(default_factory=set)  # phones it blocks


class SandboxNetwork:
    """Registry of the virtual phones, the linked sessions and what they exchange."""

    def __init__(self) -> None:
        self._phones: dict[str, VirtualPhone] = {}
        self._by_lid: dict[str, str] = {}
        self._bindings: dict[str, _Binding] = {}  # instance id → account
        self._mailboxes: dict[str, deque[Delivery]] = {}  # instance id → waiting events
        self._accounts: dict[str, _Account] = {}
        self._ledger: OrderedDict[str, SentMessage] = OrderedDict()
        self._kept: OrderedDict[str, KeptMessage] = OrderedDict()
        self.groups = Groups()
        self.channels = Channels()

    # --- phones -----------------------------------------------------------------------

    def phone(self, number: str, push_name: str | None = None) -> VirtualPhone:
        """The phone with this number, created if new.

        A ``push_name`` given for an existing phone renames it.
        """
        if not number.isdigit():
            raise InvalidParamError("A phone number has only digits", phone=number)
        existing = self._phones.get(number)
        if existing is None:
            created = VirtualPhone(
                phone=number,
                push_name=push_name or default_push_name(number),
                lid=lid_for_phone(number),
            )
            self._phones[number] = created
            self._by_lid[created.lid] = number
            return created
        if push_name and push_name != existing.push_name:
            existing = replace(existing, push_name=push_name)
            self._phones[number] = existing
        return existing

    def set_about(self, number: str, about: str) -> VirtualPhone:
        """Change the phone's "About" text (``""`` clears it)."""
        changed = replace(self.phone(number), about=about)
        self._phones[number] = changed
        return changed

    def set_picture(self, number: str, jpeg: bytes | None) -> VirtualPhone:
        """Change the phone's picture (``None`` removes it)."""
        changed = replace(self.phone(number), picture=jpeg)
        self._phones[number] = changed
        return changed

    def get(self, number: str) -> VirtualPhone | None:
        """The phone with this number if it exists (never creates it)."""
        return self._phones.get(number)

    def phones(self) -> list[VirtualPhone]:
        return list(self._phones.values())

    def __contains__(self, number: object) -> bool:
        return number in self._phones

    def __len__(self) -> int:
        return len(self._phones)

    def has_whatsapp(self, number: str) -> bool:
        """Every number is a virtual phone, except (to test the negative) those ending in
        ``0000`` that no sandbox session is linked to."""
        return not number.endswith(MISSING_SUFFIX) or self.is_linked(number)

    def resolve(self, chat_id: str) -> str | None:
        """The phone number a direct chat id names, or ``None``.

        ``<digits>@c.us`` names that phone (created if new); ``<digits>@lid`` the known
        phone with that lid. Groups, newsletters, unknown lids and anything else: None.
        """
        user, _, server = chat_id.partition("@")
        if server == "c.us":
            if not user.isdigit():
                raise InvalidParamError("A chat id looks like <phone>@c.us", chat_id=chat_id)
            return self.phone(user).phone
        if server == "lid":
            return self._by_lid.get(chat_id)
        return None

    # --- linked sessions ----------------------------------------------------------------

    def attach(self, instance_id: str, phone: str, device: Device) -> None:
        """The session is linked to ``phone`` and online: deliver what waited for it."""
        previous = self._bindings.get(instance_id)
        if previous is not None and previous.phone != phone:
            self._mailboxes.pop(instance_id, None)  # addressed to another account
        self._bindings[instance_id] = _Binding(phone, device)
        waiting = self._mailboxes.pop(instance_id, None)
        for delivery in waiting or ():
            self._send(instance_id, delivery)

    def detach(self, instance_id: str) -> None:
        """The session is no longer linked (logged out, unlinked, forgotten)."""
        self._bindings.pop(instance_id, None)
        self._mailboxes.pop(instance_id, None)

    def requeue(self, instance_id: str, deliveries: Iterable[Delivery]) -> None:
        """Put back, ahead of anything newer, what a stopping session did not deliver."""
        if instance_id not in self._bindings:
            return
        batch = [d for d in deliveries if d.durable]
        if batch:
            mailbox = self._mailboxes.setdefault(instance_id, deque())
            mailbox.extendleft(reversed(batch))

    def account_of(self, instance_id: str) -> str | None:
        """The phone the session is linked to (online or not)."""
        binding = self._bindings.get(instance_id)
        return binding.phone if binding else None

    def instances_of(self, phone: str) -> list[str]:
        """The sessions linked to this phone (online or not)."""
        return [iid for iid, b in self._bindings.items() if b.phone == phone]

    def is_linked(self, phone: str) -> bool:
        """A sandbox session is linked to this phone (it is not a virtual contact)."""
        return any(b.phone == phone for b in self._bindings.values())

    def is_online(self, phone: str) -> bool:
        """Virtual contacts always are; an account when one of its sessions is."""
        bindings = [b for b in self._bindings.values() if b.phone == phone]
        return not bindings or any(b.device.online for b in bindings)

    def pending(self, instance_id: str) -> int:
        """How many events wait for the (offline) session."""
        return len(self._mailboxes.get(instance_id, ()))

    def deliver(
        self,
        phone: str,
        event: EngineEvent,
        *,
        durable: bool = True,
        on_delivered: Callable[[], None] | None = None,
        exclude: str | None = None,
        sender: VirtualPhone | None = None,
        in_group: bool = False,
    ) -> list[asyncio.Future[None]]:
        """Send ``event`` to every session linked to ``phone`` (but ``exclude``).

        From another account (``sender``), the event comes after who is behind the
        sender's lid, as WhatsApp's ``SenderAlt`` tells it; nothing comes while ``phone``
        blocks the sender, unless it happens ``in_group``. Returns the futures of the
        deliveries under way to online sessions.
        """
        futures: list[asyncio.Future[None]] = []
        if sender is not None and not in_group and self.blocks(phone, sender.phone):
            return futures  # dropped for good, as WhatsApp does
        for instance_id in self.instances_of(phone):
            if instance_id == exclude:
                continue
            if sender is not None and sender.phone != phone:
                pairs = ((sender.chat_id, sender.lid),)
                self._send(instance_id, Delivery(LidsLearned(pairs=pairs), durable=False))
            delivery = Delivery(event, durable=durable, on_delivered=on_delivered)
            future = self._send(instance_id, delivery)
            if future is not None:
                futures.append(future)
        return futures

    def _send(self, instance_id: str, delivery: Delivery) -> asyncio.Future[None] | None:
        binding = self._bindings.get(instance_id)
        if binding is None:
            return None
        if binding.device.online:
            return binding.device.post(delivery)
        if delivery.durable:
            self._mailboxes.setdefault(instance_id, deque()).append(delivery)
        return None

    # --- messages -----------------------------------------------------------------------

    def record(self, author: str, recipient: str, key: MessageKey) -> SentMessage:
        """Remember a message ``author`` sent to ``recipient`` (``key`` as the author sees
        it); the two now have a chat."""
        entry = SentMessage(author=author, recipient=recipient, key=key)
        self._ledger[key.id] = entry
        while len(self._ledger) > LEDGER_SIZE:
            self._ledger.popitem(last=False)
        self._account(author).chats.add(recipient)
        self._account(recipient).chats.add(author)
        return entry

    def sent(self, message_id: str) -> SentMessage | None:
        return self._ledger.get(message_id)

    def unread(self, author: str, recipient: str) -> list[SentMessage]:
        """Messages ``author`` sent ``recipient`` that it has not read, oldest first."""
        return [
            e
            for e in self._ledger.values()
            if e.author == author and e.recipient == recipient and not e.read
        ]

    def mark_delivered(self, message_id: str) -> None:
        """The recipient's device got the message: its author sees DEVICE (once)."""
        entry = self._ledger.get(message_id)
        if entry is None or entry.delivered:
            return
        entry.delivered = True
        self.ack(entry, Ack.DEVICE)

    def mark_read(self, reader: str, author: str, message_ids: Iterable[str]) -> list[SentMessage]:
        """``reader`` read these messages of ``author`` (tell the author with :meth:`ack`).

        Unknown ids, messages already read and messages between other accounts are
        skipped; returns the ones newly read.
        """
        newly: list[SentMessage] = []
        for message_id in message_ids:
            entry = self._ledger.get(message_id)
            if entry is None or entry.read or entry.recipient != reader or entry.author != author:
                continue
            entry.delivered = entry.read = True
            newly.append(entry)
        return newly

    def ack(self, entry: SentMessage, ack: Ack) -> list[asyncio.Future[None]]:
        """Tell the author's sessions that their message reached ``ack``."""
        return self.deliver(entry.author, AckChanged(key=entry.key, ack=ack))

    # --- accounts -----------------------------------------------------------------------

    def _account(self, phone: str) -> _Account:
        account = self._accounts.get(phone)
        if account is None:
            account = self._accounts[phone] = _Account()
        return account

    def chats_of(self, phone: str) -> set[str]:
        """The phones this phone has exchanged messages with."""
        return set(self._account(phone).chats)

    def set_presence(self, phone: str, presence: Presence, now: int) -> None:
        self._account(phone).presence = _PresenceState(presence, now)

    def presence_of(self, phone: str) -> PresenceChanged:
        """The last known presence of the account (see :meth:`is_online`)."""
        chat_id = self.phone(phone).chat_id
        state = self._account(phone).presence
        if not self.is_online(phone):
            since = state.since if state and state.presence is Presence.UNAVAILABLE else None
            return PresenceChanged(
                chat_id=chat_id, sender=chat_id, presence=Presence.UNAVAILABLE, last_seen=since
            )
        if state is None:
            return PresenceChanged(chat_id=chat_id, sender=chat_id, presence=Presence.AVAILABLE)
        last_seen = state.since if state.presence is Presence.UNAVAILABLE else None
        return PresenceChanged(
            chat_id=chat_id, sender=chat_id, presence=state.presence, last_seen=last_seen
        )

    def star(self, phone: str, key: MessageKey, star: bool) -> None:
        starred = self._account(phone).starred
        if star:
            starred.add(key)
        else:
            starred.discard(key)

    def starred(self, phone: str) -> set[MessageKey]:
        """The keys of the messages the account starred."""
        return set(self._account(phone).starred)

    # --- polls, event invitations, statuses ----------------------------------------------

    def keep(
        self, author: str, other: str | None, key: MessageKey, content: Poll | EventInvite
    ) -> KeptMessage:
        """Remember a poll or an event invitation ``author`` sent (``key`` as it sees it)."""
        kept = KeptMessage(author=author, other=other, key=key, content=content)
        self._kept[key.id] = kept
        while len(self._kept) > KEPT_SIZE:
            self._kept.popitem(last=False)
        return kept

    def poll(self, message_id: str) -> KeptMessage | None:
        """The poll with this message id, if the network remembers it."""
        kept = self._kept.get(message_id)
        return kept if kept is not None and isinstance(kept.content, Poll) else None

    def event_invite(self, message_id: str) -> KeptMessage | None:
        """The event invitation with this message id, if the network remembers it."""
        kept = self._kept.get(message_id)
        return kept if kept is not None and isinstance(kept.content, EventInvite) else None

    def add_status(self, phone: str, status_id: str) -> None:
        self._account(phone).statuses.add(status_id)

    def statuses(self, phone: str) -> set[str]:
        """The ids of the statuses the account posted and has not deleted."""
        return set(self._account(phone).statuses)

    def remove_status(self, phone: str, status_id: str) -> bool:
        """Forget one of the account's statuses; ``False`` when it has no such status."""
        statuses = self._account(phone).statuses
        if status_id not in statuses:
            return False
        statuses.discard(status_id)
        return True

    # --- address books and blocklists ---------------------------------------------------

    def save_contact(self, owner: str, phone: str, name: str) -> None:
        """Save (or rename) ``phone`` in ``owner``'s address book."""
        self._account(owner).saved[phone] = name

    def block(self, owner: str, phone: str, block: bool) -> None:
        blocked = self._account(owner).blocked
        if block:
            blocked.add(phone)
        else:
            blocked.discard(phone)

    def blocks(self, owner: str, phone: str) -> bool:
        """``owner`` blocks ``phone`` (never itself)."""
        return owner != phone and phone in self._account(owner).blocked

    def contact(self, owner: str, phone: str) -> Contact:
        """What ``owner`` knows of ``phone``: its address-book name and the phone's own."""
        account = self._account(owner)
        other = self.phone(phone)
        name = account.saved.get(phone)
        return Contact(
            id=other.chat_id,
            lid=other.lid,
            name=name,
            push_name=other.push_name,
            is_my_contact=name is not None,
            is_blocked=self.blocks(owner, phone),
        )

    def contacts(self, owner: str) -> list[Contact]:
        """The people ``owner`` has a chat with or saved, by phone number."""
        account = self._account(owner)
        phones = account.chats.union(account.saved)
        return [self.contact(owner, phone) for phone in sorted(phones)]
