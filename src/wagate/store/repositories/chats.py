"""Chats table: one row per conversation of a session, kept up to date with its messages."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from wagate.domain.chats import Chat
from wagate.domain.clock import now_ms
from wagate.domain.messages import Message
from wagate.store.repositories.upsert import upsert
from wagate.store.schema import chats, messages

SORTS = {"id": chats.c.chat_id, "conversationTimestamp": chats.c.timestamp, "name": chats.c.name}


def _to_chat(row: Any) -> Chat:
    return Chat(
        id=row.chat_id,
        name=row.name,
        timestamp=int(row.timestamp),
        unread_count=int(row.unread_count),
        archived=bool(row.archived),
        marked_unread=bool(row.marked_unread),
    )


class ChatRepository:
    """Chats, their names, unread counts and flags. Writes that go with a message take
    the caller's transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def touch(
        self, conn: AsyncConnection, instance_id: str, message: Message, *, unread: bool
    ) -> None:
        """The chat of ``message`` had news: create it, or move its time forward, count
        one more unread message, and learn the contact's name."""
        name = _name_from(message)
        changes: dict[str, Any] = {
            "timestamp": case(
                (chats.c.timestamp < message.timestamp, message.timestamp),
                else_=chats.c.timestamp,
            ),
        }
        if unread:
            changes["unread_count"] = chats.c.unread_count + 1
        if name:
            changes["name"] = name
        new = _new_chat(
            instance_id, message.key.chat_id, message.timestamp, name=name, unread=int(unread)
        )
        await _put(conn, new, changes)

    async def set_name(
        self, conn: AsyncConnection, instance_id: str, chat_id: str, name: str, timestamp: int
    ) -> None:
        """A group's subject (creating the chat when it is new)."""
        await _put(conn, _new_chat(instance_id, chat_id, timestamp, name=name), {"name": name})

    async def set_flags(
        self,
        instance_id: str,
        chat_id: str,
        *,
        timestamp: int,
        archived: bool | None = None,
        marked_unread: bool | None = None,
        read: bool = False,
    ) -> None:
        """Change a chat's flags (creating it when the store has not seen it yet);
        ``read`` clears its unread count and mark."""
        changes: dict[str, Any] = {}
        if archived is not None:
            changes["archived"] = archived
        if marked_unread is not None:
            changes["marked_unread"] = marked_unread
        if read:
            changes.update(unread_count=0, marked_unread=False)
        new = _new_chat(
            instance_id,
            chat_id,
            timestamp,
            archived=bool(archived),
            marked_unread=bool(marked_unread),
        )
        async with self._engine.begin() as conn:
            await _put(conn, new, changes)

    async def get(self, instance_id: str, chat_id: str) -> Chat | None:
        query = select(chats).where(chats.c.instance_id == instance_id, chats.c.chat_id == chat_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _to_chat(row)

    async def list(
        self,
        instance_id: str,
        *,
        limit: int,
        offset: int,
        sort_by: str = "conversationTimestamp",
        descending: bool = True,
        ids: Sequence[str] | None = None,
    ) -> builtins.list[Chat]:
        column = SORTS[sort_by]
        order = [column.desc() if descending else column.asc(), chats.c.chat_id.asc()]
        query = select(chats).where(chats.c.instance_id == instance_id)
        if ids is not None:
            query = query.where(chats.c.chat_id.in_(list(ids)))
        query = query.order_by(*order).limit(limit).offset(offset)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_to_chat(row) for row in rows]

    async def delete(self, instance_id: str, chat_id: str) -> None:
        """Forget the chat and its messages."""
        async with self._engine.begin() as conn:
            for table in (messages, chats):
                await conn.execute(
                    delete(table).where(
                        table.c.instance_id == instance_id, table.c.chat_id == chat_id
                    )
                )

    async def clear(self, instance_id: str, chat_id: str) -> int:
        """Delete the chat's stored messages (the chat stays); how many there were."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(messages).where(
                    messages.c.instance_id == instance_id, messages.c.chat_id == chat_id
                )
            )
            await conn.execute(
                update(chats)
                .where(chats.c.instance_id == instance_id, chats.c.chat_id == chat_id)
                .values(unread_count=0, updated_at=now_ms())
            )
        return int(result.rowcount)


def _new_chat(
    instance_id: str,
    chat_id: str,
    timestamp: int,
    *,
    name: str | None = None,
    unread: int = 0,
    archived: bool = False,
    marked_unread: bool = False,
) -> dict[str, Any]:
    """The row of a chat the store does not have yet."""
    return {
        "instance_id": instance_id,
        "chat_id": chat_id,
        "name": name,
        "timestamp": timestamp,
        "unread_count": unread,
        "archived": archived,
        "marked_unread": marked_unread,
        "updated_at": now_ms(),
    }


async def _put(conn: AsyncConnection, new: dict[str, Any], changes: dict[str, Any]) -> None:
    """Insert the chat ``new``, or apply ``changes`` to the one the store has."""
    changes = {**changes, "updated_at": new["updated_at"]}
    await conn.execute(
        upsert(conn.dialect.name, chats, new, keys=["instance_id", "chat_id"], changes=changes)
    )


def _name_from(message: Message) -> str | None:
    """A direct chat is named after the contact's push name, a channel after the name
    its posts come under (a group's is its subject: see :meth:`set_name`)."""
    if message.key.from_me or message.key.chat_id.endswith("@g.us"):
        return None
    return message.push_name or None
