"""Shared fixtures: a migrated database on each backend (SQLite always, PostgreSQL if up)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import make_url

from wagate.store import Database

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

MakeDatabase = Callable[[str], Awaitable[Database]]


def _asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL as a plain ``postgresql://`` DSN that asyncpg accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _probe(url: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=3)
    await conn.close()


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The test PostgreSQL URL; skips the test when the server does not answer.

    Synchronous, probing on a private event loop in a worker thread, so that async
    fixtures can request it lazily (``getfixturevalue``) while their loop is running.
    """
    url = os.environ.get("WAGATE_TEST_PG_URL", DEFAULT_PG_URL)
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            pool.submit(asyncio.run, _probe(url)).result()
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            pytest.skip(f"PostgreSQL not reachable at {url}: {exc!r}")
    return url


@pytest.fixture
async def make_database(
    tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[MakeDatabase]:
    """A factory for migrated databases on ``"sqlite"`` or ``"postgresql"``.

    Each PostgreSQL database lives in its own throw-away schema, so tests never see
    each other's rows; everything is disposed (and dropped) at teardown.
    """
    opened: list[Database] = []
    schemas: list[tuple[str, str]] = []

    async def make(backend: str) -> Database:
        if backend == "sqlite":
            db = Database(f"sqlite+aiosqlite:///{tmp_path / f'db{len(opened)}' / 'wagate.db'}")
        elif backend == "postgresql":
            url: str = request.getfixturevalue("pg_url")
            schema = f"wagate_t_{uuid.uuid4().hex}"
            conn = await asyncpg.connect(_asyncpg_dsn(url))
            try:
                await conn.execute(f'CREATE SCHEMA "{schema}"')
            finally:
                await conn.close()
            schemas.append((url, schema))
            db = Database(url, connect_args={"server_settings": {"search_path": schema}})
        else:
            raise ValueError(f"unknown backend {backend!r}")
        opened.append(db)
        await db.migrate()
        return db

    yield make

    for db in opened:
        await db.dispose()
    for url, schema in schemas:
        conn = await asyncpg.connect(_asyncpg_dsn(url))
        try:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, make_database: MakeDatabase) -> Database:
    """A freshly migrated database, once per backend."""
    return await make_database(request.param)
