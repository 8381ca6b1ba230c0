"""``wagate doctor``: can this machine run wagate, and reach WhatsApp?"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from wagate.config import Settings
from wagate.engines.whatsmeow import pgstore
from wagate.engines.whatsmeow.engine import postgres_dsn
from wagate.store.database import Database

WHATSAPP_HOSTS = (("web.whatsapp.com", 443), ("g.whatsapp.net", 443))
TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    essential: bool = True


async def engine_library() -> Check:
    """Load the library in a child process: a fault in it must not take doctor down,
    and neonize configures logging when imported."""
    code = "from wagate.engines.whatsmeow.library import library_version as v; print(v())"
    name = "whatsmeow library (neonize)"
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            code,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    except Exception as exc:
        return Check(name, False, f"{type(exc).__name__}: {exc}")
    if process.returncode != 0:
        last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return Check(name, False, f"exit {process.returncode}: {last[0]}")
    return Check(name, True, f"version {out.decode().strip().splitlines()[-1]}")


async def ffmpeg(settings: Settings) -> Check:
    from wagate.media.ffmpeg import Ffmpeg

    try:
        tool = Ffmpeg(executable=settings.ffmpeg_path)
        process = await asyncio.create_subprocess_exec(
            tool.executable,
            "-version",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await asyncio.wait_for(process.communicate(), TIMEOUT_SECONDS)
    except Exception as exc:
        return Check("ffmpeg", False, f"{type(exc).__name__}: {exc}")
    first = out.decode(errors="replace").splitlines()[0] if out else "no output"
    return Check("ffmpeg", process.returncode == 0, first)


async def store(settings: Settings) -> Check:
    database = Database(settings.effective_database_url)
    try:
        await database.migrate()
        ok = await database.ping()
    except Exception as exc:
        return Check("store", False, f"{type(exc).__name__}: {exc}")
    finally:
        await database.dispose()
    return Check("store", ok, f"{database.dialect}, migrations applied")


async def device_store(settings: Settings) -> Check:
    """Where whatsmeow keeps linked devices, and whether it can be reached."""
    name = "whatsmeow device store"
    dsn = postgres_dsn(settings.whatsmeow_store)
    if dsn is None:
        folder = (settings.data_dir / "whatsmeow").resolve()
        return Check(name, True, f"SQLite, a file per session in {folder}")
    where = urlsplit(dsn)
    place = f"{where.hostname or 'localhost'}{where.path}"
    try:
        count = await pgstore.count_devices(dsn)
    except Exception as exc:
        return Check(name, False, f"PostgreSQL {place}: {type(exc).__name__}: {exc}")
    return Check(name, True, f"PostgreSQL {place}, {count} device(s)")


async def whatsapp() -> Check:
    """A TCP connection to WhatsApp's web endpoints (no data is sent)."""
    failures = []
    for host, port in WHATSAPP_HOSTS:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT_SECONDS)
        except (OSError, TimeoutError, socket.gaierror) as exc:
            failures.append(f"{host}:{port} {type(exc).__name__}: {exc}".strip())
            continue
        writer.close()
        await writer.wait_closed()
        return Check("WhatsApp servers", True, f"{host}:{port} reachable", essential=False)
    detail = "; ".join(failures) + " (sessions on the whatsmeow engine cannot connect)"
    return Check("WhatsApp servers", False, detail, essential=False)


async def run_checks(settings: Settings) -> list[Check]:
    checks: list[Callable[[], Awaitable[Check]]] = [
        engine_library,
        lambda: ffmpeg(settings),
        lambda: store(settings),
        lambda: device_store(settings),
        whatsapp,
    ]
    return [await check() for check in checks]


def report(checks: list[Check]) -> tuple[str, int]:
    """The text to print and the exit status (1 when an essential check failed)."""
    lines = []
    for check in checks:
        mark = "ok  " if check.ok else ("FAIL" if check.essential else "warn")
        lines.append(f"[{mark}] {check.name}: {check.detail}")
    failed = any(not c.ok and c.essential for c in checks)
    return "\n".join(lines), 1 if failed else 0
