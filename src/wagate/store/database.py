"""The database handle: one async engine, its repositories, and migrations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from wagate.store.repositories import DeviceRepository, SessionRepository, TokenRepository
from wagate.store.repositories.chats import ChatRepository
from wagate.store.repositories.labels import LabelRepository
from wagate.store.repositories.lids import LidRepository
from wagate.store.repositories.messages import MessageRepository
from wagate.store.repositories.outbox import OutboxRepository
from wagate.store.repositories.webhooks import WebhookRepository

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# A health check must answer even when the database host is black-holed.
PING_TIMEOUT_SECONDS = 5.0

# WAL lets readers run while the gateway writes; busy_timeout waits out short write
# locks instead of failing; NORMAL sync is durable enough with WAL and much faster.
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


class Database:
    """Owns the async engine; create one per process and ``dispose()`` it on shutdown.

    ``url`` is already normalised: ``sqlite+aiosqlite:///path`` or
    ``postgresql+asyncpg://...``. ``connect_args`` go to the DB-API driver (tests use
    them to pin a PostgreSQL ``search_path``).
    """

    def __init__(self, url: str, *, connect_args: dict[str, Any] | None = None) -> None:
        parsed = make_url(url)
        self.dialect: str = parsed.get_backend_name()
        if self.dialect == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(
            parsed, connect_args=connect_args or {}, pool_pre_ping=self.dialect != "sqlite"
        )
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _set_sqlite_pragmas)
        self._disposed = False
        self.tokens = TokenRepository(self.engine)
        self.sessions = SessionRepository(self.engine)
        self.devices = DeviceRepository(self.engine)
        self.webhooks = WebhookRepository(self.engine)
        self.outbox = OutboxRepository(self.engine)
        self.messages = MessageRepository(self.engine)
        self.lids = LidRepository(self.engine)
        self.chats = ChatRepository(self.engine)
        self.labels = LabelRepository(self.engine)

    async def migrate(self) -> None:
        """Upgrade the schema to the newest Alembic revision (a no-op when current)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(self._upgrade)

    @staticmethod
    def _upgrade(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async def ping(self) -> bool:
        """Whether the database answers ``SELECT 1`` within a few seconds.

        Never raises, so health checks can report rather than crash. After
        :meth:`dispose` it is False: SQLAlchemy would silently open a new pool, but a
        disposed database is shut down as far as the gateway is concerned.
        """
        if self._disposed:
            return False
        try:
            async with asyncio.timeout(PING_TIMEOUT_SECONDS), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        """Close every pooled connection; call once, at shutdown."""
        self._disposed = True
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection inside a transaction: committed on success, rolled back on error."""
        async with self.engine.begin() as conn:
            yield conn
