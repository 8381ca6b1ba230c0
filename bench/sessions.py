"""Idle sessions: resident memory per session and the start-up time to restore them.

Every figure comes from a real ``wagate serve`` process (``python -m wagate serve``) on a
temporary data directory, measured against a baseline taken in the same run:

1. sandbox sessions: the server's RSS (plus its children's) when empty, then after
   creating and linking N sandbox sessions; reports KiB per session and the ratio.
2. whatsmeow sessions on the fake neonize client (``wagate.engines.whatsmeow.fake``) in
   engine worker processes: server + workers RSS, empty and with N linked sessions. The
   real neonize client (whatsmeow in Go) cannot be measured offline, WhatsApp being
   unreachable here: this is wagate's own per-session cost in the workers.
3. start-up: SIGTERM the server holding the N linked sandbox sessions, start it again
   and time until ``/health`` answers 200 and every session is WORKING (polling
   ``GET /sessions``); the baseline is the start-up of an empty server (fresh data dir).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from common import free_port, report

API = "/wp-json/awp/v1"
ADMIN = "bench-admin-token-0000000"
START_TIMEOUT = 120.0
SETTLE_SECONDS = 1.0  # after the last change, before reading memory


# --- processes and memory ------------------------------------------------------------------


class Server:
    """One ``wagate serve`` child on ``data_dir``."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "WAGATE_DATA_DIR": str(data_dir),
            "WAGATE_PORT": str(self.port),
            "WAGATE_ADMIN_TOKEN": ADMIN,
            "WAGATE_DEFAULT_ENGINE": "sandbox",
            "WAGATE_LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> float:
        """Start it; seconds until ``/health`` answers 200."""
        began = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wagate", "serve"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with httpx.Client(timeout=5) as client:
            while time.perf_counter() - began < START_TIMEOUT:
                if self.process.poll() is not None:
                    raise RuntimeError(f"wagate serve exited with {self.process.returncode}")
                try:
                    if client.get(f"{self.base}/health").status_code == 200:
                        return time.perf_counter() - began
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
        self.kill()
        raise RuntimeError("wagate serve did not start")

    def stop(self) -> float:
        """SIGTERM, wait for the exit; seconds it took."""
        assert self.process is not None
        began = time.perf_counter()
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.kill()
        return time.perf_counter() - began

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _ppids() -> dict[int, int]:
    """pid → parent pid of every process visible in /proc."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def descendants(pid: int) -> list[int]:
    parents = _ppids()
    found: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found.extend(children)
        frontier.extend(children)
    return found


def _kib(path: str, field: str) -> int:
    """A ``Field:  123 kB`` value of a /proc file (0 when the process is gone)."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Memory:
    """RSS and PSS (KiB) of a process and of its descendants."""

    def __init__(self, pid: int) -> None:
        children = descendants(pid)
        self.server_rss = _kib(f"/proc/{pid}/status", "VmRSS")
        self.children = len(children)
        self.children_rss = sum(_kib(f"/proc/{c}/status", "VmRSS") for c in children)
        self.pss = sum(_kib(f"/proc/{p}/smaps_rollup", "Pss") for p in (pid, *children))

    @property
    def rss(self) -> int:
        return self.server_rss + self.children_rss


def mib(kib: float) -> str:
    return f"{kib / 1024:8.1f} MiB"


# --- driving the API ---------------------------------------------------------------------


async def _in_parallel(base: str, count: int, clients: int, job: Any) -> list[Any]:
    """``job(client, n)`` for n in range(count), ``clients`` connections at a time."""
    results: list[Any] = [None] * count
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            results[n] = await job(client, n)

    async def one() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            await worker(client)

    await asyncio.gather(*(one() for _ in range(clients)))
    return results


def phone(n: int) -> str:
    return f"4474{n:08d}"


async def create_sandbox(base: str, count: int, clients: int) -> None:
    """``count`` sandbox sessions, each created and linked by the sandbox scan."""

    async def job(client: httpx.AsyncClient, n: int) -> None:
        created = await client.post(
            f"{API}/createSession", json={"access_token": ADMIN, "name": f"bench {n}"}
        )
        created.raise_for_status()
        instance = created.json()["instance_id"]
        scanned = await client.post(
            f"{API}/sandbox/scan",
            json={"access_token": ADMIN, "instance_id": instance, "phone": phone(n)},
        )
        scanned.raise_for_status()

    await _in_parallel(base, count, clients, job)


async def create_whatsmeow(base: str, numbers: range, clients: int, store: Path) -> None:
    """A whatsmeow session per number, linked through the fake client's control files."""

    async def job(client: httpx.AsyncClient, index: int) -> str:
        n = numbers[index]
        created = await client.post(
            f"{API}/createSession",
            json={"access_token": ADMIN, "name": f"bench {n}", "engine": "whatsmeow"},
        )
        created.raise_for_status()
        instance: str = created.json()["instance_id"]
        line = json.dumps({"op": "scan", "phone": phone(n)}) + "\n"
        control = store / f"{instance}.db.control"
        # Written whole and renamed: the fake must never read half a line.
        partial = control.with_name(control.name + ".tmp")
        partial.write_text(line, "utf-8")
        partial.replace(control)
        return instance

    await _in_parallel(base, len(numbers), clients, job)


def statuses(client: httpx.Client) -> Counter[str]:
    response = client.get(f"{API}/sessions", params={"access_token": ADMIN})
    response.raise_for_status()
    return Counter(str(s.get("status")) for s in response.json())


@dataclass
class Working:
    """When ``GET /sessions`` first showed every session WORKING."""

    seen_at: float  # seconds from the origin to the start of that request
    poll: float  # how long that request took (the resolution of seen_at)
    polls: int


def wait_working(
    base: str, count: int, since: float | None = None, timeout: float = START_TIMEOUT
) -> Working:
    """Poll until ``count`` sessions are WORKING; times from ``since`` (perf_counter)."""
    origin = time.perf_counter() if since is None else since
    polls = 0
    with httpx.Client(base_url=base, timeout=60) as client:
        while True:
            polls += 1
            sent = time.perf_counter()
            seen = statuses(client)
            if seen["WORKING"] >= count:
                return Working(sent - origin, time.perf_counter() - sent, polls)
            if time.perf_counter() - origin > timeout:
                raise RuntimeError(f"only {dict(seen)} after {timeout:g} s")
            time.sleep(0.05)


def warm_up(base: str) -> None:
    """A few requests, so the empty baseline is not a never-used process."""
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(20):
            client.get("/health").raise_for_status()
            statuses(client)


def settled_memory(pid: int) -> Memory:
    time.sleep(SETTLE_SECONDS)
    return Memory(pid)


# --- the three measurements ----------------------------------------------------------------


def per_session_rows(empty: Memory, full: Memory, count: int) -> list[tuple[str, str]]:
    per_rss = (full.rss - empty.rss) / count
    per_pss = (full.pss - empty.pss) / count
    return [
        (
            "baseline: empty server",
            f"RSS {mib(empty.rss)}  (server {mib(empty.server_rss).strip()}, "
            f"{empty.children} child processes {mib(empty.children_rss).strip()})  "
            f"PSS {mib(empty.pss)}",
        ),
        (
            f"with {count} linked sessions",
            f"RSS {mib(full.rss)}  (server {mib(full.server_rss).strip()}, "
            f"{full.children} child processes {mib(full.children_rss).strip()})  "
            f"PSS {mib(full.pss)}",
        ),
        ("per session (after - empty) / N", f"RSS {per_rss:8.1f} KiB  PSS {per_pss:8.1f} KiB"),
        ("ratio RSS after / empty", f"{full.rss / empty.rss:8.2f}x"),
    ]


def sandbox_memory(data_dir: Path, count: int, clients: int) -> tuple[Server, list[Any]]:
    """Part 1; returns the server still running with its ``count`` linked sessions."""
    server = Server(data_dir)
    try:
        server.start()
        warm_up(server.base)
        empty = settled_memory(server.pid)
        began = time.perf_counter()
        asyncio.run(create_sandbox(server.base, count, clients))
        wait_working(server.base, count)
        created = time.perf_counter() - began
        full = settled_memory(server.pid)
    except BaseException:
        server.kill()
        raise
    rows = per_session_rows(empty, full, count)
    rows.insert(2, ("(created and linked in)", f"{created:8.1f} s  ({count / created:.0f}/s)"))
    return server, rows


def whatsmeow_memory(count: int, per_worker: int, clients: int) -> list[tuple[str, str]]:
    """Part 2: empty, with one session (one worker), then with ``count`` sessions."""
    with tempfile.TemporaryDirectory(prefix="wagate-bench-") as tmp:
        store = Path(tmp) / "whatsmeow"
        server = Server(
            Path(tmp),
            {
                "WAGATE_WHATSMEOW_BACKEND": "wagate.engines.whatsmeow.fake:create",
                "WAGATE_WHATSMEOW_SESSIONS_PER_WORKER": str(per_worker),
            },
        )
        try:
            server.start()
            warm_up(server.base)
            empty = settled_memory(server.pid)
            began = time.perf_counter()
            asyncio.run(create_whatsmeow(server.base, range(1), 1, store))
            wait_working(server.base, 1)
            one = settled_memory(server.pid)
            asyncio.run(create_whatsmeow(server.base, range(1, count), clients, store))
            wait_working(server.base, count)
            created = time.perf_counter() - began
            full = settled_memory(server.pid)
        finally:
            server.stop()
    rows = per_session_rows(empty, full, count)
    rows.insert(2, ("(created and linked in)", f"{created:8.1f} s  ({count / created:.0f}/s)"))
    workers = full.children - empty.children
    if workers > 0 and one.children == 1:
        idle_worker = one.children_rss  # a worker process with a single session
        per_seat = (full.children_rss - workers * idle_worker) / max(1, count - workers)
        rows += [
            ("worker process with 1 session", f"RSS {mib(idle_worker)}"),
            (
                f"worker processes now ({workers})",
                f"RSS {mib(full.children_rss / workers)} each  ({per_worker} sessions per worker)",
            ),
            ("per extra session inside a worker", f"RSS {per_seat:8.1f} KiB"),
            (
                "per session in the server process",
                f"RSS {(full.server_rss - empty.server_rss) / count:8.1f} KiB",
            ),
        ]
    return rows


def empty_starts(runs: int) -> list[float]:
    """Start-up times of an empty server on a fresh data dir, measured as the restores
    are: until ``/health`` answered 200 and ``GET /sessions`` (empty) answered."""
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="wagate-bench-") as tmp:
            server = Server(Path(tmp))
            try:
                began = time.perf_counter()
                server.start()
                times.append(wait_working(server.base, 0, since=began).seen_at)
            finally:
                server.stop()
    return times


@dataclass
class Restores:
    stop: list[float] = field(default_factory=list)  # SIGTERM until the exit
    health: list[float] = field(default_factory=list)  # start until /health 200
    working: list[Working] = field(default_factory=list)  # start until all WORKING


def restores(server: Server, count: int, runs: int) -> Restores:
    """Stop ``server`` (SIGTERM) and start it again, ``runs`` times."""
    result = Restores()
    for _ in range(runs):
        result.stop.append(server.stop())
        began = time.perf_counter()
        result.health.append(server.start())
        result.working.append(wait_working(server.base, count, since=began))
    return result


def seconds(values: Iterable[float]) -> str:
    values = list(values)
    spread = f"  (min {min(values):.2f}, max {max(values):.2f}, {len(values)} runs)"
    return f"{statistics.median(values):8.2f} s" + (spread if len(values) > 1 else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sandbox", type=int, default=1000, help="sandbox sessions (N)")
    parser.add_argument("--whatsmeow", type=int, default=100, help="whatsmeow sessions (N)")
    parser.add_argument("--per-worker", type=int, default=50, help="whatsmeow sessions/worker")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--starts", type=int, default=2, help="start-ups timed per case")
    args = parser.parse_args()

    baseline_starts = empty_starts(args.starts)
    with tempfile.TemporaryDirectory(prefix="wagate-bench-") as tmp:
        server, sandbox_rows = sandbox_memory(Path(tmp), args.sandbox, args.clients)
        try:
            restored = restores(server, args.sandbox, args.starts)
        finally:
            server.stop()
    whatsmeow_rows = whatsmeow_memory(args.whatsmeow, args.per_worker, args.clients)

    report(
        f"1. resident memory of idle sandbox sessions ({args.sandbox} sessions; "
        "server + children; KiB = 1024 B)",
        sandbox_rows,
    )
    report(
        f"2. resident memory of idle whatsmeow sessions ({args.whatsmeow} sessions, "
        f"{args.per_worker} per worker, fake neonize client)",
        whatsmeow_rows,
    )
    print(
        "  note: the real neonize client (whatsmeow in Go) cannot be measured offline:\n"
        "  WhatsApp is unreachable here. This is wagate's own per-session cost in the\n"
        "  server and its engine workers, with the fake client."
    )
    empty = statistics.median(baseline_starts)
    working = statistics.median(w.seen_at for w in restored.working)
    report(
        f"3. start-up restoring {args.sandbox} linked sandbox sessions (SIGTERM, start again)",
        [
            ("baseline: empty server, fresh data dir", seconds(baseline_starts)),
            ("restore: /health answers 200", seconds(restored.health)),
            (
                f"restore: /health 200 and all {args.sandbox} WORKING",
                seconds(w.seen_at for w in restored.working),
            ),
            (
                "  (seen by GET /sessions sent at; one poll took)",
                seconds(w.poll for w in restored.working),
            ),
            ("ratio restore / empty", f"{working / empty:8.2f}x"),
            (
                "per restored session (restore - empty) / N",
                f"{(working - empty) / args.sandbox * 1000:8.2f} ms",
            ),
            (f"(stop: SIGTERM with {args.sandbox} sessions until exit)", seconds(restored.stop)),
        ],
    )


if __name__ == "__main__":
    main()
