"""Labels and the chats they are on."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from wagate.domain.clock import now_ms
from wagate.domain.labels import Label
from wagate.store.schema import chat_labels, labels


def _to_label(row: Any) -> Label:
    return Label(id=row.id, name=row.name, color=int(row.color), color_hex=row.color_hex)


class LabelRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list(self, instance_id: str) -> builtins.list[Label]:
        query = select(labels).where(labels.c.instance_id == instance_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return sorted((_to_label(row) for row in rows), key=lambda label: int(label.id))

    async def get(self, instance_id: str, label_id: str) -> Label | None:
        query = select(labels).where(labels.c.instance_id == instance_id, labels.c.id == label_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _to_label(row)

    async def create(self, conn: AsyncConnection, instance_id: str, label: Label) -> Label:
        """Insert ``label`` under the next free id (its own ``id`` is ignored)."""
        taken = await conn.execute(select(labels.c.id).where(labels.c.instance_id == instance_id))
        label_id = str(max((int(row.id) for row in taken), default=0) + 1)
        await conn.execute(
            insert(labels).values(
                instance_id=instance_id,
                id=label_id,
                name=label.name,
                color=label.color,
                color_hex=label.color_hex,
                updated_at=now_ms(),
            )
        )
        return Label(id=label_id, name=label.name, color=label.color, color_hex=label.color_hex)

    async def update(self, conn: AsyncConnection, instance_id: str, label: Label) -> None:
        await conn.execute(
            update(labels)
            .where(labels.c.instance_id == instance_id, labels.c.id == label.id)
            .values(
                name=label.name, color=label.color, color_hex=label.color_hex, updated_at=now_ms()
            )
        )

    async def delete(self, conn: AsyncConnection, instance_id: str, label_id: str) -> None:
        for table, column in ((chat_labels, chat_labels.c.label_id), (labels, labels.c.id)):
            await conn.execute(
                delete(table).where(table.c.instance_id == instance_id, column == label_id)
            )

    async def chats_with(self, instance_id: str, label_id: str) -> builtins.list[str]:
        query = (
            select(chat_labels.c.chat_id)
            .where(chat_labels.c.instance_id == instance_id, chat_labels.c.label_id == label_id)
            .order_by(chat_labels.c.chat_id)
        )
        async with self._engine.connect() as conn:
            return [row.chat_id for row in (await conn.execute(query)).all()]

    async def of_chat(self, instance_id: str, chat_id: str) -> builtins.list[Label]:
        query = (
            select(labels)
            .join(
                chat_labels,
                (chat_labels.c.instance_id == labels.c.instance_id)
                & (chat_labels.c.label_id == labels.c.id),
            )
            .where(labels.c.instance_id == instance_id, chat_labels.c.chat_id == chat_id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return sorted((_to_label(row) for row in rows), key=lambda label: int(label.id))

    async def set_chat(
        self,
        conn: AsyncConnection,
        instance_id: str,
        chat_id: str,
        added: builtins.list[str],
        removed: builtins.list[str],
    ) -> None:
        if removed:
            await conn.execute(
                delete(chat_labels).where(
                    chat_labels.c.instance_id == instance_id,
                    chat_labels.c.chat_id == chat_id,
                    chat_labels.c.label_id.in_(removed),
                )
            )
        for label_id in added:
            await conn.execute(
                insert(chat_labels).values(
                    instance_id=instance_id, label_id=label_id, chat_id=chat_id
                )
            )
