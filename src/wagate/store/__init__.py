"""Persistence: the database, its schema, migrations and repositories."""

from wagate.store.database import Database

__all__ = ["Database"]
