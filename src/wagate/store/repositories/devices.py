"""Devices table: opaque engine credentials, one row per session.

Implements :class:`wagate.engines.base.DeviceStore`, so engines persist their login
without knowing about SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from wagate.domain.clock import now_ms
from wagate.store.repositories.upsert import upsert
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
            changes = {key: value for key, value in values.items() if key != "instance_id"}
            await conn.execute(
                upsert(conn.dialect.name, devices, values, keys=["instance_id"], changes=changes)
            )

    async def delete(self, instance_id: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(devices).where(devices.c.instance_id == instance_id))
