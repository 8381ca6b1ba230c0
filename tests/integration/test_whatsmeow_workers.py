"""The whatsmeow engine's worker processes, driven for real with the echo backend.

Every test here starts ``python -m wagate.engines.whatsmeow.worker`` children; the echo
backend stands in for neonize (and crashes on request, like a fatal Go error).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

from wagate.domain.events import (
    ConnectionFailed,
    ConnectionLost,
    EngineEvent,
    LoggedIn,
    QrCodeChanged,
)
from wagate.domain.messages import Ack, MessageKey
from wagate.domain.models import Me
from wagate.engines.whatsmeow.backend import BackendConfig, client_key
from wagate.engines.whatsmeow.echo_backend import PAIRING_CODE
from wagate.engines.whatsmeow.engine import WhatsmeowEngine, WhatsmeowSession
from wagate.engines.whatsmeow.supervisor import Supervisor, WorkerProcess
from wagate.errors import (
    InvalidParamError,
    NotSupportedError,
    SessionNotReadyError,
    UpstreamError,
)

ECHO = "wagate.engines.whatsmeow.echo_backend:create"
WORKER_MODULE = b"wagate.engines.whatsmeow.worker"
WAIT_SECONDS = 20.0
E = TypeVar("E", bound=EngineEvent)


class Recorder:
    """A sink that keeps what it gets and lets a test wait for it."""

    def __init__(self) -> None:
        self.events: list[EngineEvent] = []
        self._changed = asyncio.Condition()

    async def __call__(self, event: EngineEvent) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of(self, kind: type[E]) -> list[E]:
        return [event for event in self.events if isinstance(event, kind)]

    async def wait_for(self, kind: type[E], count: int = 1) -> E:
        """The ``count``-th event of this kind (waiting for it)."""
        async with asyncio.timeout(WAIT_SECONDS):
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.of(kind)) >= count)
        return self.of(kind)[count - 1]


def worker_children() -> list[int]:
    """Our child processes that are engine workers (zombies included)."""
    pids: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue  # the thread ended while we looked; it had no children of interest
        for pid in children:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if WORKER_MODULE in cmdline:
                pids.append(int(pid))
    return pids


MakeEngine = Callable[..., WhatsmeowEngine]


@pytest.fixture
async def make_engine(tmp_path: Path) -> AsyncIterator[MakeEngine]:
    engines: list[WhatsmeowEngine] = []

    def make(**options: Any) -> WhatsmeowEngine:
        settings: dict[str, Any] = {
            "data_dir": tmp_path,
            "device_name": "wagate tests",
            "backend": ECHO,
            "restart_backoff": (0.05, 0.2),
            "stop_timeout": 5.0,
        }
        settings.update(options)
        engine = WhatsmeowEngine(**settings)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        await engine.close()
    assert worker_children() == []


async def connected(engine: WhatsmeowEngine, instance_id: str) -> tuple[WhatsmeowSession, Recorder]:
    sink = Recorder()
    session = await engine.open_session(instance_id, sink)
    await session.connect()
    return session, sink


async def linked(
    engine: WhatsmeowEngine, instance_id: str, phone: str = "15550001111"
) -> tuple[WhatsmeowSession, Recorder]:
    session, sink = await connected(engine, instance_id)
    await sink.wait_for(QrCodeChanged)
    assert await session.request_pairing_code(phone) == PAIRING_CODE
    await sink.wait_for(LoggedIn)
    return session, sink


def pid_of(engine: WhatsmeowEngine, instance_id: str) -> int:
    worker = engine.supervisor.worker_of(instance_id)
    assert worker is not None
    assert worker.pid is not None
    return worker.pid


async def test_a_new_session_shows_a_qr_code_then_links(make_engine: MakeEngine) -> None:
    engine = make_engine()

    session, sink = await connected(engine, "alpha")
    qr = await sink.wait_for(QrCodeChanged)
    code = await session.request_pairing_code("+15550001111")
    login = await sink.wait_for(LoggedIn)

    assert qr.value == "echo-qr-alpha-1"
    assert code == PAIRING_CODE
    assert login.me == Me(id="15550001111@c.us", push_name="wagate tests")
    assert sink.events == [qr, login]


async def test_stray_output_of_the_client_goes_to_stderr(make_engine: MakeEngine) -> None:
    engine = make_engine()
    _, sink = await connected(engine, "alpha")
    await sink.wait_for(QrCodeChanged)  # the frames on stdout were not corrupted
    worker = engine.supervisor.worker_of("alpha")
    assert worker is not None

    for _ in range(200):
        if len(worker.stderr_tail) >= 2:
            break
        await asyncio.sleep(0.05)

    assert list(worker.stderr_tail)[:2] == [
        "Go says hello on fd 1",
        "and Python prints on sys.stdout",
    ]


async def test_a_backend_that_cannot_load_fails_the_session(make_engine: MakeEngine) -> None:
    engine = make_engine(backend="wagate.no_such_module:create", max_restarts=1)

    _, sink = await connected(engine, "alpha")

    failed = await sink.wait_for(ConnectionFailed)
    assert "No module named 'wagate.no_such_module'" in failed.reason
    assert [type(event) for event in sink.events] == [ConnectionLost, ConnectionFailed]


async def test_send_text_round_trips_through_the_worker(make_engine: MakeEngine) -> None:
    engine = make_engine()
    session, _ = await linked(engine, "alpha")
    quoted = MessageKey(chat_id="15550002222@c.us", id="3EB0QUOTED", from_me=False)

    message = await session.send_text(
        "15550002222@c.us", "hello", reply_to=quoted, mentions=["15550003333@c.us"]
    )

    assert message.body == "hello"
    assert message.key.chat_id == "15550002222@c.us"
    assert message.key.from_me is True
    assert message.sender == "15550001111@c.us"
    assert message.ack is Ack.SERVER
    assert message.reply_to == quoted.serialized
    assert message.mentions == ("15550003333@c.us",)


async def test_worker_errors_come_back_as_wagate_errors(make_engine: MakeEngine) -> None:
    engine = make_engine()
    session, _ = await linked(engine, "alpha")
    pid = pid_of(engine, "alpha")

    with pytest.raises(InvalidParamError, match="Invalid chat") as invalid:
        await session.send_text("invalid@c.us", "x")
    with pytest.raises(UpstreamError, match="RuntimeError: boom"):
        await session.send_text("boom@c.us", "x")
    with pytest.raises(NotSupportedError):
        await session.star(MessageKey(chat_id="a@c.us", id="1", from_me=True), True)
    with pytest.raises(InvalidParamError, match="only digits"):
        await session.request_pairing_code("not a phone")

    assert invalid.value.details == {"chat_id": "invalid@c.us"}
    assert (await session.send_text("ok@c.us", "still here")).body == "still here"
    assert pid_of(engine, "alpha") == pid


async def test_calls_on_a_session_that_is_not_connected_are_refused(
    make_engine: MakeEngine,
) -> None:
    engine = make_engine()
    session = await engine.open_session("alpha", Recorder())

    with pytest.raises(SessionNotReadyError):
        await session.send_text("a@c.us", "x")
    await session.disconnect()  # nothing to do, and no error


async def test_sessions_spread_over_workers(make_engine: MakeEngine) -> None:
    engine = make_engine(sessions_per_worker=2)

    sinks = [(await connected(engine, f"s{n}"))[1] for n in range(5)]
    for sink in sinks:
        await sink.wait_for(QrCodeChanged)

    pids = [pid_of(engine, f"s{n}") for n in range(5)]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
    assert len(set(pids)) == 3
    assert sorted(worker_children()) == sorted(set(pids))


async def test_a_freed_seat_is_reused(make_engine: MakeEngine) -> None:
    engine = make_engine(sessions_per_worker=1)
    first, _ = await connected(engine, "alpha")
    pid = pid_of(engine, "alpha")

    await first.disconnect()
    await connected(engine, "beta")

    assert pid_of(engine, "beta") == pid
    assert engine.supervisor.worker_of("alpha") is None


async def test_a_killed_worker_is_restarted_and_its_sessions_resume(
    make_engine: MakeEngine,
) -> None:
    engine = make_engine()
    session, linked_sink = await linked(engine, "alpha")
    _, waiting_sink = await connected(engine, "beta")
    await waiting_sink.wait_for(QrCodeChanged)
    pid = pid_of(engine, "alpha")
    assert pid_of(engine, "beta") == pid

    os.kill(pid, signal.SIGKILL)

    lost = await linked_sink.wait_for(ConnectionLost)
    assert lost.reason == "The engine worker stopped (exit code -9, SIGKILL); reconnecting"
    back = await linked_sink.wait_for(LoggedIn, 2)
    assert back.me.id == "15550001111@c.us"
    await waiting_sink.wait_for(ConnectionLost)
    await waiting_sink.wait_for(QrCodeChanged, 2)
    assert [type(event) for event in linked_sink.events] == [
        QrCodeChanged,
        LoggedIn,
        ConnectionLost,
        LoggedIn,
    ]
    new_pid = pid_of(engine, "alpha")
    assert new_pid != pid
    assert pid_of(engine, "beta") == new_pid
    assert (await session.send_text("a@c.us", "after")).body == "after"


async def test_a_fault_during_a_call_fails_the_call_and_the_session_resumes(
    make_engine: MakeEngine,
) -> None:
    engine = make_engine()
    session, sink = await linked(engine, "alpha")

    with pytest.raises(UpstreamError, match="The engine worker stopped"):
        await session.send_text("crash-segv@c.us", "x")

    lost = await sink.wait_for(ConnectionLost)
    assert "SIGSEGV" in lost.reason
    await sink.wait_for(LoggedIn, 2)
    assert (await session.send_text("a@c.us", "after")).body == "after"


async def test_a_session_that_keeps_crashing_its_worker_fails(
    make_engine: MakeEngine, tmp_path: Path
) -> None:
    engine = make_engine(max_restarts=2)
    _, healthy = await linked(engine, "a-healthy")
    store = engine.device_store_path("crasher")
    crash_file = store.with_name(store.name + ".crash")
    crash_file.write_text("exit")

    crasher, sink = await connected(engine, "crasher")  # returns: the restarts take over

    failed = await sink.wait_for(ConnectionFailed)
    assert failed.reason.startswith("The engine worker keeps stopping: exit code 1, 3 times")
    assert "echo backend: crashing (exit)" in failed.reason
    assert [type(event) for event in sink.events] == [
        ConnectionLost,
        ConnectionLost,
        ConnectionFailed,
    ]
    # Its neighbour came back each time and never gave up.
    await healthy.wait_for(LoggedIn, 4)
    assert healthy.of(ConnectionFailed) == []
    assert engine.supervisor.worker_of("crasher") is None

    # Once the cause is gone, an explicit connect starts over.
    crash_file.unlink()
    await crasher.connect()
    await sink.wait_for(QrCodeChanged)


async def test_disconnect_keeps_the_device_and_forget_deletes_it(
    make_engine: MakeEngine,
) -> None:
    engine = make_engine()
    session, _ = await linked(engine, "alpha")
    store = engine.device_store_path("alpha")
    await session.disconnect()
    assert store.exists()

    again, sink = await connected(engine, "alpha")
    await sink.wait_for(LoggedIn)
    store.with_name(store.name + "-wal").write_bytes(b"")
    await engine.forget("alpha")

    assert not store.exists()
    assert not store.with_name(store.name + "-wal").exists()
    assert engine.supervisor.worker_of("alpha") is None
    with pytest.raises(SessionNotReadyError):
        await again.send_text("a@c.us", "x")


async def test_logout_unlinks_the_device(make_engine: MakeEngine) -> None:
    engine = make_engine()
    session, _ = await linked(engine, "alpha")

    await session.logout()

    assert not engine.device_store_path("alpha").exists()
    _, sink = await connected(engine, "alpha")
    await sink.wait_for(QrCodeChanged)


async def test_a_reopened_session_gets_the_events_not_the_old_sink(
    make_engine: MakeEngine,
) -> None:
    engine = make_engine()
    old_session, old_sink = await connected(engine, "alpha")
    await old_sink.wait_for(QrCodeChanged)
    await old_session.disconnect()

    _, new_sink = await connected(engine, "alpha")
    await new_sink.wait_for(QrCodeChanged)

    assert len(old_sink.events) == 1
    assert len(new_sink.events) == 1


class FailingRecorder(Recorder):
    """Records, then fails on every QR code (a sink bug)."""

    async def __call__(self, event: EngineEvent) -> None:
        await super().__call__(event)
        if isinstance(event, QrCodeChanged):
            raise RuntimeError("sink bug")


async def test_a_failing_sink_does_not_stop_delivery(
    make_engine: MakeEngine, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine()
    sink = FailingRecorder()
    session = await engine.open_session("alpha", sink)
    await session.connect()
    await sink.wait_for(QrCodeChanged)

    await session.request_pairing_code("15550001111")

    await sink.wait_for(LoggedIn)
    assert "the sink of alpha failed" in caplog.text


async def test_close_stops_every_worker(make_engine: MakeEngine) -> None:
    engine = make_engine(sessions_per_worker=1)
    for name in ("alpha", "beta"):
        _, sink = await connected(engine, name)
        await sink.wait_for(QrCodeChanged)
    workers: list[WorkerProcess] = list(engine.supervisor.workers)
    assert len(workers) == 2

    await engine.close()

    assert worker_children() == []
    assert [worker.returncode for worker in workers] == [0, 0]


def pg_config(tmp_path: Path, instance_id: str, jid: str | None) -> BackendConfig:
    """A session of a shared PostgreSQL store (the echo backend never opens it)."""
    return BackendConfig(
        instance_id=instance_id,
        device_store="postgres://wagate@db.invalid/wagate",
        device_name="wagate tests",
        media_dir=tmp_path,
        device_jid=jid,
    )


def test_neonize_files_a_resumed_device_under_its_phone() -> None:
    config = pg_config(Path("."), "alpha", "447700900001:3@s.whatsapp.net")
    assert client_key(config) == "447700900001"
    assert client_key(replace(config, device_jid=None)) == "alpha"
    assert client_key(replace(config, device_store="/data/alpha.db")) == "alpha"


async def test_two_sessions_of_one_account_never_share_a_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the echo backend's marker file is named by the store
    seen: list[tuple[str, EngineEvent]] = []
    supervisor = Supervisor(
        ECHO,
        deliver=lambda instance_id, event: seen.append((instance_id, event)),
        restart_backoff=(0.05, 0.2),
    )
    try:
        await supervisor.connect(pg_config(tmp_path, "a1", "447700900001:3@s.whatsapp.net"))
        await supervisor.connect(pg_config(tmp_path, "a2", "447700900001:4@s.whatsapp.net"))
        await supervisor.connect(pg_config(tmp_path, "b1", "447700900002:3@s.whatsapp.net"))
        first = supervisor.worker_of("a1")
        assert first is not None
        assert supervisor.worker_of("a2") is not first
        assert supervisor.worker_of("b1") is first

        # Linked after they were placed, two seats of one worker turn out to be one
        # account: a restart puts them apart.
        await supervisor.connect(pg_config(tmp_path, "c1", None))
        assert supervisor.worker_of("c1") is first
        seat = supervisor._seats["c1"]
        seat.config = replace(seat.config, device_jid="447700900002:5@s.whatsapp.net")
        assert first.pid is not None
        os.kill(first.pid, signal.SIGKILL)

        def back() -> bool:
            return all(
                (worker := supervisor.worker_of(name)) is not None
                and worker is not first
                and worker.alive
                for name in ("a1", "b1", "c1")
            )

        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                if back():
                    break
                await asyncio.sleep(0.05)
        assert supervisor.worker_of("b1") is not supervisor.worker_of("c1")
        assert supervisor.worker_of("a1") is supervisor.worker_of("b1")
    finally:
        await supervisor.close()
