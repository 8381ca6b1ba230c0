"""Devices table: opaque engine credentials, one row per session.

Implements :class:`wagate.engines.base.DeviceStore`, so engines persist their login
without knowing about SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.dml import Insert

from wagate.domain.clock import now_ms
from wagate.store.schema import devices


class DeviceRepository:
    """Loads, upserts and deletes a session's device credentials."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def load(self, instance_id: str) -> dict[str, Any] | None:
        query = select(devices.c.data).where(devices.c.instance_id == instance_id)
        async with self._engine.connect() as conn:
            data = (await conn.execute(query)).scalar_one_or_none()
        return None if data is None else dict(data)

    async def save(self, instance_id: str, engine: str, data: dict[str, Any]) -> None:
        """Insert or replace the credentials in one statement (engines save often)."""
        values = {
            "instance_id": instance_id,
            "engine": engine,
            "data": data,
            "updated_at": now_ms(),
        }
        async with self._engine.begin() as conn:
            await conn.execute(self._upsert(values))

    async def delete(self, instance_id: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(devices).where(devices.c.instance_id == instance_id))

    def _upsert(self, values: dict[str, Any]) -> Insert:
        """``INSERT … ON CONFLICT (instance_id) DO UPDATE`` in the engine's dialect."""
        changes = {key: value for key, value in values.items() if key != "instance_id"}
        dialect = self._engine.dialect.name
        if dialect == "postgresql":
            pg = postgresql.insert(devices).values(values)
            return pg.on_conflict_do_update(index_elements=[devices.c.instance_id], set_=changes)
        if dialect == "sqlite":
            lite = sqlite.insert(devices).values(values)
            return lite.on_conflict_do_update(index_elements=[devices.c.instance_id], set_=changes)
        raise NotImplementedError(f"no upsert for the {dialect} dialect")
