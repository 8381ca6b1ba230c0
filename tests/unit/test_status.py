"""The session status machine: which moves are allowed."""

from __future__ import annotations

import itertools

import pytest

from wagate.domain.status import RUNNING, TRANSITIONS, SessionStatus, can_transition

S = SessionStatus
ALL = list(SessionStatus)


def test_the_statuses_are_the_documented_strings() -> None:
    assert [s.value for s in ALL] == [
        "STOPPED",
        "STARTING",
        "SCAN_QR_CODE",
        "WORKING",
        "FAILED",
    ]
    assert S.WORKING == "WORKING"


def test_the_table_covers_every_status() -> None:
    assert set(TRANSITIONS) == set(ALL)
    for targets in TRANSITIONS.values():
        assert targets <= set(ALL)


@pytest.mark.parametrize("status", ALL)
def test_can_transition_agrees_with_the_table_for_every_pair(status: SessionStatus) -> None:
    for target in ALL:
        assert can_transition(status, target) is (target in TRANSITIONS[status])


def test_no_status_transitions_to_itself() -> None:
    for status in ALL:
        assert not can_transition(status, status), status


def test_the_happy_path_is_allowed() -> None:
    path = [S.STOPPED, S.STARTING, S.SCAN_QR_CODE, S.WORKING]
    for current, target in itertools.pairwise(path):
        assert can_transition(current, target), f"{current} -> {target}"


def test_a_session_with_saved_credentials_may_start_straight_to_working() -> None:
    assert can_transition(S.STARTING, S.WORKING)


@pytest.mark.parametrize("status", [S.STARTING, S.SCAN_QR_CODE, S.WORKING, S.FAILED])
def test_every_status_but_stopped_can_be_stopped(status: SessionStatus) -> None:
    assert can_transition(status, S.STOPPED)


@pytest.mark.parametrize("status", sorted(RUNNING))
def test_a_running_session_can_fail(status: SessionStatus) -> None:
    assert can_transition(status, S.FAILED)


@pytest.mark.parametrize("target", [S.SCAN_QR_CODE, S.WORKING, S.FAILED, S.STOPPED])
def test_a_stopped_session_can_only_start(target: SessionStatus) -> None:
    assert not can_transition(S.STOPPED, target)
    assert can_transition(S.STOPPED, S.STARTING)


@pytest.mark.parametrize("target", [S.WORKING, S.SCAN_QR_CODE, S.FAILED])
def test_a_failed_session_must_be_restarted_or_stopped(target: SessionStatus) -> None:
    assert not can_transition(S.FAILED, target)
    assert can_transition(S.FAILED, S.STARTING)
    assert can_transition(S.FAILED, S.STOPPED)


@pytest.mark.parametrize("status", [S.SCAN_QR_CODE, S.WORKING])
def test_a_linked_or_waiting_session_can_restart(status: SessionStatus) -> None:
    assert can_transition(status, S.STARTING)


def test_a_working_session_that_logs_out_goes_back_to_the_qr_code() -> None:
    assert can_transition(S.WORKING, S.SCAN_QR_CODE)


def test_running_is_the_three_live_statuses() -> None:
    assert frozenset({S.STARTING, S.SCAN_QR_CODE, S.WORKING}) == RUNNING
    assert S.STOPPED not in RUNNING
    assert S.FAILED not in RUNNING
