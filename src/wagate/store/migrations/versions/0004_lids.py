"""Each session's phone id ↔ @lid pairs, as the engine learns them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lids",
        sa.Column("instance_id", sa.String(12), nullable=False),
        sa.Column("lid", sa.String(128), nullable=False),
        sa.Column("phone", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["sessions.instance_id"],
            name=op.f("fk_lids_instance_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instance_id", "lid", name=op.f("pk_lids")),
    )
    op.create_index("ix_lids_instance_id_phone", "lids", ["instance_id", "phone"])


def downgrade() -> None:
    op.drop_index("ix_lids_instance_id_phone", table_name="lids")
    op.drop_table("lids")
