"""The store contract: every repository method behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from wagate.domain.models import Me, Session
from wagate.domain.status import SessionStatus
from wagate.store import Database
from wagate.store.database import MIGRATIONS_DIR
from wagate.store.schema import access_tokens, devices, metadata, sessions


async def _owner(db: Database, name: str = "owner") -> str:
    token = await db.tokens.create(name=name, token_hash=name.ljust(64, "0"), is_admin=False)
    return token.id


def _session(instance_id: str, owner: str, *, created_at: int = 1_000) -> Session:
    return Session(
        instance_id=instance_id,
        name=f"session {instance_id}",
        owner_token_id=owner,
        engine="fake",
        config={"webhooks": [{"url": "https://example.test/hook"}], "n": 1},
        created_at=created_at,
        updated_at=created_at,
    )


# --- database ---------------------------------------------------------------


async def test_ping_true(database: Database) -> None:
    assert await database.ping() is True


async def test_migrate_twice_is_a_noop(database: Database) -> None:
    owner = await _owner(database)
    await database.migrate()
    assert [t.id for t in await database.tokens.list(include_revoked=True)] == [owner]
    async with database.transaction() as conn:
        versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert [v[0] for v in versions] == [head]


async def test_ping_false_after_dispose(database: Database) -> None:
    await database.dispose()
    assert await database.ping() is False


async def test_ping_false_on_unreachable_server() -> None:
    db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")
    try:
        assert await db.ping() is False
    finally:
        await db.dispose()


async def test_transaction_commits(database: Database) -> None:
    async with database.transaction() as conn:
        await conn.execute(
            access_tokens.insert().values(
                id="tok_x", name="x", token_hash="x", is_admin=False, created_at=1
            )
        )
    assert await database.tokens.get("tok_x") is not None


async def test_transaction_rolls_back_on_error(database: Database) -> None:
    async def insert_then_fail() -> None:
        async with database.transaction() as conn:
            await conn.execute(
                access_tokens.insert().values(
                    id="tok_x", name="x", token_hash="x", is_admin=False, created_at=1
                )
            )
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await insert_then_fail()
    assert await database.tokens.get("tok_x") is None


async def test_sqlite_creates_directory_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "wagate.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        assert db.dialect == "sqlite"
        assert path.parent.is_dir()
        async with db.engine.connect() as conn:
            pragmas = {
                name: (await conn.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
        assert pragmas == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": 5000,
            "synchronous": 1,  # NORMAL
        }
    finally:
        await db.dispose()


# --- tokens -----------------------------------------------------------------


async def test_token_create_and_find(database: Database) -> None:
    token = await database.tokens.create(name="admin", token_hash="a" * 64, is_admin=True)
    assert re.fullmatch(r"tok_[a-z0-9]{12}", token.id)
    assert token.name == "admin"
    assert token.is_admin is True
    assert token.active
    assert token.created_at > 0
    assert await database.tokens.find_active_by_hash("a" * 64) == token
    assert await database.tokens.get(token.id) == token
    assert await database.tokens.find_active_by_hash("b" * 64) is None
    assert await database.tokens.get("tok_missing") is None


async def test_token_revoke(database: Database) -> None:
    token = await database.tokens.create(name="t", token_hash="c" * 64, is_admin=False)
    assert await database.tokens.revoke(token.id) is True
    assert await database.tokens.revoke(token.id) is False
    assert await database.tokens.revoke("tok_missing") is False
    assert await database.tokens.find_active_by_hash("c" * 64) is None
    revoked = await database.tokens.get(token.id)
    assert revoked is not None
    assert revoked.revoked_at is not None
    assert not revoked.active


async def test_token_list(database: Database) -> None:
    first = await database.tokens.create(name="one", token_hash="1" * 64, is_admin=True)
    second = await database.tokens.create(name="two", token_hash="2" * 64, is_admin=False)
    third = await database.tokens.create(name="three", token_hash="3" * 64, is_admin=False)
    await database.tokens.revoke(second.id)
    everything = await database.tokens.list(include_revoked=True)
    expected = sorted([first, second, third], key=lambda t: (t.created_at, t.id))
    assert [t.id for t in everything] == [t.id for t in expected]
    active = await database.tokens.list(include_revoked=False)
    assert [t.id for t in active] == [t.id for t in expected if t.id != second.id]


async def test_token_hash_is_unique(database: Database) -> None:
    await database.tokens.create(name="one", token_hash="d" * 64, is_admin=False)
    with pytest.raises(IntegrityError):
        await database.tokens.create(name="two", token_hash="d" * 64, is_admin=False)


# --- sessions ---------------------------------------------------------------


async def test_session_create_and_get(database: Database) -> None:
    owner = await _owner(database)
    session = _session("AAAAAAAAAAAA", owner)
    await database.sessions.create(session)
    assert await database.sessions.get("AAAAAAAAAAAA") == session
    assert await database.sessions.get("ZZZZZZZZZZZZ") is None


async def test_session_with_me_round_trips(database: Database) -> None:
    owner = await _owner(database)
    me = Me(id="447441429009@c.us", lid="123@lid", push_name="Ann")
    session = Session(
        instance_id="BBBBBBBBBBBB",
        name="linked",
        owner_token_id=owner,
        engine="fake",
        status=SessionStatus.WORKING,
        status_reason="resumed",
        me=me,
        should_run=True,
        created_at=5,
        updated_at=6,
    )
    await database.sessions.create(session)
    assert await database.sessions.get("BBBBBBBBBBBB") == session


async def test_session_list_by_owner(database: Database) -> None:
    alice = await _owner(database, "alice")
    bob = await _owner(database, "bob")
    await database.sessions.create(_session("CCCCCCCCCCC2", alice, created_at=2))
    await database.sessions.create(_session("CCCCCCCCCCC1", bob, created_at=1))
    await database.sessions.create(_session("CCCCCCCCCCC3", alice, created_at=2))
    await database.sessions.create(_session("CCCCCCCCCCC0", alice, created_at=3))

    all_ids = [s.instance_id for s in await database.sessions.list()]
    assert all_ids == ["CCCCCCCCCCC1", "CCCCCCCCCCC2", "CCCCCCCCCCC3", "CCCCCCCCCCC0"]
    alice_ids = [s.instance_id for s in await database.sessions.list(owner_token_id=alice)]
    assert alice_ids == ["CCCCCCCCCCC2", "CCCCCCCCCCC3", "CCCCCCCCCCC0"]
    assert [s.instance_id for s in await database.sessions.list(owner_token_id=bob)] == [
        "CCCCCCCCCCC1"
    ]
    assert await database.sessions.list(owner_token_id="tok_nobody") == []


async def test_session_owner_must_exist(database: Database) -> None:
    with pytest.raises(IntegrityError):
        await database.sessions.create(_session("DDDDDDDDDDDD", "tok_missing"))


async def test_session_set_status(database: Database) -> None:
    owner = await _owner(database)
    await database.sessions.create(_session("EEEEEEEEEEEE", owner))
    await database.sessions.set_status("EEEEEEEEEEEE", SessionStatus.FAILED, "no network")
    got = await database.sessions.get("EEEEEEEEEEEE")
    assert got is not None
    assert got.status is SessionStatus.FAILED
    assert got.status_reason == "no network"
    assert got.updated_at > 1_000
    assert got.created_at == 1_000

    await database.sessions.set_status("EEEEEEEEEEEE", SessionStatus.STARTING, None)
    got = await database.sessions.get("EEEEEEEEEEEE")
    assert got is not None
    assert got.status is SessionStatus.STARTING
    assert got.status_reason is None


async def test_session_set_me(database: Database) -> None:
    owner = await _owner(database)
    await database.sessions.create(_session("FFFFFFFFFFFF", owner))
    me = Me(id="15550100000@c.us", push_name="Bob")
    await database.sessions.set_me("FFFFFFFFFFFF", me)
    got = await database.sessions.get("FFFFFFFFFFFF")
    assert got is not None
    assert got.me == me
    assert got.updated_at > 1_000

    await database.sessions.set_me("FFFFFFFFFFFF", None)
    got = await database.sessions.get("FFFFFFFFFFFF")
    assert got is not None
    assert got.me is None
    async with database.transaction() as conn:
        unlinked = await conn.scalar(
            select(func.count()).select_from(sessions).where(sessions.c.me.is_(None))
        )
    assert unlinked == 1  # stored as SQL NULL, not JSON null


async def test_session_set_should_run(database: Database) -> None:
    owner = await _owner(database)
    await database.sessions.create(_session("GGGGGGGGGGGG", owner))
    await database.sessions.set_should_run("GGGGGGGGGGGG", True)
    got = await database.sessions.get("GGGGGGGGGGGG")
    assert got is not None
    assert got.should_run is True
    assert got.updated_at > 1_000
    await database.sessions.set_should_run("GGGGGGGGGGGG", False)
    got = await database.sessions.get("GGGGGGGGGGGG")
    assert got is not None
    assert got.should_run is False


async def test_session_delete_removes_device(database: Database) -> None:
    owner = await _owner(database)
    await database.sessions.create(_session("HHHHHHHHHHHH", owner))
    await database.sessions.create(_session("IIIIIIIIIIII", owner))
    await database.devices.save("HHHHHHHHHHHH", "fake", {"key": "h"})
    await database.devices.save("IIIIIIIIIIII", "fake", {"key": "i"})

    assert await database.sessions.delete("HHHHHHHHHHHH") is True
    assert await database.sessions.delete("HHHHHHHHHHHH") is False
    assert await database.sessions.get("HHHHHHHHHHHH") is None
    assert await database.devices.load("HHHHHHHHHHHH") is None
    assert await database.devices.load("IIIIIIIIIIII") == {"key": "i"}


async def test_device_row_cascades_with_session(database: Database) -> None:
    """The foreign key itself cascades (SQLite: needs foreign_keys=ON, which we set)."""
    owner = await _owner(database)
    await database.sessions.create(_session("JJJJJJJJJJJJ", owner))
    await database.devices.save("JJJJJJJJJJJJ", "fake", {"key": "j"})
    async with database.transaction() as conn:
        await conn.execute(sessions.delete().where(sessions.c.instance_id == "JJJJJJJJJJJJ"))
        left = await conn.scalar(select(func.count()).select_from(devices))
    assert left == 0


async def test_session_count_by_status(database: Database) -> None:
    assert await database.sessions.count_by_status() == {}
    owner = await _owner(database)
    for instance_id in ("KKKKKKKKKKK1", "KKKKKKKKKKK2", "KKKKKKKKKKK3"):
        await database.sessions.create(_session(instance_id, owner))
    await database.sessions.set_status("KKKKKKKKKKK1", SessionStatus.WORKING, None)
    await database.sessions.set_status("KKKKKKKKKKK2", SessionStatus.WORKING, None)
    assert await database.sessions.count_by_status() == {"WORKING": 2, "STOPPED": 1}


# --- devices ----------------------------------------------------------------


async def test_device_save_load_delete(database: Database) -> None:
    owner = await _owner(database)
    await database.sessions.create(_session("LLLLLLLLLLLL", owner))
    assert await database.devices.load("LLLLLLLLLLLL") is None

    first = {"noise_key": "abc", "nested": {"list": [1, 2, 3], "flag": True}}
    await database.devices.save("LLLLLLLLLLLL", "fake", first)
    assert await database.devices.load("LLLLLLLLLLLL") == first

    second = {"noise_key": "def", "unicode": "héllo ✓"}
    await database.devices.save("LLLLLLLLLLLL", "other", second)
    assert await database.devices.load("LLLLLLLLLLLL") == second
    async with database.transaction() as conn:
        rows = (await conn.execute(select(devices.c.engine))).all()
    assert [r.engine for r in rows] == ["other"]

    await database.devices.delete("LLLLLLLLLLLL")
    assert await database.devices.load("LLLLLLLLLLLL") is None
    await database.devices.delete("LLLLLLLLLLLL")  # deleting nothing is fine
    assert await database.sessions.get("LLLLLLLLLLLL") is not None


# --- schema -----------------------------------------------------------------


async def test_migrations_match_schema_metadata(database: Database) -> None:
    """The hand-written migration creates exactly what ``schema.metadata`` describes."""

    def diff(sync_conn: Connection) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with database.transaction() as conn:
        assert await conn.run_sync(diff) == []
