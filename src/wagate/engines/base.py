"""The engine contract.

An :class:`Engine` opens one :class:`EngineSession` per wagate session. A session
connects; if its device store holds credentials it reports :class:`LoggedIn`, otherwise
it reports :class:`QrCodeChanged` values until it is linked (by a scan or a pairing
code). Everything the engine learns is pushed into the session's :class:`EventSink`;
engines never call services. Operations an engine lacks raise
:class:`~wagate.errors.NotSupportedError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Protocol

from wagate.domain.chats import Channel, ChannelSearch, ChatChange
from wagate.domain.contacts import Contact, Profile
from wagate.domain.content import Content, kind_of
from wagate.domain.events import EngineEvent, PresenceChanged
from wagate.domain.groups import GroupInfo, GroupSetting, ParticipantAction, ParticipantResult
from wagate.domain.messages import Message, MessageKey, Presence
from wagate.errors import NotSupportedError


class EventSink(Protocol):
    """Where an engine session delivers its events, in order."""

    async def __call__(self, event: EngineEvent, /) -> None: ...


class DeviceStore(Protocol):
    """Durable per-session engine credentials (opaque JSON), keyed by instance id.

    The store implements it; an engine uses it so that a restarted server resumes
    linked sessions without a new scan.
    """

    async def load(self, instance_id: str) -> dict[str, Any] | None: ...

    async def save(self, instance_id: str, engine: str, data: dict[str, Any]) -> None: ...

    async def delete(self, instance_id: str) -> None: ...


class EngineSession(ABC):
    """One WhatsApp session inside an engine."""

    instance_id: str

    @abstractmethod
    async def connect(self) -> None:
        """Start connecting; returns once the attempt is under way.

        The outcome arrives through the sink: ``LoggedIn`` when stored credentials
        resume, else a stream of ``QrCodeChanged`` until linked.
        """

    @abstractmethod
    async def disconnect(self) -> None:
        """Close the connection and keep the credentials."""

    @abstractmethod
    async def logout(self) -> None:
        """Unlink the device and forget its credentials; the session is disconnected."""

    @abstractmethod
    async def request_pairing_code(self, phone: str) -> str:
        """Ask for an 8-character pairing code (``ABCD-EFGH``) for this phone number."""

    async def screenshot(self) -> bytes:
        """A PNG of what the engine shows; most engines have none."""
        raise NotSupportedError("This engine has no screen to capture")

    # --- messaging (a WORKING session; the service checks the status first) ---------

    async def send_text(
        self,
        chat_id: str,
        text: str,
        *,
        reply_to: MessageKey | None = None,
        mentions: Sequence[str] = (),
    ) -> Message:
        """Send a text message; returns it as sent (ack SERVER once WhatsApp took it)."""
        raise NotSupportedError("This engine cannot send text messages")

    async def send_message(
        self,
        chat_id: str,
        content: Content,
        *,
        reply_to: MessageKey | None = None,
        mentions: Sequence[str] = (),
    ) -> Message:
        """Send any other kind of message (media arrive fetched and converted)."""
        raise NotSupportedError(f"This engine cannot send {kind_of(content)} messages")

    async def vote_poll(self, poll: MessageKey, selected: Sequence[str]) -> Message:
        """Vote on a poll with these option names (``[]`` retracts the vote)."""
        raise NotSupportedError("This engine cannot vote on polls")

    async def post_status(self, content: Content, *, recipients: Sequence[str] = ()) -> Message:
        """Post a 24-hour status (story) to ``recipients``, by default the contacts."""
        raise NotSupportedError("This engine cannot post statuses")

    async def delete_status(self, key: MessageKey) -> None:
        """Delete one of the account's statuses for everyone."""
        raise NotSupportedError("This engine cannot delete statuses")

    async def mark_seen(
        self, chat_id: str, keys: Sequence[MessageKey], *, participant: str | None = None
    ) -> None:
        """Mark received messages as read (the sender sees READ)."""
        raise NotSupportedError("This engine cannot mark messages as seen")

    async def set_chat_presence(self, chat_id: str, presence: Presence) -> None:
        """Typing state in one chat: COMPOSING, RECORDING or PAUSED."""
        raise NotSupportedError("This engine cannot send typing states")

    async def set_presence(self, presence: Presence) -> None:
        """The account's own presence: AVAILABLE or UNAVAILABLE."""
        raise NotSupportedError("This engine cannot set presence")

    async def get_presence(self, chat_id: str) -> list[PresenceChanged]:
        """The last known presence of the chat's members (subscribing if needed)."""
        raise NotSupportedError("This engine cannot read presence")

    async def react(self, key: MessageKey, reaction: str) -> str:
        """React to a message (``""`` removes our reaction); returns the reaction's id."""
        raise NotSupportedError("This engine cannot send reactions")

    async def star(self, key: MessageKey, star: bool) -> None:
        """Star or unstar a message on the account's devices."""
        raise NotSupportedError("This engine cannot star messages")

    # --- chats (a WORKING session; the service has found the message in its store) ---

    async def revoke(self, key: MessageKey, *, author: str | None = None) -> None:
        """Delete a message for everyone: one of ours, or in a group (as an admin) a
        member's, whose id is ``author``."""
        raise NotSupportedError("This engine cannot delete messages for everyone")

    async def edit(self, key: MessageKey, text: str) -> None:
        """Replace the text of one of our own messages, for everyone."""
        raise NotSupportedError("This engine cannot edit messages")

    async def pin(self, key: MessageKey, seconds: int, *, author: str | None = None) -> None:
        """Pin a message in its chat for ``seconds``; ``0`` unpins it. ``author`` is who
        wrote it when that is not us (a group member's id, else the chat)."""
        raise NotSupportedError("This engine cannot pin messages")

    async def chat_picture(self, chat_id: str) -> str | None:
        """The URL of a contact's or group's picture; ``None`` when it has none or hides it."""
        raise NotSupportedError("This engine cannot read chat pictures")

    async def change_chat(self, chat_id: str, change: ChatChange) -> None:
        """Archive, unarchive, mark unread or delete a chat on the account's devices."""
        raise NotSupportedError(f"This engine cannot {change.value} chats")

    # --- profile and contacts (a WORKING session) -------------------------------------

    async def profile(self) -> Profile:
        """The account's own profile: name, "About" text and picture."""
        raise NotSupportedError("This engine cannot read the profile")

    async def set_profile_name(self, name: str) -> None:
        """Change the account's display (push) name."""
        raise NotSupportedError("This engine cannot change the profile name")

    async def set_profile_status(self, status: str) -> None:
        """Change the account's "About" text."""
        raise NotSupportedError("This engine cannot change the profile status")

    async def set_profile_picture(self, jpeg: bytes | None) -> None:
        """Set the account's picture (a square JPEG), or remove it (``None``)."""
        raise NotSupportedError("This engine cannot change the profile picture")

    async def contacts(self) -> list[Contact]:
        """Every contact the account knows of (address book and people it talked to)."""
        raise NotSupportedError("This engine cannot list contacts")

    async def contact(self, chat_id: str) -> Contact:
        """What the account knows of one person (at least its id)."""
        raise NotSupportedError("This engine cannot read contacts")

    async def check_exists(self, phone: str) -> str | None:
        """The chat id of the WhatsApp account of ``phone`` (digits), or ``None``."""
        raise NotSupportedError("This engine cannot check numbers")

    async def about(self, chat_id: str) -> str | None:
        """A person's "About" text; ``None`` when they have none or hide it."""
        raise NotSupportedError("This engine cannot read About texts")

    async def block(self, chat_id: str, block: bool) -> None:
        """Block (``True``) or unblock a person."""
        raise NotSupportedError("This engine cannot block contacts")

    async def save_contact(self, chat_id: str, first_name: str, last_name: str) -> None:
        """Save a person in the account's address book (or rename them there)."""
        raise NotSupportedError("This engine cannot change the address book")

    # --- groups (a WORKING session) -----------------------------------------------------

    async def groups(self) -> list[GroupInfo]:
        """The groups the account is in, as WhatsApp describes them now."""
        raise NotSupportedError("This engine has no groups")

    async def group(self, group_id: str) -> GroupInfo:
        """One group the account is in (``NotFoundError`` when it is not)."""
        raise NotSupportedError("This engine has no groups")

    async def create_group(self, subject: str, participants: Sequence[str]) -> GroupInfo:
        """Create a group with these people (chat ids); the account is its super-admin."""
        raise NotSupportedError("This engine cannot create groups")

    async def group_invite_info(self, code: str) -> GroupInfo:
        """The group an invite code (or link) leads to, without joining it."""
        raise NotSupportedError("This engine cannot read invite links")

    async def join_group(self, code: str) -> str:
        """Join the group of an invite code (or link); returns its id."""
        raise NotSupportedError("This engine cannot join groups")

    async def leave_group(self, group_id: str) -> None:
        raise NotSupportedError("This engine cannot leave groups")

    async def set_group_subject(self, group_id: str, subject: str) -> None:
        raise NotSupportedError("This engine cannot rename groups")

    async def set_group_description(self, group_id: str, description: str) -> None:
        raise NotSupportedError("This engine cannot change group descriptions")

    async def set_group_picture(self, group_id: str, jpeg: bytes | None) -> None:
        """Set the group's picture (a square JPEG), or remove it (``None``)."""
        raise NotSupportedError("This engine cannot change group pictures")

    async def set_group_setting(self, group_id: str, setting: GroupSetting, on: bool) -> None:
        """Only admins may send messages (ANNOUNCE) or edit the group's info (LOCKED)."""
        raise NotSupportedError("This engine cannot change group settings")

    async def group_invite_code(self, group_id: str, *, revoke: bool = False) -> str:
        """The group's invite code; ``revoke`` makes a new one (the old one stops working)."""
        raise NotSupportedError("This engine cannot read invite codes")

    async def change_participants(
        self, group_id: str, action: ParticipantAction, participants: Sequence[str]
    ) -> list[ParticipantResult]:
        """Add, remove, promote or demote people (chat ids); one result per person."""
        raise NotSupportedError("This engine cannot change group participants")

    # --- labels (WhatsApp Business; a WORKING session) -----------------------------------

    async def check_labels(self) -> None:
        """Labels live in wagate's store, in step with the account's devices; an engine
        that cannot keep them in step (read and write WhatsApp's app state) refuses."""
        raise NotSupportedError("This engine has no labels")

    # --- channels (newsletters; a WORKING session) ------------------------------------------

    async def channels(self) -> list[Channel]:
        """The channels the account follows, owns or administers."""
        raise NotSupportedError("This engine has no channels")

    async def channel(self, channel: str) -> Channel:
        """A channel by its id (``…@newsletter``) or invite code (``NotFoundError`` when
        there is none)."""
        raise NotSupportedError("This engine has no channels")

    async def create_channel(self, name: str, description: str, jpeg: bytes | None) -> Channel:
        """Create a channel the account owns."""
        raise NotSupportedError("This engine cannot create channels")

    async def delete_channel(self, channel_id: str) -> None:
        """Delete a channel the account owns."""
        raise NotSupportedError("This engine cannot delete channels")

    async def channel_messages(self, channel_id: str, limit: int) -> list[Message]:
        """The channel's newest posts (newest first), without following it."""
        raise NotSupportedError("This engine cannot read channel posts")

    async def follow_channel(self, channel_id: str, follow: bool) -> None:
        raise NotSupportedError("This engine cannot follow channels")

    async def mute_channel(self, channel_id: str, mute: bool) -> None:
        raise NotSupportedError("This engine cannot mute channels")

    async def search_channels(
        self,
        *,
        view: str | None,
        text: str | None,
        countries: Sequence[str],
        categories: Sequence[str],
        limit: int,
        cursor: str | None,
    ) -> ChannelSearch:
        """Search WhatsApp's channel directory by a view (RECOMMENDED, TRENDING, POPULAR,
        NEW) or by text, within countries (ISO codes) and categories."""
        raise NotSupportedError("This engine cannot search channels")


class Engine(ABC):
    """A WhatsApp implementation that can host many sessions."""

    name: str

    @abstractmethod
    async def open_session(self, instance_id: str, sink: EventSink) -> EngineSession:
        """Create (not yet connect) the session for ``instance_id``."""

    @abstractmethod
    async def forget(self, instance_id: str) -> None:
        """Delete every trace of the session's device (used when a session is deleted)."""

    async def close(self) -> None:  # noqa: B027 - an optional hook, not abstract
        """Release what the engine holds; sessions are already disconnected."""
