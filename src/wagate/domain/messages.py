"""Messages, receipts and presence as wagate understands them, whatever the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from wagate.domain.content import Content


class Ack(IntEnum):
    """Delivery state of a message (the WAHA/WEBJS scale Wawp uses)."""

    ERROR = -1
    PENDING = 0
    SERVER = 1
    DEVICE = 2
    READ = 3
    PLAYED = 4


class Presence(StrEnum):
    """What a chat partner or the session itself is doing (WhatsApp's vocabulary)."""

    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    COMPOSING = "composing"
    RECORDING = "recording"
    PAUSED = "paused"


def serialize_message_id(*, from_me: bool, chat_id: str, message_id: str) -> str:
    """The ``true_<chatId>_<ID>`` form clients use to name a message."""
    return f"{'true' if from_me else 'false'}_{chat_id}_{message_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageKey:
    """Which message: the chat, the WhatsApp message id and whether we sent it."""

    chat_id: str
    id: str
    from_me: bool

    @property
    def serialized(self) -> str:
        return serialize_message_id(from_me=self.from_me, chat_id=self.chat_id, message_id=self.id)

    @classmethod
    def parse(cls, serialized: str) -> MessageKey:
        """``true_<chatId>_<ID>`` → key; ``ValueError`` when it is not that form."""
        head, sep, rest = serialized.partition("_")
        chat_id, sep2, message_id = rest.rpartition("_")
        if not sep or not sep2 or head not in ("true", "false") or not chat_id or not message_id:
            raise ValueError("a message id looks like true_<chatId>_<ID> or false_<chatId>_<ID>")
        return cls(chat_id=chat_id, id=message_id, from_me=head == "true")


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A message, sent or received: text in ``body``, anything else in ``content``.

    ``body`` is what WhatsApp shows as text: the text itself, or a caption, a poll's
    name, a location's name. Received media arrive as bytes in ``content``; once
    stored, ``media_id`` names them in the media store.
    """

    key: MessageKey
    timestamp: int  # seconds since the epoch, as WhatsApp counts
    sender: str  # chat id of who wrote it (the session's own id when from_me)
    recipient: str  # the chat it went to (our id for a received direct message)
    body: str
    ack: Ack = Ack.PENDING
    participant: str | None = None  # the author inside a group
    reply_to: str | None = None  # serialized id of the quoted message
    mentions: tuple[str, ...] = field(default_factory=tuple)
    push_name: str | None = None  # the sender's display name, when known
    source: str = "app"  # "api" when sent through wagate, "app" otherwise
    content: Content | None = None
    media_id: str | None = None
    raw: dict[str, Any] | None = None  # the engine's own event as JSON, for ``_data``
    revoked: bool = False  # deleted for everyone: no text, no content left
