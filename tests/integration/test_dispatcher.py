"""The webhook dispatcher against a real HTTP receiver on a local port."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from wagate.domain.clock import now_ms
from wagate.domain.webhooks import (
    Delivery,
    DeliveryStatus,
    NewDelivery,
    RetryConfig,
    RetryPolicy,
    new_event_id,
)
from wagate.events.dispatcher import WebhookDispatcher
from wagate.store import Database
from wagate_receiver import Receiver

INSTANCE = "AAAAAAAAAAAA"
KEY = "webhook-secret"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def _new(
    url: str,
    *,
    body: dict[str, object] | None = None,
    attempts: int = 3,
    delay_seconds: int = 0,
    hmac_key: str | None = KEY,
    next_attempt_at: int | None = None,
) -> NewDelivery:
    return NewDelivery(
        event_id=new_event_id(),
        instance_id=INSTANCE,
        webhook_id=None,
        event="message",
        url=url,
        # Not re-serialised anywhere: these exact bytes must arrive.
        body=json.dumps(body or {"event": "message", "payload": {"body": "héllo ✓"}}),
        headers={"X-Api-Key": "abc", "X-Webhook-Hmac": "forged"},
        hmac_key=hmac_key,
        retries=RetryConfig(
            policy=RetryPolicy.CONSTANT, delay_seconds=delay_seconds, attempts=attempts
        ),
        next_attempt_at=next_attempt_at,
    )


async def _until_delivered(database: Database, delivery_id: str) -> Delivery:
    """Poll until the background loop has delivered the row (at most 5 s)."""
    for _ in range(500):
        got = await database.outbox.get(delivery_id)
        if got is not None and got.status is DeliveryStatus.DELIVERED:
            return got
        await asyncio.sleep(0.01)
    raise AssertionError(f"{delivery_id} was not delivered")


async def test_delivers_exact_body_signed(
    database: Database, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    new = _new(receiver.url)
    await database.outbox.add_now([new])
    dispatcher = WebhookDispatcher(database.outbox, client=client)
    assert await dispatcher.deliver_due() == 1

    [request] = receiver.requests
    assert request.body == new.body.encode()
    headers = request.headers
    assert headers["content-type"] == "application/json"
    assert headers["x-webhook-request-id"] == new.event_id
    assert abs(int(headers["x-webhook-timestamp"]) - now_ms()) < 60_000
    assert headers["x-webhook-hmac-algorithm"] == "sha512"
    expected = hmac.new(KEY.encode(), request.body, hashlib.sha512).hexdigest()
    assert hmac.compare_digest(headers["x-webhook-hmac"], expected)
    assert headers["x-api-key"] == "abc"

    got = await database.outbox.get(new.id)
    assert got is not None
    assert got.status is DeliveryStatus.DELIVERED
    assert (got.attempts, got.last_status_code, got.last_error) == (1, 200, None)
    assert got.delivered_at is not None
    assert await dispatcher.deliver_due() == 0
    assert len(receiver.requests) == 1


async def test_unsigned_without_key(
    database: Database, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await database.outbox.add_now([_new(receiver.url, hmac_key=None)])
    await WebhookDispatcher(database.outbox, client=client).deliver_due()
    [request] = receiver.requests
    assert "x-webhook-hmac" not in request.headers
    assert "x-webhook-hmac-algorithm" not in request.headers


async def test_retries_until_success(
    database: Database, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    receiver.fail_next = 2
    new = _new(receiver.url, attempts=5)
    await database.outbox.add_now([new])
    dispatcher = WebhookDispatcher(database.outbox, client=client)

    assert await dispatcher.deliver_due() == 1
    got = await database.outbox.get(new.id)
    assert got is not None
    assert (got.status, got.attempts, got.last_status_code) == (DeliveryStatus.PENDING, 1, 503)
    assert got.last_error == "HTTP 503"

    for _ in range(2):
        assert await dispatcher.deliver_due() == 1
    got = await database.outbox.get(new.id)
    assert got is not None
    assert (got.status, got.attempts, got.last_status_code) == (DeliveryStatus.DELIVERED, 3, 200)
    assert len(receiver.requests) == 3
    assert {r.headers["x-webhook-request-id"] for r in receiver.requests} == {new.event_id}
    assert {r.body for r in receiver.requests} == {new.body.encode()}


async def test_retry_after_postpones_the_next_attempt(
    database: Database, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    receiver.fail_next = 1
    receiver.retry_after = "30"
    new = _new(receiver.url, delay_seconds=1)
    await database.outbox.add_now([new])
    before = now_ms()
    dispatcher = WebhookDispatcher(database.outbox, client=client)
    assert await dispatcher.deliver_due() == 1
    got = await database.outbox.get(new.id)
    assert got is not None
    assert got.status is DeliveryStatus.PENDING
    assert before + 30_000 <= got.next_attempt_at <= now_ms() + 30_000
    assert await dispatcher.deliver_due() == 0


async def test_policy_delay_when_no_retry_after(
    database: Database, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    receiver.fail_next = 1
    receiver.fail_status = 500
    receiver.retry_after = None
    new = _new(receiver.url, delay_seconds=20)
    await database.outbox.add_now([new])
    before = now_ms()
    await WebhookDispatcher(database.outbox, client=client).deliver_due()
    got = await database.outbox.get(new.id)
    assert got is not None
    assert got.last_status_code == 500
    assert before + 20_000 <= got.next_attempt_at <= now_ms() + 20_000


async def test_dead_after_attempts_then_replay_delivers(
    database: Database, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    receiver.fail_next = 3
    new = _new(receiver.url, attempts=3)
    await database.outbox.add_now([new])
    dispatcher = WebhookDispatcher(database.outbox, client=client)
    for _ in range(3):
        assert await dispatcher.deliver_due() == 1
    assert await dispatcher.deliver_due() == 0

    got = await database.outbox.get(new.id)
    assert got is not None
    assert (got.status, got.attempts, got.last_status_code) == (DeliveryStatus.DEAD, 3, 503)
    assert len(receiver.requests) == 3

    assert await database.outbox.replay(new.id) is True
    assert await dispatcher.deliver_due() == 1
    got = await database.outbox.get(new.id)
    assert got is not None
    assert (got.status, got.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert len(receiver.requests) == 4
    assert receiver.requests[-1].body == new.body.encode()


async def test_connection_error_is_retried(
    database: Database, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    # Port 9 (discard) on the loopback: nothing listens, the connection is refused.
    new = _new("http://127.0.0.1:9/hook", attempts=2)
    await database.outbox.add_now([new])
    dispatcher = WebhookDispatcher(database.outbox, client=client)
    assert await dispatcher.deliver_due() == 1
    got = await database.outbox.get(new.id)
    assert got is not None
    assert got.status is DeliveryStatus.PENDING
    assert got.last_status_code is None
    assert got.last_error is not None
    assert got.last_error.startswith("ConnectError")
    assert await dispatcher.deliver_due() == 1
    got = await database.outbox.get(new.id)
    assert got is not None
    assert (got.status, got.attempts) == (DeliveryStatus.DEAD, 2)


async def test_timeout_is_a_failed_attempt(
    database: Database, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    receiver.delay_seconds = 0.5
    new = _new(receiver.url, attempts=1)
    await database.outbox.add_now([new])
    dispatcher = WebhookDispatcher(database.outbox, client=client, timeout_seconds=0.1)
    assert await dispatcher.deliver_due() == 1
    got = await database.outbox.get(new.id)
    assert got is not None
    assert got.status is DeliveryStatus.DEAD
    assert got.last_error is not None
    assert got.last_error.startswith("ReadTimeout")


async def test_crashed_delivery_is_sent_by_a_fresh_dispatcher(
    database: Database, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    """A process claimed rows and died: once the lease expires, they are delivered."""
    now = now_ms()
    crashed = _new(receiver.url, next_attempt_at=now - 10_000)
    leased = _new(receiver.url, next_attempt_at=now - 10_000)
    await database.outbox.add_now([leased])
    # A live process holds this one for a minute.
    [held] = await database.outbox.claim(10, 60_000)
    assert held.id == leased.id
    await database.outbox.add_now([crashed])
    # The dead process claimed this one 5 s ago with a 1 s lease.
    [claimed] = await database.outbox.claim(10, 1_000, now=now - 5_000)
    assert claimed.id == crashed.id

    stored = await database.outbox.get(crashed.id)
    assert stored is not None
    assert stored.status is DeliveryStatus.DELIVERING

    fresh = WebhookDispatcher(database.outbox, client=client)
    assert await fresh.deliver_due() == 1
    got = await database.outbox.get(crashed.id)
    assert got is not None
    assert got.status is DeliveryStatus.DELIVERED
    [request] = receiver.requests
    assert request.headers["x-webhook-request-id"] == crashed.event_id
    still = await database.outbox.get(leased.id)
    assert still is not None
    assert still.status is DeliveryStatus.DELIVERING


async def test_background_loop_sends_on_wake(database: Database, receiver: Receiver) -> None:
    # A long poll interval: only wake() can explain a prompt delivery.
    dispatcher = WebhookDispatcher(database.outbox, poll_interval=30)
    dispatcher.start()
    try:
        assert dispatcher.running
        await asyncio.sleep(0.05)  # let the first (empty) pass finish and go idle
        new = _new(receiver.url)
        await database.outbox.add_now([new])
        dispatcher.wake()
        async with asyncio.timeout(5):
            await receiver.arrived.wait()
        await _until_delivered(database, new.id)
    finally:
        await dispatcher.stop()
    assert not dispatcher.running
    assert [r.body for r in receiver.requests] == [new.body.encode()]


async def test_background_loop_retries_and_stops_cleanly(
    database: Database, receiver: Receiver
) -> None:
    receiver.fail_next = 2
    new = _new(receiver.url, attempts=5)
    await database.outbox.add_now([new])
    dispatcher = WebhookDispatcher(database.outbox, poll_interval=0.01, concurrency=2, batch=4)
    dispatcher.start()
    with pytest.raises(RuntimeError, match="already started"):
        dispatcher.start()
    try:
        got = await _until_delivered(database, new.id)
    finally:
        await dispatcher.stop()
    await dispatcher.stop()  # stopping twice is harmless
    assert got.attempts == 3
    assert len(receiver.requests) == 3


async def test_many_deliveries_concurrently(
    database: Database, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    news = [_new(receiver.url, body={"n": i}) for i in range(10)]
    await database.outbox.add_now(news)
    dispatcher = WebhookDispatcher(database.outbox, client=client, batch=4, concurrency=2)
    total = 0
    while sent := await dispatcher.deliver_due():
        total += sent
    assert total == 10
    assert sorted(r.body for r in receiver.requests) == sorted(n.body.encode() for n in news)
    assert await database.outbox.count_by_status() == {"delivered": 10}


def test_lease_must_outlast_the_timeout(database: Database) -> None:
    with pytest.raises(ValueError, match="lease_ms"):
        WebhookDispatcher(database.outbox, lease_ms=1_000, timeout_seconds=5)
    with pytest.raises(ValueError, match="concurrency"):
        WebhookDispatcher(database.outbox, concurrency=0)
