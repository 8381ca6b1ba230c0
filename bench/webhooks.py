"""Webhook delivery: events/s from the outbox to a local receiver, against a raw POST loop.

The receiver is a minimal ASGI app in its own process. The baseline posts the same
bodies with httpx at the dispatcher's concurrency; the measured path writes N outbox rows
(SQLite) and lets a ``WebhookDispatcher`` deliver them. Then events are published
through the real ``EventPipeline`` at a steady RATE per second and the receiver records
each delivery's delay from publication. Targets (issue 3): at least 50 % of the
baseline's throughput; report the p99 delay at 200 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from common import free_port, percentile, report, spawn, stop

from wagate.domain.models import AccessToken, Session
from wagate.domain.webhooks import NewDelivery, new_event_id
from wagate.events.dispatcher import WebhookDispatcher
from wagate.events.hub import EventHub
from wagate.events.pipeline import EventPipeline, GlobalWebhook, encode
from wagate.store import Database

CONCURRENCY = 16
INSTANCE = "BENCH0000001"


def body(n: int) -> str:
    return encode(
        {"id": new_event_id(), "event": "message", "payload": {"n": n, "body": "x" * 200}}
    )


async def baseline(url: str, count: int) -> float:
    """Events/s of a plain POST loop with the dispatcher's concurrency."""
    bodies = [body(n).encode() for n in range(count)]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    async with httpx.AsyncClient(timeout=10) as client:

        async def worker() -> None:
            while not queue.empty():
                content = queue.get_nowait()
                response = await client.post(
                    url, content=content, headers={"Content-Type": "application/json"}
                )
                response.raise_for_status()

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return count / (time.perf_counter() - began)


async def received(base: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        stats: dict[str, Any] = (await client.get(f"{base}/stats")).json()
        return stats


async def reset(base: str) -> None:
    async with httpx.AsyncClient() as client:
        await client.post(f"{base}/reset")


async def wait_count(base: str, count: int) -> None:
    while True:
        if (await received(base))["count"] >= count:
            return
        await asyncio.sleep(0.02)


async def dispatcher_throughput(database: Database, base: str, count: int) -> float:
    """Events/s from a full outbox to the receiver."""
    await database.outbox.add_now(
        [
            NewDelivery(
                event_id=new_event_id(),
                instance_id=INSTANCE,
                webhook_id=None,
                event="message",
                url=f"{base}/hook",
                body=body(n),
            )
            for n in range(count)
        ]
    )
    dispatcher = WebhookDispatcher(database.outbox, concurrency=CONCURRENCY)
    began = time.perf_counter()
    dispatcher.start()
    try:
        await wait_count(base, count)
    finally:
        await dispatcher.stop()
    return count / (time.perf_counter() - began)


async def steady_delay(database: Database, base: str, rate: int, seconds: float) -> list[float]:
    """Delays (ms) from publishing an event to its delivery at ``rate`` events/s."""
    session = await bench_session(database)
    dispatcher = WebhookDispatcher(database.outbox, concurrency=CONCURRENCY)
    pipeline = EventPipeline(
        database,
        EventHub(),
        global_webhook=GlobalWebhook(url=f"{base}/hook", events=frozenset({"*"})),
        wake=dispatcher.wake,
    )
    total = int(rate * seconds)
    dispatcher.start()
    try:
        began = time.perf_counter()
        for n in range(total):
            await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
            await pipeline.publish(session, [("message", {"n": n, "t": time.time() * 1000})])
        await wait_count(base, total)
    finally:
        await dispatcher.stop()
    delays: list[float] = (await received(base))["delays"]
    return delays


async def bench_session(database: Database) -> Session:
    token: AccessToken = await database.tokens.create(
        name="bench", token_hash="0" * 64, is_admin=True
    )
    session = Session(instance_id=INSTANCE, name="bench", owner_token_id=token.id, engine="sandbox")
    await database.sessions.create(session)
    return session


async def run(count: int, rate: int, seconds: float, base: str, data_dir: str) -> None:
    await baseline(f"{base}/hook", 200)  # warm-up
    await reset(base)
    raw = await baseline(f"{base}/hook", count)
    await reset(base)
    database = Database(f"sqlite+aiosqlite:///{data_dir}/bench.db")
    try:
        await database.migrate()
        delivered = await dispatcher_throughput(database, base, count)
        await reset(base)
        delays = await steady_delay(database, base, rate, seconds)
    finally:
        await database.dispose()
    ratio = delivered / raw
    report(
        f"webhook delivery ({count} events, concurrency {CONCURRENCY}, SQLite outbox)",
        [
            ("baseline (raw POST loop)", f"{raw:8.0f} events/s"),
            ("outbox → dispatcher", f"{delivered:8.0f} events/s"),
            (
                "ratio dispatcher / baseline",
                f"{ratio:8.1%}  (target >= 50 %: {'met' if ratio >= 0.5 else 'NOT met'})",
            ),
            (
                f"delay at {rate} events/s",
                f"p50 {percentile(delays, 50):.1f} ms  p99 {percentile(delays, 99):.1f} ms"
                f"  ({len(delays)} events)",
            ),
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    receiver = spawn([str(Path(__file__).parent / "receiver.py"), str(port)], f"{base}/stats")
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            asyncio.run(run(args.events, args.rate, args.seconds, base, data_dir))
    finally:
        stop(receiver)


if __name__ == "__main__":
    main()
