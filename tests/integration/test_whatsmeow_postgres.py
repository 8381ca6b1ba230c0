"""whatsmeow's device store in PostgreSQL, shared by every session.

The real neonize library makes its tables in a throw-away schema (offline: it gets that
far before dialing WhatsApp) and wagate's two questions are asked of that real schema.
The whole chain then runs on PostgreSQL with the fake client, whose devices live in the
same ``whatsmeow_device`` table and are opened the way neonize opens them — including
its traps: without a JID it takes the *first* device, and a JID whose device is gone
kills the worker process.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from conftest import _asyncpg_dsn
from wagate.app import create_app
from wagate.config import Settings
from wagate.engines.whatsmeow import pgstore
from wagate.engines.whatsmeow.engine import WhatsmeowEngine, postgres_dsn
from wagate.engines.whatsmeow.fake import control_path
from wagate.services.container import Services
from wagate.store import Database
from wagate_testing import Api, make_settings

pytestmark = pytest.mark.postgres

ALICE, BOB = "447441420001", "447441420002"


@pytest.fixture
async def schema(pg_url: str) -> AsyncIterator[str]:
    name = f"wagate_wm_{uuid.uuid4().hex}"
    conn = await asyncpg.connect(_asyncpg_dsn(pg_url))
    try:
        await conn.execute(f'CREATE SCHEMA "{name}"')
        yield name
        await conn.execute(f'DROP SCHEMA "{name}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture
def dsn(pg_url: str, schema: str) -> str:
    """whatsmeow's DSN for the schema (lib/pq sends search_path as a server setting)."""
    base = postgres_dsn(pg_url)
    assert base is not None
    return f"{base}&search_path={schema}"


async def devices_in(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(f"SELECT jid FROM {pgstore.DEVICE_TABLE} ORDER BY jid")
    finally:
        await conn.close()
    return [row["jid"] for row in rows]


# --- the real library --------------------------------------------------------------------

REAL_CLIENT = """
import asyncio, os, sys
from neonize.aioze.client import NewAClient

async def main():
    client = NewAClient(sys.argv[1], uuid="wagate-pg-probe", new_device=True)
    task = await client.connect()
    try:
        await asyncio.wait_for(task, 60)
    except BaseException:
        pass
    os._exit(0)

asyncio.run(main())
"""


def fake_device_row(jid: str) -> tuple[Any, ...]:
    """A row that passes whatsmeow's own checks on ``whatsmeow_device``."""
    return (jid, 1, b"n" * 32, b"i" * 32, b"s" * 32, 1, b"g" * 64, b"a" * 32, b"d")


async def test_the_real_library_makes_its_tables_and_wagate_reads_them(dsn: str) -> None:
    elsewhere = await _whatsmeow_schemas(dsn)
    if elsewhere:
        # whatsmeow asks information_schema whether its version table exists without
        # naming a schema: another schema's tables make its upgrade fail here.
        pytest.skip(f"whatsmeow tables already exist in schema(s) {elsewhere}")
    # neonize opens the store, upgrades its schema, then fails to dial WhatsApp.
    await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", REAL_CLIENT, dsn], timeout=120, check=True
    )
    conn = await asyncpg.connect(dsn)
    try:
        tables = {
            row["tablename"]
            for row in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        }
        assert {pgstore.DEVICE_TABLE, "whatsmeow_identity_keys", "whatsmeow_sessions"} <= tables
        jid = f"{ALICE}:7@s.whatsapp.net"
        assert not await pgstore.device_exists(dsn, jid)
        await conn.execute(
            f"INSERT INTO {pgstore.DEVICE_TABLE} (jid, registration_id, noise_key, identity_key,"
            " signed_pre_key, signed_pre_key_id, signed_pre_key_sig, adv_key, adv_details,"
            " adv_account_sig, adv_account_sig_key, adv_device_sig)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10)",
            *fake_device_row(jid),
            b"x" * 64,
            b"k" * 32,
        )
        await conn.execute(
            "INSERT INTO whatsmeow_identity_keys (our_jid, their_id, identity)"
            " VALUES ($1, 'them', $2)",
            jid,
            b"t" * 32,
        )
        assert await pgstore.device_exists(dsn, jid)
        assert await pgstore.delete_device(dsn, jid)
        assert not await pgstore.device_exists(dsn, jid)
        # whatsmeow's foreign keys take the device's keys with it
        assert await conn.fetchval("SELECT count(*) FROM whatsmeow_identity_keys") == 0
    finally:
        await conn.close()


async def _whatsmeow_schemas(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT table_schema FROM information_schema.tables"
            " WHERE table_name = 'whatsmeow_version' AND table_schema <> current_schema()"
        )
    finally:
        await conn.close()
    return [row["table_schema"] for row in rows]


async def test_before_anything_was_linked_there_is_no_device(dsn: str) -> None:
    assert not await pgstore.device_exists(dsn, f"{ALICE}:1@s.whatsapp.net")
    assert not await pgstore.delete_device(dsn, f"{ALICE}:1@s.whatsapp.net")


def test_database_urls_become_lib_pq_dsns() -> None:
    assert postgres_dsn("sqlite+aiosqlite:///x.db") is None
    assert postgres_dsn("postgresql+asyncpg://u:p%40ss@db:5432/wa") == (
        "postgres://u:p%40ss@db:5432/wa?sslmode=prefer"
    )
    assert postgres_dsn("postgresql+asyncpg://db/wa?ssl=require") == (
        "postgres://db/wa?sslmode=require"
    )
    assert postgres_dsn("postgres://db/wa?sslmode=verify-full") == (
        "postgres://db/wa?sslmode=verify-full"
    )


# --- the chain on PostgreSQL ---------------------------------------------------------------


@asynccontextmanager
async def running(settings: Settings, pg_url: str, schema: str) -> AsyncIterator[Api]:
    database = Database(pg_url, connect_args={"server_settings": {"search_path": schema}})
    app = create_app(settings, database=database, announce=lambda line: None)
    try:
        async with app.router.lifespan_context(app):
            services: Services = app.state.services
            tokens = [token for _, token in [await services.tokens.create(n) for n in "ab"]]
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://w.test") as http:
                yield Api(http=http, services=services, tenant=tokens[0], other_tenant=tokens[1])
    finally:
        await database.dispose()


@pytest.fixture
def settings(tmp_path: Path, dsn: str) -> Settings:
    return make_settings(
        tmp_path,
        default_engine="whatsmeow",
        whatsmeow_backend="wagate.engines.whatsmeow.fake:create",
        whatsmeow_store_url=dsn,
    )


def engine_of(api: Api) -> WhatsmeowEngine:
    engine = api.services.sessions.engine("whatsmeow")
    assert isinstance(engine, WhatsmeowEngine)
    return engine


def control(api: Api, instance_id: str, **command: Any) -> None:
    path = control_path(engine_of(api).device_store_of(instance_id), instance_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps(command) + "\n")


async def status_of(api: Api, ids: dict[str, str], wanted: str) -> dict[str, Any]:
    async with asyncio.timeout(20):
        while True:
            info: dict[str, Any] = await api.ok("GET", "session/info", **ids)
            if info["status"] == wanted:
                return info
            await asyncio.sleep(0.05)


async def linked(api: Api, name: str, phone: str) -> dict[str, str]:
    created = await api.new_session(name=name)
    ids = {"access_token": api.tenant, "instance_id": created["instance_id"]}
    await status_of(api, ids, "SCAN_QR_CODE")
    control(api, ids["instance_id"], op="scan", phone=phone)
    info = await status_of(api, ids, "WORKING")
    assert info["me"]["id"] == f"{phone}@c.us"
    return ids


async def test_sessions_share_one_store_and_each_resumes_its_own_device(
    settings: Settings, pg_url: str, schema: str, dsn: str
) -> None:
    async with running(settings, pg_url, schema) as api:
        alice = await linked(api, "alice", ALICE)
        # A second session must not open Alice's device (neonize's GetFirstDevice).
        bob = await linked(api, "bob", BOB)
        alice_jid, bob_jid = f"{ALICE}:3@s.whatsapp.net", f"{BOB}:3@s.whatsapp.net"
        assert await devices_in(dsn) == [alice_jid, bob_jid]
        info = await api.ok("GET", "session/info", **alice)
        assert info["me"]["jid"] == alice_jid
        assert not (settings.data_dir / "whatsmeow" / f"{alice['instance_id']}.db").exists()

    # A restarted server resumes both, each with its own account, without a scan.
    async with running(settings, pg_url, schema) as api:
        api.tenant = alice["access_token"]
        assert (await status_of(api, alice, "WORKING"))["me"]["id"] == f"{ALICE}@c.us"
        assert (await status_of(api, bob, "WORKING"))["me"]["id"] == f"{BOB}@c.us"

        # Deleting a session deletes its device (and only its device).
        await api.ok("DELETE", "session/delete", **alice)
        assert await devices_in(dsn) == [bob_jid]

        # Logging out unlinks and deletes the device; the session waits for a new scan.
        await api.ok("POST", "session/logout", **bob)
        await status_of(api, bob, "SCAN_QR_CODE")
        assert await devices_in(dsn) == []
        assert await api.services.database.devices.load(bob["instance_id"]) is None


async def test_a_device_gone_behind_wagates_back_is_linked_anew(
    settings: Settings, pg_url: str, schema: str, dsn: str
) -> None:
    async with running(settings, pg_url, schema) as api:
        alice = await linked(api, "alice", ALICE)
    # The phone logged the device out while wagate was down; whatsmeow deleted it.
    assert await pgstore.delete_device(dsn, f"{ALICE}:3@s.whatsapp.net")

    async with running(settings, pg_url, schema) as api:
        api.tenant = alice["access_token"]
        # Resuming by that JID would kill the worker; the session asks for a scan instead.
        await status_of(api, alice, "SCAN_QR_CODE")
        control(api, alice["instance_id"], op="scan", phone=ALICE)
        assert (await status_of(api, alice, "WORKING"))["me"]["id"] == f"{ALICE}@c.us"
        worker = engine_of(api).supervisor.worker_of(alice["instance_id"])
        assert worker is not None
        assert worker.alive
