"""Chats: what a session keeps of each conversation, and what can be done to one."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wagate.domain.messages import Message


class ChatChange(StrEnum):
    """A change of a chat's state on the account's devices (WhatsApp's app state)."""

    ARCHIVE = "archive"
    UNARCHIVE = "unarchive"
    UNREAD = "unread"  # marked unread
    DELETE = "delete"


@dataclass(frozen=True, slots=True, kw_only=True)
class Chat:
    """A conversation as wagate's store knows it."""

    id: str  # the chat id: "<phone>@c.us", "<id>@g.us", "<id>@newsletter"…
    name: str | None  # the contact's push name or the group's subject, when known
    timestamp: int  # seconds: the last message's, or when the chat was last touched
    unread_count: int
    archived: bool = False
    marked_unread: bool = False
    last_message: Message | None = None

    @property
    def is_group(self) -> bool:
        return self.id.endswith("@g.us")


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    """A WhatsApp channel (newsletter) as the account sees it."""

    id: str  # "<digits>@newsletter"
    name: str
    description: str = ""
    invite: str | None = None  # the code of https://whatsapp.com/channel/<code>
    picture: str | None = None  # a URL of its picture
    verified: bool = False
    role: str = "GUEST"  # the account's: OWNER, ADMIN, SUBSCRIBER or GUEST
    subscribers: int = 0
    muted: bool = False
    created: int = 0  # seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelSearch:
    """One page of a channel directory search; ``next_cursor`` fetches the next."""

    channels: tuple[Channel, ...]
    next_cursor: str | None = None
