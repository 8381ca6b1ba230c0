"""Outbox table: webhook deliveries, written with their event and sent by a dispatcher.

Rows are added in the caller's transaction (so an event and its deliveries commit or
roll back together), then *claimed* by a dispatcher: a claim marks due rows
``delivering`` with a lease. A dispatcher that dies mid-delivery leaves its rows
``delivering``; once the lease runs out they are due again and another claim picks
them up, so deliveries are at least once.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from wagate.domain.clock import now_ms
from wagate.domain.webhooks import (
    Delivery,
    DeliveryStatus,
    NewDelivery,
    RetryConfig,
    RetryPolicy,
)
from wagate.store.schema import outbox

_CLAIMABLE = (DeliveryStatus.PENDING.value, DeliveryStatus.DELIVERING.value)
_REPLAYABLE = (DeliveryStatus.DEAD.value, DeliveryStatus.DELIVERED.value)


def _to_delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        event_id=row.event_id,
        instance_id=row.instance_id,
        webhook_id=row.webhook_id,
        event=row.event,
        url=row.url,
        body=row.body,
        headers={str(name): str(value) for name, value in (row.headers or {}).items()},
        hmac_key=row.hmac_key,
        retries=RetryConfig(
            policy=RetryPolicy(row.retry_policy),
            delay_seconds=int(row.retry_delay_seconds),
            attempts=int(row.retry_attempts),
        ),
        status=DeliveryStatus(row.status),
        attempts=int(row.attempts),
        next_attempt_at=int(row.next_attempt_at),
        lease_until=None if row.lease_until is None else int(row.lease_until),
        last_status_code=None if row.last_status_code is None else int(row.last_status_code),
        last_error=row.last_error,
        created_at=int(row.created_at),
        delivered_at=None if row.delivered_at is None else int(row.delivered_at),
    )


def _row_values(delivery: NewDelivery, now: int) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "instance_id": delivery.instance_id,
        "webhook_id": delivery.webhook_id,
        "event": delivery.event,
        "url": delivery.url,
        "body": delivery.body,
        "headers": dict(delivery.headers),
        "hmac_key": delivery.hmac_key,
        "retry_policy": delivery.retries.policy.value,
        "retry_delay_seconds": delivery.retries.delay_seconds,
        "retry_attempts": delivery.retries.attempts,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now if delivery.next_attempt_at is None else delivery.next_attempt_at,
        "lease_until": None,
        "last_status_code": None,
        "last_error": None,
        "created_at": now,
        "delivered_at": None,
    }


class OutboxRepository:
    """Adds, claims, settles, lists and replays webhook deliveries."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- writing ------------------------------------------------------------------

    async def add(self, conn: AsyncConnection, deliveries: Sequence[NewDelivery]) -> None:
        """Insert pending deliveries inside the caller's transaction (not committed here)."""
        if not deliveries:
            return
        now = now_ms()
        await conn.execute(outbox.insert(), [_row_values(d, now) for d in deliveries])

    async def add_now(self, deliveries: Sequence[NewDelivery]) -> None:
        """Insert pending deliveries in a transaction of their own."""
        if not deliveries:
            return
        async with self._engine.begin() as conn:
            await self.add(conn, deliveries)

    # --- dispatching --------------------------------------------------------------

    async def claim(
        self, limit: int, lease_ms: int, now: int | None = None
    ) -> builtins.list[Delivery]:
        """Atomically take up to ``limit`` due deliveries, leased for ``lease_ms``.

        Due: pending or delivering, ``next_attempt_at <= now`` and no live lease. The
        rows become ``delivering`` with ``lease_until = now + lease_ms``. Concurrent
        claims (other tasks, other processes) never return the same row: PostgreSQL
        skips rows another claim has locked, SQLite runs one writer at a time (the
        UPDATE takes the write lock before it reads).
        """
        if limit <= 0:
            return []
        now = now_ms() if now is None else now
        due = (
            select(outbox.c.id)
            .where(
                outbox.c.status.in_(_CLAIMABLE),
                outbox.c.next_attempt_at <= now,
                or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
            )
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
        )
        if self._engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        statement = (
            update(outbox)
            .where(outbox.c.id.in_(due.scalar_subquery()))
            .values(status=DeliveryStatus.DELIVERING.value, lease_until=now + lease_ms)
            .returning(*outbox.c)
        )
        async with self._engine.begin() as conn:
            rows = (await conn.execute(statement)).all()
        claimed = [_to_delivery(row) for row in rows]
        claimed.sort(key=lambda d: (d.next_attempt_at, d.id))
        return claimed

    async def release_leases(self) -> int:
        """Make every in-flight delivery due again at once; returns how many.

        Only for a server that knows no other dispatcher shares this store (a SQLite
        file): its leases are left over from a process that died mid-delivery.
        """
        statement = (
            update(outbox)
            .where(outbox.c.status == DeliveryStatus.DELIVERING.value)
            .values(status=DeliveryStatus.PENDING.value, lease_until=None)
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(statement)
        return int(result.rowcount)

    async def mark_delivered(
        self, delivery_id: str, status_code: int, now: int | None = None
    ) -> bool:
        """Record a successful attempt; False if there is no such delivery."""
        return await self.mark_delivered_many({delivery_id: status_code}, now) == 1

    async def mark_delivered_many(
        self, status_codes: dict[str, int], now: int | None = None
    ) -> int:
        """Record successful attempts of many deliveries (``{id: HTTP status}``) in one
        transaction, one statement per distinct status; returns how many rows changed."""
        now = now_ms() if now is None else now
        by_status: dict[int, list[str]] = {}
        for delivery_id, status_code in status_codes.items():
            by_status.setdefault(status_code, []).append(delivery_id)
        changed = 0
        async with self._engine.begin() as conn:
            for status_code, ids in by_status.items():
                result = await conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(ids))
                    .values(
                        status=DeliveryStatus.DELIVERED.value,
                        attempts=outbox.c.attempts + 1,
                        lease_until=None,
                        last_status_code=status_code,
                        last_error=None,
                        delivered_at=now,
                    )
                )
                changed += int(result.rowcount)
        return changed

    async def mark_failed(
        self,
        delivery_id: str,
        *,
        status_code: int | None,
        error: str,
        next_attempt_at: int | None,
    ) -> bool:
        """Record a failed attempt: retried at ``next_attempt_at``, or dead when None."""
        values: dict[str, Any] = {
            "attempts": outbox.c.attempts + 1,
            "lease_until": None,
            "last_status_code": status_code,
            "last_error": error,
        }
        if next_attempt_at is None:
            values["status"] = DeliveryStatus.DEAD.value
        else:
            values["status"] = DeliveryStatus.PENDING.value
            values["next_attempt_at"] = next_attempt_at
        return await self._update(outbox.c.id == delivery_id, **values)

    # --- reading ------------------------------------------------------------------

    async def get(self, delivery_id: str) -> Delivery | None:
        query = select(outbox).where(outbox.c.id == delivery_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _to_delivery(row)

    async def list(
        self,
        instance_id: str,
        *,
        status: DeliveryStatus | str | None = None,
        event: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[Delivery]:
        """The session's deliveries, newest first."""
        query = (
            select(outbox)
            .where(outbox.c.instance_id == instance_id)
            .order_by(outbox.c.created_at.desc(), outbox.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if status is not None:
            query = query.where(outbox.c.status == DeliveryStatus(status).value)
        if event is not None:
            query = query.where(outbox.c.event == event)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_to_delivery(row) for row in rows]

    async def count_by_status(self) -> dict[str, int]:
        """Number of deliveries per status value; statuses with no delivery are absent."""
        query = select(outbox.c.status, func.count()).group_by(outbox.c.status)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {str(status): int(count) for status, count in rows}

    # --- maintenance --------------------------------------------------------------

    async def replay(self, delivery_id: str, now: int | None = None) -> bool:
        """Send a dead or delivered delivery again, from attempt zero; False otherwise."""
        return await self._update(
            and_(outbox.c.id == delivery_id, outbox.c.status.in_(_REPLAYABLE)),
            **self._replay_values(now),
        )

    async def replay_dead(self, instance_id: str, now: int | None = None) -> int:
        """Replay every dead delivery of the session; returns how many."""
        statement = (
            update(outbox)
            .where(
                outbox.c.instance_id == instance_id,
                outbox.c.status == DeliveryStatus.DEAD.value,
            )
            .values(**self._replay_values(now))
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(statement)
        return int(result.rowcount)

    async def prune_delivered(self, older_than_ms: int) -> int:
        """Delete delivered rows whose ``delivered_at`` is before this epoch-ms instant."""
        statement = delete(outbox).where(
            outbox.c.status == DeliveryStatus.DELIVERED.value,
            outbox.c.delivered_at < older_than_ms,
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(statement)
        return int(result.rowcount)

    @staticmethod
    def _replay_values(now: int | None) -> dict[str, Any]:
        return {
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now_ms() if now is None else now,
            "lease_until": None,
            "delivered_at": None,
        }

    async def _update(self, condition: Any, **values: Any) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(update(outbox).where(condition).values(**values))
        return result.rowcount > 0
