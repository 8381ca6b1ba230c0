"""Alembic environment for wagate.

The :class:`~wagate.store.database.Database` runs migrations itself, over the async
engine, and hands the sync connection in through ``config.attributes["connection"]``;
there is no alembic.ini and no URL here, so the migration always targets exactly the
database (and, on PostgreSQL, the search_path) the application uses.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from wagate.store.schema import metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode recreates tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "wagate migrations run through Database.migrate(), which provides a connection"
        )
    run_migrations(connection)


main()
