"""``INSERT … ON CONFLICT DO UPDATE`` in the dialect at hand (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def upsert(
    dialect: str,
    table: Table,
    values: dict[str, Any],
    *,
    keys: Sequence[str],
    changes: dict[str, Any],
) -> Insert:
    """Insert ``values``; if a row with the same ``keys`` exists, apply ``changes``."""
    if dialect == "postgresql":
        pg = postgresql.insert(table).values(values)
        return pg.on_conflict_do_update(index_elements=list(keys), set_=changes)
    if dialect == "sqlite":
        lite = sqlite.insert(table).values(values)
        return lite.on_conflict_do_update(index_elements=list(keys), set_=changes)
    raise NotImplementedError(f"no upsert for the {dialect} dialect")
