"""Each session's phone id ↔ ``@lid`` pairs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from wagate.domain.clock import now_ms
from wagate.store.repositories.upsert import upsert
from wagate.store.schema import lids


class LidRepository:
    """Saves pairs (a lid belongs to one phone; the newest pair wins) and looks them up."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def save(
        self, conn: AsyncConnection, instance_id: str, pairs: Iterable[tuple[str, str]]
    ) -> None:
        """Upsert ``(phone, lid)`` pairs inside the caller's transaction."""
        now = now_ms()
        for phone, lid in pairs:
            values = {"instance_id": instance_id, "lid": lid, "phone": phone, "updated_at": now}
            changes = {"phone": phone, "updated_at": now}
            await conn.execute(
                upsert(
                    conn.dialect.name, lids, values, keys=["instance_id", "lid"], changes=changes
                )
            )

    async def lookup(self, instance_id: str, ids: Sequence[str]) -> list[tuple[str, str]]:
        """The ``(phone, lid)`` pairs that name any of ``ids`` (phone ids or lids)."""
        query = select(lids.c.phone, lids.c.lid).where(
            lids.c.instance_id == instance_id,
            or_(lids.c.lid.in_(ids), lids.c.phone.in_(ids)),
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [(row.phone, row.lid) for row in rows]

    async def list(self, instance_id: str, *, limit: int, offset: int) -> list[tuple[str, str]]:
        query = (
            select(lids.c.phone, lids.c.lid)
            .where(lids.c.instance_id == instance_id)
            .order_by(lids.c.lid)
            .limit(limit)
            .offset(offset)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [(row.phone, row.lid) for row in rows]

    async def count(self, instance_id: str) -> int:
        query = select(func.count()).select_from(lids).where(lids.c.instance_id == instance_id)
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())
