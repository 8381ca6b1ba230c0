"""Events: what engines report to wagate, and what wagate reports to its users.

Engines push :data:`EngineEvent` values into an :class:`~wagate.engines.base.EventSink`;
services turn them into state changes and :data:`DomainEvent` values for webhooks.
"""

from __future__ import annotations

from dataclasses import dataclass

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
class ConnectionFailed:
    """The engine gave up on this session."""

    reason: str


EngineEvent = QrCodeChanged | LoggedIn | LoggedOut | ConnectionFailed


# --- services → users ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStatusChanged:
    instance_id: str
    status: SessionStatus
    reason: str | None = None
    timestamp: int = 0  # ms


DomainEvent = SessionStatusChanged
