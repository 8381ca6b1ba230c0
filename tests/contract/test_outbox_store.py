"""The webhook and outbox repositories behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from wagate.domain.models import Session
from wagate.domain.webhooks import (
    DeliveryStatus,
    NewDelivery,
    RetryConfig,
    RetryPolicy,
    Webhook,
    new_event_id,
)
from wagate.store import Database
from wagate.store.schema import outbox

INSTANCE = "AAAAAAAAAAAA"
OTHER = "BBBBBBBBBBBB"
T0 = 1_000_000


async def _session(db: Database, instance_id: str = INSTANCE) -> None:
    token = await db.tokens.create(
        name=instance_id, token_hash=instance_id.ljust(64, "0"), is_admin=False
    )
    await db.sessions.create(
        Session(instance_id=instance_id, name="s", owner_token_id=token.id, engine="fake")
    )


def _new(
    *,
    instance_id: str = INSTANCE,
    event: str = "message",
    at: int = T0,
    body: str = '{"event":"message"}',
    attempts: int = 3,
) -> NewDelivery:
    return NewDelivery(
        event_id=new_event_id(),
        instance_id=instance_id,
        webhook_id=None,
        event=event,
        url="http://127.0.0.1:9/hook",
        body=body,
        headers={"X-Custom": "1"},
        hmac_key="secret",
        retries=RetryConfig(policy=RetryPolicy.LINEAR, delay_seconds=5, attempts=attempts),
        next_attempt_at=at,
    )


# --- webhooks ---------------------------------------------------------------


async def test_webhook_create_get_list(database: Database) -> None:
    await _session(database)
    await _session(database, OTHER)
    first = await database.webhooks.create(
        INSTANCE,
        url="https://example.test/a",
        events=["message", "session.status"],
        hmac_key="k",
        retries=RetryConfig(policy=RetryPolicy.EXPONENTIAL, delay_seconds=3, attempts=7),
        custom_headers=[("X-A", "1"), ("X-B", "two")],
    )
    second = await database.webhooks.create(INSTANCE, url="https://example.test/b", events=["*"])
    await database.webhooks.create(OTHER, url="https://example.test/c", events=["message"])

    assert re.fullmatch(r"wh_[a-z0-9]{12}", first.id)
    assert first.events == ("message", "session.status")
    assert first.custom_headers == (("X-A", "1"), ("X-B", "two"))
    assert first.retries == RetryConfig(policy=RetryPolicy.EXPONENTIAL, delay_seconds=3, attempts=7)
    assert first.created_at == first.updated_at > 0
    assert second.hmac_key is None
    assert second.retries == RetryConfig()
    assert await database.webhooks.get(first.id) == first
    assert await database.webhooks.get("wh_missing") is None
    listed = await database.webhooks.list(INSTANCE)
    assert sorted(w.id for w in listed) == sorted([first.id, second.id])
    assert await database.webhooks.list("CCCCCCCCCCCC") == []


async def test_webhook_update_and_delete(database: Database) -> None:
    await _session(database)
    hook = await database.webhooks.create(
        INSTANCE, url="https://example.test/a", events=["message"], hmac_key="k"
    )
    updated = await database.webhooks.update(hook.id, url="https://example.test/new")
    assert isinstance(updated, Webhook)
    assert updated.url == "https://example.test/new"
    assert updated.hmac_key == "k"
    assert updated.events == ("message",)
    assert updated.updated_at >= hook.updated_at

    updated = await database.webhooks.update(
        hook.id,
        hmac_key=None,
        events=["a", "b"],
        retries=RetryConfig(policy=RetryPolicy.LINEAR, delay_seconds=1, attempts=2),
        custom_headers=[("X-Z", "z")],
    )
    assert updated is not None
    assert updated.hmac_key is None
    assert updated.events == ("a", "b")
    assert updated.retries.policy is RetryPolicy.LINEAR
    assert updated.custom_headers == (("X-Z", "z"),)
    assert await database.webhooks.get(hook.id) == updated
    assert await database.webhooks.update("wh_missing", url="x") is None

    assert await database.webhooks.delete(hook.id) is True
    assert await database.webhooks.delete(hook.id) is False
    assert await database.webhooks.get(hook.id) is None


async def test_webhook_needs_a_session(database: Database) -> None:
    with pytest.raises(IntegrityError):
        await database.webhooks.create("ZZZZZZZZZZZZ", url="https://x.test", events=["*"])


async def test_webhooks_cascade_with_session(database: Database) -> None:
    await _session(database)
    await _session(database, OTHER)
    gone = await database.webhooks.create(INSTANCE, url="https://x.test", events=["*"])
    kept = await database.webhooks.create(OTHER, url="https://y.test", events=["*"])
    await database.outbox.add_now([_new()])
    assert await database.sessions.delete(INSTANCE) is True
    assert await database.webhooks.get(gone.id) is None
    assert await database.webhooks.get(kept.id) == kept
    # Deliveries outlive the session.
    assert len(await database.outbox.list(INSTANCE)) == 1


# --- outbox: adding ---------------------------------------------------------


async def test_add_round_trips(database: Database) -> None:
    new = _new(body='{"text":"héllo ✓","n":1}')
    await database.outbox.add_now([new])
    got = await database.outbox.get(new.id)
    assert got is not None
    assert re.fullmatch(r"dlv_[0-9a-z]{26}", got.id)
    assert got.event_id == new.event_id
    assert got.body == new.body
    assert got.headers == {"X-Custom": "1"}
    assert got.hmac_key == "secret"
    assert got.retries == new.retries
    assert got.status is DeliveryStatus.PENDING
    assert got.attempts == 0
    assert got.next_attempt_at == T0
    assert got.lease_until is None
    assert got.delivered_at is None
    assert got.created_at > 0
    assert await database.outbox.get("dlv_missing") is None


async def test_add_for_webhook(database: Database) -> None:
    await _session(database)
    hook = await database.webhooks.create(
        INSTANCE,
        url="https://example.test/a",
        events=["message"],
        hmac_key="k",
        custom_headers=[("X-A", "1")],
    )
    new = NewDelivery.for_webhook(hook, event_id="evt_1", event="message", body="{}")
    await database.outbox.add_now([new])
    got = await database.outbox.get(new.id)
    assert got is not None
    assert (got.webhook_id, got.url, got.hmac_key) == (hook.id, hook.url, "k")
    assert got.headers == {"X-A": "1"}
    assert got.retries == hook.retries
    assert got.next_attempt_at >= got.created_at  # due at once


async def test_add_commits_with_the_callers_transaction(database: Database) -> None:
    first, second = _new(), _new()
    async with database.transaction() as conn:
        await database.outbox.add(conn, [first, second])
        await database.outbox.add(conn, [])
    assert await database.outbox.get(first.id) is not None
    assert await database.outbox.get(second.id) is not None


async def test_add_rolls_back_with_the_callers_transaction(database: Database) -> None:
    new = _new()

    async def add_then_fail() -> None:
        async with database.transaction() as conn:
            await database.outbox.add(conn, [new])
            raise RuntimeError("event not stored")

    with pytest.raises(RuntimeError, match="event not stored"):
        await add_then_fail()
    assert await database.outbox.get(new.id) is None
    async with database.transaction() as conn:
        assert await conn.scalar(select(func.count()).select_from(outbox)) == 0


# --- outbox: claiming -------------------------------------------------------


async def test_claim_takes_due_rows_in_order(database: Database) -> None:
    late = _new(at=T0 + 500)
    early = _new(at=T0 - 500)
    now = _new(at=T0)
    future = _new(at=T0 + 10_000)
    await database.outbox.add_now([late, future, now, early])

    claimed = await database.outbox.claim(10, 1_000, now=T0 + 500)
    assert [d.id for d in claimed] == [early.id, now.id, late.id]
    assert all(d.status is DeliveryStatus.DELIVERING for d in claimed)
    assert all(d.lease_until == T0 + 1_500 for d in claimed)
    stored = await database.outbox.get(early.id)
    assert stored is not None
    assert stored.status is DeliveryStatus.DELIVERING
    assert stored.lease_until == T0 + 1_500

    # Leased rows are not claimed again, the future one is not yet due.
    assert await database.outbox.claim(10, 1_000, now=T0 + 1_000) == []
    assert await database.outbox.claim(0, 1_000, now=T0 + 10_000) == []


async def test_claim_respects_limit(database: Database) -> None:
    rows = [_new(at=T0 + i) for i in range(5)]
    await database.outbox.add_now(rows)
    first = await database.outbox.claim(2, 1_000, now=T0 + 10)
    second = await database.outbox.claim(2, 1_000, now=T0 + 10)
    third = await database.outbox.claim(2, 1_000, now=T0 + 10)
    assert [d.id for d in first + second + third] == [r.id for r in rows]
    assert len(third) == 1


async def test_expired_lease_is_claimed_again(database: Database) -> None:
    """A dispatcher that died mid-delivery leaves 'delivering' rows; they come back."""
    new = _new()
    await database.outbox.add_now([new])
    [claimed] = await database.outbox.claim(10, 1_000, now=T0)
    assert await database.outbox.claim(10, 1_000, now=T0 + 1_000) == []  # lease still held
    [again] = await database.outbox.claim(10, 1_000, now=T0 + 1_001)
    assert again.id == claimed.id
    assert again.lease_until == T0 + 2_001
    assert again.attempts == 0


async def test_concurrent_claims_never_share_a_row(database: Database) -> None:
    await database.outbox.add_now([_new(at=T0 + i) for i in range(40)])
    for _ in range(3):
        results = await asyncio.gather(
            *(database.outbox.claim(7, 60_000, now=T0 + 100) for _ in range(4))
        )
        ids = [d.id for result in results for d in result]
        assert len(ids) == len(set(ids))
    everything = await database.outbox.list(INSTANCE, limit=100)
    assert all(d.status is DeliveryStatus.DELIVERING for d in everything)
    assert len(everything) == 40


async def test_claim_does_not_return_settled_rows(database: Database) -> None:
    delivered, dead = _new(), _new()
    await database.outbox.add_now([delivered, dead])
    await database.outbox.claim(10, 1, now=T0)
    assert await database.outbox.mark_delivered(delivered.id, 200, now=T0 + 1) is True
    assert await database.outbox.mark_failed(
        dead.id, status_code=500, error="HTTP 500", next_attempt_at=None
    )
    assert await database.outbox.claim(10, 1, now=T0 + 1_000_000) == []


# --- outbox: settling -------------------------------------------------------


async def test_mark_delivered(database: Database) -> None:
    new = _new()
    await database.outbox.add_now([new])
    await database.outbox.claim(10, 1_000, now=T0)
    assert await database.outbox.mark_delivered(new.id, 204, now=T0 + 5) is True
    got = await database.outbox.get(new.id)
    assert got is not None
    assert got.status is DeliveryStatus.DELIVERED
    assert got.attempts == 1
    assert got.last_status_code == 204
    assert got.delivered_at == T0 + 5
    assert got.lease_until is None
    assert await database.outbox.mark_delivered("dlv_missing", 200) is False


async def test_mark_failed_then_dead(database: Database) -> None:
    new = _new()
    await database.outbox.add_now([new])
    await database.outbox.claim(10, 1_000, now=T0)
    assert await database.outbox.mark_failed(
        new.id, status_code=503, error="HTTP 503", next_attempt_at=T0 + 7_000
    )
    got = await database.outbox.get(new.id)
    assert got is not None
    assert got.status is DeliveryStatus.PENDING
    assert (got.attempts, got.next_attempt_at, got.lease_until) == (1, T0 + 7_000, None)
    assert (got.last_status_code, got.last_error) == (503, "HTTP 503")
    assert await database.outbox.claim(10, 1_000, now=T0 + 6_999) == []
    assert [d.id for d in await database.outbox.claim(10, 1_000, now=T0 + 7_000)] == [new.id]

    await database.outbox.mark_failed(
        new.id, status_code=None, error="ConnectError: refused", next_attempt_at=None
    )
    got = await database.outbox.get(new.id)
    assert got is not None
    assert got.status is DeliveryStatus.DEAD
    assert got.attempts == 2
    assert got.last_status_code is None
    assert got.last_error == "ConnectError: refused"
    assert got.next_attempt_at == T0 + 7_000
    assert not await database.outbox.mark_failed(
        "dlv_missing", status_code=None, error="x", next_attempt_at=None
    )


async def test_replay(database: Database) -> None:
    dead, delivered, pending = _new(), _new(), _new()
    await database.outbox.add_now([dead, delivered, pending])
    await database.outbox.mark_failed(dead.id, status_code=500, error="e", next_attempt_at=None)
    await database.outbox.mark_delivered(delivered.id, 200, now=T0)

    assert await database.outbox.replay(pending.id) is False
    assert await database.outbox.replay("dlv_missing") is False
    assert await database.outbox.replay(dead.id, now=T0 + 50) is True
    assert await database.outbox.replay(delivered.id, now=T0 + 60) is True
    for delivery_id, at in ((dead.id, T0 + 50), (delivered.id, T0 + 60)):
        got = await database.outbox.get(delivery_id)
        assert got is not None
        assert got.status is DeliveryStatus.PENDING
        assert (got.attempts, got.next_attempt_at, got.delivered_at) == (0, at, None)
    claimed = await database.outbox.claim(10, 1_000, now=T0 + 60)
    assert {d.id for d in claimed} == {dead.id, delivered.id, pending.id}


async def test_replay_dead(database: Database) -> None:
    dead = [_new(), _new()]
    other_dead = _new(instance_id=OTHER)
    alive = _new()
    await database.outbox.add_now([*dead, other_dead, alive])
    for new in (*dead, other_dead):
        await database.outbox.mark_failed(new.id, status_code=None, error="e", next_attempt_at=None)
    assert await database.outbox.replay_dead(INSTANCE, now=T0 + 1) == 2
    assert await database.outbox.replay_dead(INSTANCE) == 0
    assert await database.outbox.count_by_status() == {"pending": 3, "dead": 1}
    got = await database.outbox.get(dead[0].id)
    assert got is not None
    assert (got.status, got.attempts, got.next_attempt_at) == (DeliveryStatus.PENDING, 0, T0 + 1)


async def test_prune_delivered(database: Database) -> None:
    old, recent, dead = _new(), _new(), _new()
    await database.outbox.add_now([old, recent, dead])
    await database.outbox.mark_delivered(old.id, 200, now=T0)
    await database.outbox.mark_delivered(recent.id, 200, now=T0 + 10_000)
    await database.outbox.mark_failed(dead.id, status_code=None, error="e", next_attempt_at=None)
    assert await database.outbox.prune_delivered(T0 + 5_000) == 1
    assert await database.outbox.get(old.id) is None
    assert await database.outbox.get(recent.id) is not None
    assert await database.outbox.get(dead.id) is not None
    assert await database.outbox.prune_delivered(T0 + 5_000) == 0


async def test_count_by_status(database: Database) -> None:
    assert await database.outbox.count_by_status() == {}
    rows = [_new() for _ in range(4)]
    await database.outbox.add_now(rows)
    await database.outbox.claim(1, 1_000, now=T0)
    await database.outbox.mark_delivered(rows[1].id, 200)
    assert await database.outbox.count_by_status() == {
        "delivering": 1,
        "delivered": 1,
        "pending": 2,
    }


# --- outbox: listing --------------------------------------------------------


async def test_list_newest_first_with_pagination(database: Database) -> None:
    rows = []
    for _ in range(5):
        new = _new()
        await database.outbox.add_now([new])
        rows.append(new)
    await database.outbox.add_now([_new(instance_id=OTHER)])
    newest_first = [r.id for r in reversed(rows)]
    assert [d.id for d in await database.outbox.list(INSTANCE)] == newest_first
    assert [d.id for d in await database.outbox.list(INSTANCE, limit=2)] == newest_first[:2]
    page = await database.outbox.list(INSTANCE, limit=2, offset=2)
    assert [d.id for d in page] == newest_first[2:4]
    assert [d.id for d in await database.outbox.list(INSTANCE, offset=4)] == newest_first[4:]
    assert await database.outbox.list(INSTANCE, offset=5) == []
    assert len(await database.outbox.list(OTHER)) == 1
    assert await database.outbox.list("CCCCCCCCCCCC") == []


async def test_list_filters(database: Database) -> None:
    message, ack, dead_message = _new(), _new(event="message.ack"), _new()
    await database.outbox.add_now([message, ack, dead_message])
    await database.outbox.mark_failed(
        dead_message.id, status_code=None, error="e", next_attempt_at=None
    )

    by_event = await database.outbox.list(INSTANCE, event="message")
    assert {d.id for d in by_event} == {message.id, dead_message.id}
    pending = await database.outbox.list(INSTANCE, status=DeliveryStatus.PENDING)
    assert {d.id for d in pending} == {message.id, ack.id}
    dead = await database.outbox.list(INSTANCE, status="dead", event="message")
    assert [d.id for d in dead] == [dead_message.id]
    assert await database.outbox.list(INSTANCE, status="dead", event="message.ack") == []


async def test_release_leases_makes_in_flight_rows_due_again(database: Database) -> None:
    await database.outbox.add_now([_new(), _new()])
    claimed = await database.outbox.claim(10, lease_ms=60_000, now=T0)
    assert len(claimed) == 2
    assert await database.outbox.claim(10, lease_ms=60_000, now=T0) == []

    assert await database.outbox.release_leases() == 2
    again = await database.outbox.claim(10, lease_ms=60_000, now=T0)
    assert {d.id for d in again} == {d.id for d in claimed}


async def test_mark_delivered_many_settles_a_batch(database: Database) -> None:
    await database.outbox.add_now([_new(), _new(), _new()])
    claimed = await database.outbox.claim(10, lease_ms=60_000, now=T0)
    codes = {claimed[0].id: 200, claimed[1].id: 204}

    assert await database.outbox.mark_delivered_many(codes, now=T0 + 5) == 2

    settled = {d.id: d for d in await database.outbox.list(INSTANCE, limit=10)}
    for delivery_id, code in codes.items():
        row = settled[delivery_id]
        assert (row.status, row.last_status_code, row.attempts) == ("delivered", code, 1)
        assert (row.delivered_at, row.lease_until) == (T0 + 5, None)
    assert settled[claimed[2].id].status == "delivering"
