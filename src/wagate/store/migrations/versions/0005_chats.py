"""Chats: one row per conversation, kept with the messages; filled from the messages
already stored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    chats = op.create_table(
        "chats",
        sa.Column("instance_id", sa.String(12), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("unread_count", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("marked_unread", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["sessions.instance_id"],
            name=op.f("fk_chats_instance_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instance_id", "chat_id", name=op.f("pk_chats")),
    )
    op.create_index("ix_chats_instance_id_timestamp", "chats", ["instance_id", "timestamp"])
    messages = sa.table(
        "messages",
        sa.column("instance_id", sa.String),
        sa.column("chat_id", sa.String),
        sa.column("timestamp", sa.BigInteger),
    )
    now = int(time.time() * 1000)
    known = sa.select(
        messages.c.instance_id,
        messages.c.chat_id,
        sa.null(),
        sa.func.max(messages.c.timestamp),
        sa.literal(0),
        sa.false(),
        sa.false(),
        sa.literal(now),
    ).group_by(messages.c.instance_id, messages.c.chat_id)
    op.execute(
        chats.insert().from_select(
            [
                "instance_id",
                "chat_id",
                "name",
                "timestamp",
                "unread_count",
                "archived",
                "marked_unread",
                "updated_at",
            ],
            known,
        )
    )


def downgrade() -> None:
    op.drop_index("ix_chats_instance_id_timestamp", table_name="chats")
    op.drop_table("chats")
