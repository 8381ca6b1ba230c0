"""Events: what engines report to wagate, and what wagate reports to its users.

Engines push :data:`EngineEvent` values into an :class:`~wagate.engines.base.EventSink`;
services turn them into state changes and :data:`DomainEvent` values for webhooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wagate.domain.content import EventResponse
from wagate.domain.groups import GroupInfo, GroupParticipant
from wagate.domain.messages import Ack, Message, MessageKey, Presence
from wagate.domain.models import Me
from wagate.domain.status import SessionStatus

# --- engine → services -------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class QrCodeChanged:
    """A new QR code value to show while the session waits to be linked."""

    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedIn:
    """The session is linked to an account and connected (after a scan, a pairing code,
    or resuming a stored device)."""

    me: Me


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedOut:
    """The account removed this linked device; its credentials are gone."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionLost:
    """The connection dropped (or the engine's worker died); the engine reconnects."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionFailed:
    """The engine gave up on this session."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSeen:
    """A message in one of the session's chats: received, or sent from another device.

    Messages sent through the engine's own ``send_*`` calls are returned by those calls
    and are not reported again.
    """

    message: Message


@dataclass(frozen=True, slots=True, kw_only=True)
class AckChanged:
    """A message the session sent reached the server, the device, or was read."""

    key: MessageKey
    ack: Ack
    by: str | None = None  # who read it, in a group


@dataclass(frozen=True, slots=True, kw_only=True)
class ReactionReceived:
    """Someone reacted to a message (an empty reaction removes theirs)."""

    key: MessageKey  # the message reacted to
    reaction_id: str  # the reaction's own message id
    sender: str
    reaction: str
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenceChanged:
    """A contact's presence, or their typing state in a chat."""

    chat_id: str
    sender: str
    presence: Presence
    last_seen: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PollVoteReceived:
    """Someone voted on a poll (their whole current choice; empty = retracted)."""

    poll: MessageKey
    voter: str
    selected: tuple[str, ...]
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PollVoteFailed:
    """A vote arrived that could not be read (WhatsApp encrypts votes per poll)."""

    poll: MessageKey
    voter: str
    reason: str
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EventResponseReceived:
    """Someone answered an event invitation."""

    event: MessageKey
    responder: str
    response: EventResponse
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EventResponseFailed:
    """An answer to an event arrived that could not be read."""

    event: MessageKey
    responder: str
    reason: str
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageEdited:
    """Someone edited a message (``key`` names the edited one)."""

    key: MessageKey
    new_body: str
    sender: str
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRevoked:
    """A message was deleted for everyone; ``by`` is who deleted it."""

    key: MessageKey
    by: str
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEvent:
    """A call was offered, accepted or ended (``kind``: offer / accept / terminate)."""

    kind: str
    call_id: str
    from_: str
    is_video: bool
    timestamp: int
    reason: str | None = None  # why it ended, for "terminate"


@dataclass(frozen=True, slots=True, kw_only=True)
class LidsLearned:
    """The engine saw who is behind some ``@lid`` ids: ``(phone id, lid)`` pairs."""

    pairs: tuple[tuple[str, str], ...]


GROUP_ACTIONS = ("join", "leave", "promote", "demote")


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupParticipantsChanged:
    """People joined, left, or were promoted or demoted in a group (the session's own
    account included: ``group`` is filled when it joined)."""

    group_id: str
    action: str  # one of GROUP_ACTIONS
    participants: tuple[GroupParticipant, ...]
    by: str | None = None  # who made the change, when it was not the member themselves
    timestamp: int = 0  # seconds; 0 when the engine does not say
    group: GroupInfo | None = None
    raw: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupUpdated:
    """A group's subject, description or settings changed. ``changes`` holds only what
    changed: ``subject``, ``description``, ``announce``, ``restrict``,
    ``ephemeralSeconds``, ``inviteLink``, ``picture`` (whether it has one now),
    ``deleted``."""

    group_id: str
    changes: dict[str, Any]
    by: str | None = None
    timestamp: int = 0
    raw: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RawEngineEvent:
    """An event wagate has no model for: neonize's event name and its proto as JSON."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryReceived:
    """Past messages the phone shares after linking (stored, not announced as new)."""

    messages: tuple[Message, ...]


EngineEvent = (
    QrCodeChanged
    | LoggedIn
    | LoggedOut
    | ConnectionLost
    | ConnectionFailed
    | MessageSeen
    | AckChanged
    | ReactionReceived
    | PresenceChanged
    | PollVoteReceived
    | PollVoteFailed
    | EventResponseReceived
    | EventResponseFailed
    | MessageEdited
    | MessageRevoked
    | CallEvent
    | GroupParticipantsChanged
    | GroupUpdated
    | LidsLearned
    | RawEngineEvent
    | HistoryReceived
)


# --- services → users -------------------------------------------------------------

# Every event a webhook or WebSocket can subscribe to in this version ("*": all of them).
EVENT_NAMES = (
    "session.status",
    "message",
    "message.any",
    "message.ack",
    "message.reaction",
    "presence.update",
    "poll.vote",
    "poll.vote.failed",
    "event.response",
    "event.response.failed",
    "message.edited",
    "message.revoked",
    "call.received",
    "call.accepted",
    "call.rejected",
    "group.v2.join",
    "group.v2.leave",
    "group.v2.participants",
    "group.v2.update",
    "chat.archive",
    "label.upsert",
    "label.deleted",
    "label.chat.added",
    "label.chat.deleted",
    "engine.event",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStatusChanged:
    instance_id: str
    status: SessionStatus
    reason: str | None = None
    timestamp: int = 0  # ms


DomainEvent = SessionStatusChanged
