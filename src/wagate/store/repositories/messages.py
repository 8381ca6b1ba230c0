"""Messages table: what each session sent and received, with its latest ack."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from wagate.domain.clock import now_ms
from wagate.domain.content import kind_of
from wagate.domain.content_json import content_from_json, content_to_json
from wagate.domain.messages import Ack, Message, MessageKey
from wagate.store.repositories.upsert import upsert
from wagate.store.schema import messages

REVOKED = "revoked"  # the kind of a message deleted for everyone


def _to_message(row: Any) -> Message:
    return Message(
        key=MessageKey(chat_id=row.chat_id, id=row.message_id, from_me=bool(row.from_me)),
        timestamp=int(row.timestamp),
        sender=row.sender,
        recipient=row.recipient,
        body=row.body,
        ack=Ack(row.ack),
        participant=row.participant,
        reply_to=row.reply_to,
        mentions=tuple(row.mentions or ()),
        push_name=row.push_name,
        source=row.source,
        content=content_from_json(row.content),
        media_id=row.media_id,
        revoked=row.kind == REVOKED,
    )


class MessageRepository:
    """Stores messages; writes take the caller's transaction so events commit with them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def save(self, conn: AsyncConnection, instance_id: str, message: Message) -> None:
        """Insert the message, or refresh it if it is already known (a resend, a sync)."""
        now = now_ms()
        values = {
            "instance_id": instance_id,
            "id": message.key.serialized,
            "chat_id": message.key.chat_id,
            "message_id": message.key.id,
            "from_me": message.key.from_me,
            "timestamp": message.timestamp,
            "sender": message.sender,
            "recipient": message.recipient,
            "participant": message.participant,
            "kind": kind_of(message.content),
            "body": message.body,
            "content": content_to_json(message.content),
            "media_id": message.media_id,
            "ack": int(message.ack),
            "reply_to": message.reply_to,
            "mentions": list(message.mentions),
            "push_name": message.push_name,
            "source": message.source,
            "reactions": {},
            "starred": False,
            "created_at": now,
            "updated_at": now,
        }
        refreshed = {"body": message.body, "updated_at": now}
        await conn.execute(
            upsert(
                conn.dialect.name, messages, values, keys=["instance_id", "id"], changes=refreshed
            )
        )

    async def set_ack(
        self, conn: AsyncConnection, instance_id: str, key: MessageKey, ack: Ack
    ) -> None:
        """Move the ack forward (acks may arrive out of order; READ never becomes DEVICE)."""
        column = messages.c.ack
        new_ack = case((column < int(ack), int(ack)), else_=column) if ack >= 0 else int(ack)
        await conn.execute(
            update(messages)
            .where(messages.c.instance_id == instance_id, messages.c.id == key.serialized)
            .values(ack=new_ack, updated_at=now_ms())
        )

    async def set_body(
        self, conn: AsyncConnection, instance_id: str, key: MessageKey, body: str
    ) -> None:
        """Replace the text of an edited message."""
        await conn.execute(
            update(messages)
            .where(messages.c.instance_id == instance_id, messages.c.id == key.serialized)
            .values(body=body, updated_at=now_ms())
        )

    async def set_reaction(
        self, conn: AsyncConnection, instance_id: str, key: MessageKey, sender: str, reaction: str
    ) -> None:
        """Record ``sender``'s reaction (an empty one removes it)."""
        where = and_(messages.c.instance_id == instance_id, messages.c.id == key.serialized)
        row = (await conn.execute(select(messages.c.reactions).where(where))).first()
        if row is None:
            return
        reactions = dict(row.reactions or {})
        if reaction:
            reactions[sender] = reaction
        else:
            reactions.pop(sender, None)
        await conn.execute(
            update(messages).where(where).values(reactions=reactions, updated_at=now_ms())
        )

    async def set_starred(self, instance_id: str, key: MessageKey, starred: bool) -> bool:
        """False when the message is unknown."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(messages)
                .where(messages.c.instance_id == instance_id, messages.c.id == key.serialized)
                .values(starred=starred, updated_at=now_ms())
            )
        return bool(result.rowcount)

    async def get(self, instance_id: str, key: MessageKey) -> Message | None:
        query = select(messages).where(
            messages.c.instance_id == instance_id, messages.c.id == key.serialized
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _to_message(row)

    async def details(self, instance_id: str, key: MessageKey) -> dict[str, Any] | None:
        """Reactions and star of a message (what :class:`Message` does not carry)."""
        query = select(messages.c.reactions, messages.c.starred).where(
            messages.c.instance_id == instance_id, messages.c.id == key.serialized
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return {"reactions": dict(row.reactions or {}), "starred": bool(row.starred)}

    async def list_chat(
        self,
        instance_id: str,
        chat_id: str,
        *,
        limit: int = 50,
        offset: int = 0,
        since: int | None = None,
        until: int | None = None,
        from_me: bool | None = None,
        ack: Ack | None = None,
    ) -> builtins.list[Message]:
        """The chat's messages, newest first; ``since``/``until`` bound their timestamps
        (seconds, inclusive)."""
        query = select(messages).where(
            messages.c.instance_id == instance_id, messages.c.chat_id == chat_id
        )
        if since is not None:
            query = query.where(messages.c.timestamp >= since)
        if until is not None:
            query = query.where(messages.c.timestamp <= until)
        if from_me is not None:
            query = query.where(messages.c.from_me == from_me)
        if ack is not None:
            query = query.where(messages.c.ack == int(ack))
        query = (
            query.order_by(messages.c.timestamp.desc(), messages.c.created_at.desc())
            .limit(limit)
            .offset(offset)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_to_message(row) for row in rows]

    async def last_of(self, instance_id: str, chat_ids: Sequence[str]) -> dict[str, Message]:
        """The newest message of each of these chats (that has one)."""
        if not chat_ids:
            return {}
        rank = (
            func.row_number()
            .over(
                partition_by=messages.c.chat_id,
                order_by=(messages.c.timestamp.desc(), messages.c.created_at.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(messages, rank)
            .where(messages.c.instance_id == instance_id, messages.c.chat_id.in_(list(chat_ids)))
            .subquery()
        )
        query = select(ranked).where(ranked.c.rank == 1)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {row.chat_id: _to_message(row) for row in rows}

    async def set_revoked(self, conn: AsyncConnection, instance_id: str, key: MessageKey) -> None:
        """A message deleted for everyone keeps its place, without its text or media."""
        await conn.execute(
            update(messages)
            .where(messages.c.instance_id == instance_id, messages.c.id == key.serialized)
            .values(kind=REVOKED, body="", content=None, media_id=None, updated_at=now_ms())
        )
