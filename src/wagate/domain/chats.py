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
