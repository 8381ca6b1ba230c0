"""The session status machine: the one table of allowed transitions."""

from __future__ import annotations

from enum import StrEnum


class SessionStatus(StrEnum):
    STOPPED = "STOPPED"
    STARTING = "STARTING"
    SCAN_QR_CODE = "SCAN_QR_CODE"
    WORKING = "WORKING"
    FAILED = "FAILED"


_S = SessionStatus

# A running or failed session can be stopped; a running one can fail (the engine gave up).
# Repeating a status is not a transition: the service treats it as "no change".
TRANSITIONS: dict[SessionStatus, frozenset[SessionStatus]] = {
    _S.STOPPED: frozenset({_S.STARTING}),
    _S.STARTING: frozenset({_S.SCAN_QR_CODE, _S.WORKING, _S.STOPPED, _S.FAILED}),
    _S.SCAN_QR_CODE: frozenset({_S.WORKING, _S.STARTING, _S.STOPPED, _S.FAILED}),
    _S.WORKING: frozenset({_S.STARTING, _S.SCAN_QR_CODE, _S.STOPPED, _S.FAILED}),
    _S.FAILED: frozenset({_S.STARTING, _S.STOPPED}),
}

RUNNING = frozenset({_S.STARTING, _S.SCAN_QR_CODE, _S.WORKING})


def can_transition(current: SessionStatus, target: SessionStatus) -> bool:
    """Whether the status machine allows ``current → target``."""
    return target in TRANSITIONS[current]
