"""Sessions table: the durable record of each WhatsApp session ("instance")."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from wagate.domain.clock import now_ms
from wagate.domain.models import Me, Session
from wagate.domain.status import SessionStatus
from wagate.store.schema import devices, sessions


def _to_session(row: Any) -> Session:
    return Session(
        instance_id=row.instance_id,
        name=row.name,
        owner_token_id=row.owner_token_id,
        engine=row.engine,
        config=dict(row.config or {}),
        status=SessionStatus(row.status),
        status_reason=row.status_reason,
        me=None if row.me is None else Me.from_json(row.me),
        should_run=bool(row.should_run),
        created_at=int(row.created_at),
        updated_at=int(row.updated_at),
    )


class SessionRepository:
    """Reads and updates session rows; every update stamps ``updated_at``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(self, session: Session) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                sessions.insert().values(
                    instance_id=session.instance_id,
                    name=session.name,
                    owner_token_id=session.owner_token_id,
                    engine=session.engine,
                    config=session.config,
                    status=session.status.value,
                    status_reason=session.status_reason,
                    me=None if session.me is None else session.me.to_json(),
                    should_run=session.should_run,
                    created_at=session.created_at,
                    updated_at=session.updated_at,
                )
            )

    async def get(self, instance_id: str) -> Session | None:
        query = select(sessions).where(sessions.c.instance_id == instance_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _to_session(row)

    async def list(self, *, owner_token_id: str | None = None) -> builtins.list[Session]:
        query = select(sessions).order_by(sessions.c.created_at, sessions.c.instance_id)
        if owner_token_id is not None:
            query = query.where(sessions.c.owner_token_id == owner_token_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_to_session(row) for row in rows]

    async def set_status(self, instance_id: str, status: SessionStatus, reason: str | None) -> None:
        await self._update(instance_id, status=status.value, status_reason=reason)

    async def set_me(self, instance_id: str, me: Me | None) -> None:
        await self._update(instance_id, me=None if me is None else me.to_json())

    async def set_should_run(self, instance_id: str, should_run: bool) -> None:
        await self._update(instance_id, should_run=should_run)

    async def delete(self, instance_id: str) -> bool:
        """Delete the session and its device credentials; False if there was no session.

        The device row is deleted explicitly: the ON DELETE CASCADE only fires where
        foreign keys are enforced, which a SQLite connection may not do.
        """
        async with self._engine.begin() as conn:
            await conn.execute(delete(devices).where(devices.c.instance_id == instance_id))
            result = await conn.execute(
                delete(sessions).where(sessions.c.instance_id == instance_id)
            )
        return result.rowcount > 0

    async def count_by_status(self) -> dict[str, int]:
        """Number of sessions per status value; statuses with no session are absent."""
        query = select(sessions.c.status, func.count()).group_by(sessions.c.status)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {str(status): int(count) for status, count in rows}

    async def _update(self, instance_id: str, **values: Any) -> None:
        statement = (
            update(sessions)
            .where(sessions.c.instance_id == instance_id)
            .values(**values, updated_at=now_ms())
        )
        async with self._engine.begin() as conn:
            await conn.execute(statement)
