"""Initial schema: access tokens, sessions and device credentials.

Revision ID: 0001
Revises:
Create Date: 2024-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_access_tokens_token_hash")),
    )
    op.create_table(
        "sessions",
        sa.Column("instance_id", sa.String(12), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner_token_id", sa.String(32), nullable=False),
        sa.Column("engine", sa.String(32), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("me", sa.JSON(), nullable=True),
        sa.Column("should_run", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_sessions")),
        sa.ForeignKeyConstraint(
            ["owner_token_id"],
            ["access_tokens.id"],
            name=op.f("fk_sessions_owner_token_id_access_tokens"),
        ),
    )
    op.create_index(op.f("ix_sessions_owner_token_id"), "sessions", ["owner_token_id"])
    op.create_index(op.f("ix_sessions_status"), "sessions", ["status"])
    op.create_table(
        "devices",
        sa.Column("instance_id", sa.String(12), nullable=False),
        sa.Column("engine", sa.String(32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_devices")),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["sessions.instance_id"],
            name=op.f("fk_devices_instance_id_sessions"),
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("devices")
    op.drop_index(op.f("ix_sessions_status"), table_name="sessions")
    op.drop_index(op.f("ix_sessions_owner_token_id"), table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("access_tokens")
