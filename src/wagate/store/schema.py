"""The database tables, as SQLAlchemy Core metadata.

Alembic migrations create the tables; this metadata is what the repositories query
and what ``alembic revision --autogenerate`` compares against. Timestamps are integer
milliseconds since the epoch so that both backends store them identically.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    MetaData,
    String,
    Table,
    Text,
)

# Deterministic constraint names keep migrations reproducible across backends
# (and are required for batch mode on SQLite to drop constraints by name).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

access_tokens = Table(
    "access_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("is_admin", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("instance_id", String(12), primary_key=True),
    Column("name", String(200), nullable=False),
    Column(
        "owner_token_id",
        String(32),
        ForeignKey("access_tokens.id"),
        nullable=False,
        index=True,
    ),
    Column("engine", String(32), nullable=False),
    Column("config", JSON, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("status_reason", Text, nullable=True),
    # none_as_null: an unlinked session stores SQL NULL, not the JSON text "null".
    Column("me", JSON(none_as_null=True), nullable=True),
    Column("should_run", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column(
        "instance_id",
        String(12),
        ForeignKey("sessions.instance_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("engine", String(32), nullable=False),
    Column("data", JSON, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)
