"""Messages sent and received, with acks, reactions and stars.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("instance_id", sa.String(12), nullable=False),
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("from_me", sa.Boolean(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False),
        sa.Column("participant", sa.String(128), nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.Column("media_id", sa.String(32), nullable=True),
        sa.Column("ack", sa.Integer(), nullable=False),
        sa.Column("reply_to", sa.String(255), nullable=True),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("push_name", sa.String(200), nullable=True),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("reactions", sa.JSON(), nullable=False),
        sa.Column("starred", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["sessions.instance_id"],
            name=op.f("fk_messages_instance_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instance_id", "id", name=op.f("pk_messages")),
    )
    op.create_index(
        "ix_messages_instance_id_chat_id_timestamp",
        "messages",
        ["instance_id", "chat_id", "timestamp"],
    )


def downgrade() -> None:
    op.drop_index("ix_messages_instance_id_chat_id_timestamp", table_name="messages")
    op.drop_table("messages")
