"""What a worker process needs of one WhatsApp account: the seam below the worker.

The worker process hosts many accounts; for each it builds a :class:`ClientBackend`
through a :data:`BackendFactory`. The real one wraps neonize
(:mod:`wagate.engines.whatsmeow.neonize_backend`); tests can use one built on a fake
neonize client (:mod:`wagate.engines.whatsmeow.fake`). A backend reports everything as
domain :data:`~wagate.domain.events.EngineEvent` values through ``emit``, which is a
plain synchronous call that only enqueues (neonize handlers must never block or await).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from wagate.domain.chats import Channel, ChannelSearch, ChatChange
from wagate.domain.contacts import Contact, Profile
from wagate.domain.content import Content
from wagate.domain.events import EngineEvent, PresenceChanged
from wagate.domain.groups import GroupInfo, GroupSetting, ParticipantAction, ParticipantResult
from wagate.domain.messages import Message, MessageKey, Presence

Emit = Callable[[EngineEvent], None]

APP_STATE_UNSUPPORTED = (
    "neonize 0.5.2 cannot write app state (archive, unread, delete, pin and mute chats, "
    "star, labels, the address book): its app-state patch path is broken"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class BackendConfig:
    """How to build one account's client inside a worker."""

    instance_id: str
    device_store: str  # a SQLite file path, or a postgres:// DSN
    device_name: str  # shown in WhatsApp's "Linked devices"
    media_dir: Path  # scratch space for media the client downloads
    # The linked device to resume, "<phone>:<device>@s.whatsapp.net" (a PostgreSQL
    # store holds many devices); None before the first link.
    device_jid: str | None = None


def client_key(config: BackendConfig) -> str:
    """The key neonize files the client under in its worker-wide map: the account's
    phone when a device is resumed by JID (a PostgreSQL store), else the instance id.
    Two sessions with one key in one worker would take over each other's client."""
    if config.device_jid and config.device_store.startswith("postgres"):
        return config.device_jid.partition("@")[0].partition(":")[0].partition(".")[0]
    return config.instance_id


class ClientBackend(Protocol):
    """One WhatsApp account. Every call may raise a :class:`~wagate.errors.WagateError`
    (``NotSupportedError`` for what the client cannot do)."""

    async def connect(self) -> None:
        """Start connecting; returns once under way. Emits ``QrCodeChanged`` until linked,
        or ``LoggedIn`` when the device store holds a linked device."""

    async def disconnect(self) -> None: ...

    async def logout(self) -> None:
        """Unlink the device and delete it from the device store."""

    async def pair_phone(self, phone: str) -> str:
        """A pairing code (``ABCD-EFGH``) for this phone number (digits)."""

    async def send_text(
        self, chat_id: str, text: str, *, reply_to: MessageKey | None, mentions: Sequence[str]
    ) -> Message: ...

    async def send_message(
        self,
        chat_id: str,
        content: Content,
        *,
        reply_to: MessageKey | None,
        mentions: Sequence[str],
    ) -> Message: ...

    async def mark_seen(
        self, chat_id: str, keys: Sequence[MessageKey], *, participant: str | None
    ) -> None: ...

    async def set_chat_presence(self, chat_id: str, presence: Presence) -> None: ...

    async def set_presence(self, presence: Presence) -> None: ...

    async def get_presence(self, chat_id: str) -> list[PresenceChanged]: ...

    async def react(self, key: MessageKey, reaction: str) -> str: ...

    async def star(self, key: MessageKey, star: bool) -> None: ...

    async def vote_poll(self, poll: MessageKey, selected: Sequence[str]) -> Message: ...

    async def post_status(self, content: Content, *, recipients: Sequence[str]) -> Message: ...

    async def delete_status(self, key: MessageKey) -> None: ...

    async def revoke(self, key: MessageKey, *, author: str | None) -> None: ...

    async def edit(self, key: MessageKey, text: str) -> None: ...

    async def pin(self, key: MessageKey, seconds: int, *, author: str | None) -> None: ...

    async def chat_picture(self, chat_id: str) -> str | None: ...

    async def change_chat(self, chat_id: str, change: ChatChange) -> None: ...

    async def profile(self) -> Profile: ...

    async def set_profile_name(self, name: str) -> None: ...

    async def set_profile_status(self, status: str) -> None: ...

    async def set_profile_picture(self, jpeg: bytes | None) -> None:
        """Set the account's picture, or remove it (``None``)."""

    async def contacts(self) -> list[Contact]: ...

    async def contact(self, chat_id: str) -> Contact: ...

    async def check_exists(self, phone: str) -> str | None:
        """The chat id of the account of ``phone`` (digits), or ``None``."""

    async def about(self, chat_id: str) -> str | None: ...

    async def block(self, chat_id: str, block: bool) -> None: ...

    async def save_contact(self, chat_id: str, first_name: str, last_name: str) -> None: ...

    async def groups(self) -> list[GroupInfo]: ...

    async def group(self, group_id: str) -> GroupInfo:
        """``NotFoundError`` when the account is not in the group."""

    async def create_group(self, subject: str, participants: Sequence[str]) -> GroupInfo: ...

    async def group_invite_info(self, code: str) -> GroupInfo:
        """The group of an invite code or ``https://chat.whatsapp.com/<code>`` link."""

    async def join_group(self, code: str) -> str: ...

    async def leave_group(self, group_id: str) -> None: ...

    async def set_group_subject(self, group_id: str, subject: str) -> None: ...

    async def set_group_description(self, group_id: str, description: str) -> None: ...

    async def set_group_picture(self, group_id: str, jpeg: bytes | None) -> None: ...

    async def set_group_setting(self, group_id: str, setting: GroupSetting, on: bool) -> None: ...

    async def group_invite_code(self, group_id: str, *, revoke: bool = False) -> str:
        """The bare code (no link prefix); ``revoke`` makes a new one."""

    async def change_participants(
        self, group_id: str, action: ParticipantAction, participants: Sequence[str]
    ) -> list[ParticipantResult]:
        """One result per person asked."""

    async def channels(self) -> list[Channel]: ...

    async def channel(self, channel: str) -> Channel:
        """By id (``<digits>@newsletter``), invite code or invite link; ``NotFoundError``
        when there is none."""

    async def create_channel(self, name: str, description: str, jpeg: bytes | None) -> Channel: ...

    async def delete_channel(self, channel_id: str) -> None: ...

    async def channel_messages(self, channel_id: str, limit: int) -> list[Message]:
        """The newest posts first."""

    async def follow_channel(self, channel_id: str, follow: bool) -> None: ...

    async def mute_channel(self, channel_id: str, mute: bool) -> None: ...

    async def search_channels(
        self,
        *,
        view: str | None,
        text: str | None,
        countries: Sequence[str],
        categories: Sequence[str],
        limit: int,
        cursor: str | None,
    ) -> ChannelSearch: ...


BackendFactory = Callable[[BackendConfig, Emit], ClientBackend]
