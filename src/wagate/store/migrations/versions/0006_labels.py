"""Labels (WhatsApp Business) and the chats they are on.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "labels",
        sa.Column("instance_id", sa.String(12), nullable=False),
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("color", sa.Integer(), nullable=False),
        sa.Column("color_hex", sa.String(7), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["sessions.instance_id"],
            name=op.f("fk_labels_instance_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instance_id", "id", name=op.f("pk_labels")),
    )
    op.create_table(
        "chat_labels",
        sa.Column("instance_id", sa.String(12), nullable=False),
        sa.Column("label_id", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id", "label_id"],
            ["labels.instance_id", "labels.id"],
            name=op.f("fk_chat_labels_instance_id_labels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instance_id", "label_id", "chat_id", name=op.f("pk_chat_labels")),
    )
    op.create_index("ix_chat_labels_instance_id_chat_id", "chat_labels", ["instance_id", "chat_id"])


def downgrade() -> None:
    op.drop_index("ix_chat_labels_instance_id_chat_id", table_name="chat_labels")
    op.drop_table("chat_labels")
    op.drop_table("labels")
