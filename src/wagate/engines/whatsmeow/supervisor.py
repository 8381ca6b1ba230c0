"""Engine worker processes: start them, talk to them, and restart them when they die.

:class:`WorkerProcess` is one ``python -m wagate.engines.whatsmeow.worker`` child:
requests go out on its stdin, responses and events come back on its stdout, its stderr
is logged line by line. :class:`Supervisor` places sessions on workers with room (a
session occupies a seat from ``connect`` to ``disconnect``), and when a worker dies it
tells each of its sessions (``ConnectionLost``), starts a new worker after a backoff and
connects them again: they resume from their device stores. A session whose worker keeps
dying without a login in between gets ``ConnectionFailed`` and is left alone.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import itertools
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from wagate.domain.events import ConnectionFailed, ConnectionLost, EngineEvent, LoggedIn
from wagate.engines.whatsmeow.backend import BackendConfig, client_key
from wagate.engines.whatsmeow.rpc import (
    Frame,
    ProtocolError,
    read_frame,
    rebuild_error,
    write_frame,
)
from wagate.errors import SessionNotReadyError, UpstreamError

log = logging.getLogger(__name__)

WORKER_MODULE = "wagate.engines.whatsmeow.worker"
STDERR_TAIL_LINES = 20

Deliver = Callable[[str, EngineEvent], None]


class WorkerStoppedError(UpstreamError):
    """The worker that held the session died while (or before) it answered."""


def describe_exit(code: int | None) -> str:
    if code is None:
        return "exit code unknown"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"exit code {code}, {signal.Signals(-code).name}"
    return f"exit code {code}"


class WorkerProcess:
    """One worker child and the requests waiting for its answers."""

    def __init__(
        self,
        number: int,
        *,
        backend: str,
        max_sessions: int,
        on_event: Callable[[WorkerProcess, str, int, EngineEvent], None],
        on_exit: Callable[[WorkerProcess], None],
    ) -> None:
        self.number = number
        self.sessions: set[str] = set()  # kept by the supervisor
        self.stopping = False
        self.started_at = time.monotonic()
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        self._backend = backend
        self._max_sessions = max_sessions
        self._on_event = on_event
        self._on_exit = on_exit
        self._process: asyncio.subprocess.Process | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._tasks: list[asyncio.Task[None]] = []
        self._exited = asyncio.Event()
        self._stopped_error: WorkerStoppedError | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.returncode

    @property
    def alive(self) -> bool:
        return self._process is not None and self._stopped_error is None and not self.stopping

    async def start(self) -> None:
        env = dict(os.environ)
        # neonize tags every 1:1 message with a non-standard bot node unless told not to.
        env.setdefault("NEONIZE_BOT_TAG", "off")
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            WORKER_MODULE,
            "--backend",
            self._backend,
            "--max-sessions",
            str(self._max_sessions),
            "--number",
            str(self.number),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        self.started_at = time.monotonic()
        log.info("engine worker %d started (pid %d)", self.number, self._process.pid)
        stderr = asyncio.create_task(self._log_stderr(), name=f"wagate-worker-{self.number}-err")
        self._tasks = [
            stderr,
            asyncio.create_task(self._read(stderr), name=f"wagate-worker-{self.number}-out"),
        ]

    async def call(self, op: str, instance_id: str, *args: Any, **kwargs: Any) -> Any:
        """Run ``op`` in the worker; its WagateError comes back as the same class."""
        process = self._process
        if self._stopped_error is not None:
            raise self._stopped_error
        if process is None or process.stdin is None:
            raise WorkerStoppedError("The engine worker is not running")
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        frame = {"id": request_id, "op": op, "instance_id": instance_id, "args": args}
        frame["kwargs"] = kwargs
        try:
            try:
                await write_frame(process.stdin, frame)
            except (ConnectionError, RuntimeError) as exc:
                raise self._stopped_error or WorkerStoppedError(
                    f"The engine worker stopped: {exc}"
                ) from exc
            return await future
        finally:
            self._pending.pop(request_id, None)

    async def stop(self, grace: float) -> None:
        """Close its stdin (the worker disconnects its sessions and exits); kill it if it
        is still there after ``grace`` seconds."""
        self.stopping = True
        process = self._process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(self._exited.wait(), grace)
        except TimeoutError:
            log.warning("engine worker %d did not stop in %ss; killing it", self.number, grace)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _read(self, stderr: asyncio.Task[None]) -> None:
        process = self._process
        assert process is not None
        assert process.stdout is not None
        try:
            while (frame := await read_frame(process.stdout)) is not None:
                self._route(frame)
        except ProtocolError as exc:
            log.error("engine worker %d broke the protocol (%s); killing it", self.number, exc)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        code = await process.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(stderr), 2.0)
        self._stopped_error = WorkerStoppedError(
            f"The engine worker stopped ({describe_exit(code)})"
        )
        for future in self._pending.values():
            if not future.done():
                future.set_exception(self._stopped_error)
        self._exited.set()
        if not self.stopping:
            tail = "\n".join(self.stderr_tail)
            log.error(
                "engine worker %d stopped (%s); last output:\n%s",
                self.number,
                describe_exit(code),
                tail,
            )
        self._on_exit(self)

    def _route(self, frame: Frame) -> None:
        if "event" in frame:
            self._on_event(self, frame["instance_id"], frame.get("generation", 0), frame["event"])
            return
        future = self._pending.get(frame.get("id", -1))
        if future is None or future.done():
            return  # the caller gave up (cancelled)
        if "error" in frame:
            future.set_exception(rebuild_error(frame["error"]))
        else:
            future.set_result(frame.get("ok"))

    async def _log_stderr(self) -> None:
        process = self._process
        assert process is not None
        assert process.stderr is not None
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        while chunk := await process.stderr.read(65536):
            pending += decoder.decode(chunk)
            *lines, pending = pending.split("\n")
            for line in lines:
                self._log_line(line)
        if pending:
            self._log_line(pending)

    def _log_line(self, line: str) -> None:
        line = line.rstrip()
        if not line:
            return
        self.stderr_tail.append(line)
        level = logging.getLevelName(line.split(" ", 1)[0])
        log.log(
            level if isinstance(level, int) else logging.INFO, "worker %d: %s", self.number, line
        )


@dataclass(eq=False)
class _Seat:
    """One session the supervisor knows: how to build it and where it runs."""

    config: BackendConfig
    generation: int = 0
    worker: WorkerProcess | None = None
    wanted: bool = False  # should be connected
    failures: int = 0  # worker deaths since its last login
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Supervisor:
    """Sessions spread over worker processes, restarted when a worker dies."""

    def __init__(
        self,
        backend: str,
        *,
        deliver: Deliver,
        sessions_per_worker: int = 50,
        restart_backoff: tuple[float, float] = (1.0, 60.0),
        max_restarts: int = 5,
        stable_seconds: float = 60.0,
        stop_timeout: float = 10.0,
    ) -> None:
        if sessions_per_worker < 1:
            raise ValueError("sessions_per_worker must be at least 1")
        self._backend = backend
        self._deliver = deliver
        self._capacity = sessions_per_worker
        self._backoff_initial, self._backoff_max = restart_backoff
        self._delay = self._backoff_initial
        self._max_restarts = max_restarts
        self._stable_seconds = stable_seconds
        self._stop_timeout = stop_timeout
        self._workers: list[WorkerProcess] = []
        self._seats: dict[str, _Seat] = {}
        self._numbers = itertools.count(1)
        self._placing = asyncio.Lock()
        self._restarts: set[asyncio.Task[None]] = set()
        self._closing = False

    @property
    def workers(self) -> list[WorkerProcess]:
        """The live workers."""
        return [worker for worker in self._workers if worker.alive]

    def worker_of(self, instance_id: str) -> WorkerProcess | None:
        seat = self._seats.get(instance_id)
        return None if seat is None else seat.worker

    # --- what sessions ask --------------------------------------------------------------

    async def connect(self, config: BackendConfig) -> None:
        """Open the session on a worker with room and connect it.

        When the worker dies meanwhile this still returns: the restart reconnects it
        and the session hears ``ConnectionLost`` first.
        """
        seat = self._seats.setdefault(config.instance_id, _Seat(config))
        async with seat.lock:
            seat.config = config
            seat.failures = 0
            seat.wanted = True
            if seat.worker is not None:
                if seat.worker.alive:
                    await self._attach(seat, seat.worker, reraise=True)
                return  # its worker died: the restart connects it
            worker = await self._place(seat)
            await self._attach(seat, worker, reraise=True)

    async def disconnect(self, instance_id: str) -> None:
        """Disconnect the session and free its seat; it keeps its device store."""
        seat = self._seats.get(instance_id)
        if seat is None:
            return
        async with seat.lock:
            seat.wanted = False
            await self._release(seat)

    async def logout(self, instance_id: str) -> None:
        seat = self._require(instance_id)
        async with seat.lock:
            worker = self._attached(seat)
            seat.wanted = False
            try:
                await worker.call("logout", instance_id)
            finally:
                await self._release(seat)
                seat.config = replace(seat.config, device_jid=None)

    async def forget(self, instance_id: str) -> None:
        await self.disconnect(instance_id)
        self._seats.pop(instance_id, None)

    async def call(self, instance_id: str, op: str, *args: Any, **kwargs: Any) -> Any:
        """A backend call on the session's worker (messaging, pairing)."""
        worker = self._attached(self._require(instance_id))
        return await worker.call(op, instance_id, *args, **kwargs)

    async def close(self) -> None:
        """Stop every worker (they disconnect their sessions); no restart after this."""
        self._closing = True
        for task in list(self._restarts):
            task.cancel()
        await asyncio.gather(*self._restarts, return_exceptions=True)
        await asyncio.gather(*(worker.stop(self._stop_timeout) for worker in self._workers))
        self._workers.clear()

    # --- placing ------------------------------------------------------------------------

    def _require(self, instance_id: str) -> _Seat:
        seat = self._seats.get(instance_id)
        if seat is None or not seat.wanted:
            raise SessionNotReadyError("The session is not connected")
        return seat

    def _attached(self, seat: _Seat) -> WorkerProcess:
        worker = seat.worker
        if worker is None or not worker.alive:
            raise UpstreamError("The session's engine worker is restarting; try again shortly")
        return worker

    async def _place(self, seat: _Seat) -> WorkerProcess:
        async with self._placing:
            if self._closing:
                raise UpstreamError("The engine is closing")
            room = [w for w in self._workers if self._fits(seat, w)]
            worker = room[0] if room else await self._start_worker()
            self._seat_on(seat, worker)
            return worker

    def _fits(self, seat: _Seat, worker: WorkerProcess) -> bool:
        """Room, and no session of the same account (neonize would mix their clients)."""
        if not worker.alive or len(worker.sessions) >= self._capacity:
            return False
        key = client_key(seat.config)
        return all(
            client_key(other.config) != key
            for other in (self._seats.get(i) for i in worker.sessions)
            if other is not None and other is not seat
        )

    async def _start_worker(self) -> WorkerProcess:
        worker = WorkerProcess(
            next(self._numbers),
            backend=self._backend,
            max_sessions=self._capacity,
            on_event=self._on_event,
            on_exit=self._on_exit,
        )
        await worker.start()
        self._workers.append(worker)
        return worker

    def _seat_on(self, seat: _Seat, worker: WorkerProcess) -> None:
        seat.worker = worker
        worker.sessions.add(seat.config.instance_id)

    async def _attach(self, seat: _Seat, worker: WorkerProcess, *, reraise: bool) -> None:
        """Open and connect the session in ``worker`` (where it is seated)."""
        instance_id = seat.config.instance_id
        seat.generation += 1
        try:
            await worker.call("open", instance_id, config=seat.config, generation=seat.generation)
            await worker.call("connect", instance_id)
        except WorkerStoppedError:
            return  # the death handler has the seat now
        except Exception as exc:
            seat.wanted = False
            await self._release(seat)
            if reraise:
                raise
            self._deliver(
                instance_id, ConnectionFailed(reason=f"The session could not reconnect: {exc}")
            )

    async def _release(self, seat: _Seat) -> None:
        worker, seat.worker = seat.worker, None
        if worker is None:
            return
        worker.sessions.discard(seat.config.instance_id)
        seat.generation += 1  # late events of the closed backend are dropped
        if worker.alive:
            with contextlib.suppress(WorkerStoppedError):
                await worker.call("close", seat.config.instance_id)

    # --- what workers report ------------------------------------------------------------

    def _on_event(
        self, worker: WorkerProcess, instance_id: str, generation: int, event: EngineEvent
    ) -> None:
        seat = self._seats.get(instance_id)
        if seat is None or seat.worker is not worker or seat.generation != generation:
            return  # from a backend closed or replaced since
        if isinstance(event, LoggedIn):
            seat.failures = 0
            # a restarted worker resumes this device (a shared store holds many)
            seat.config = replace(seat.config, device_jid=event.me.jid)
        self._deliver(instance_id, event)

    def _on_exit(self, worker: WorkerProcess) -> None:
        with contextlib.suppress(ValueError):
            self._workers.remove(worker)
        if self._closing or worker.stopping:
            return
        lived = time.monotonic() - worker.started_at
        if lived > self._stable_seconds:
            self._delay = self._backoff_initial
        orphans = self._orphan(worker)
        if not orphans:
            return
        delay, self._delay = self._delay, min(self._delay * 2, self._backoff_max)
        task = asyncio.create_task(self._restart(orphans, delay), name="wagate-worker-restart")
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    def _orphan(self, worker: WorkerProcess) -> list[_Seat]:
        """Tell the dead worker's sessions; those still worth it wait for a restart."""
        exit_text = describe_exit(worker.returncode)
        last = worker.stderr_tail[-1] if worker.stderr_tail else ""
        orphans: list[_Seat] = []
        for instance_id in sorted(worker.sessions):
            seat = self._seats.get(instance_id)
            if seat is None or seat.worker is not worker:
                continue
            seat.worker = None
            if not seat.wanted:
                continue
            seat.failures += 1
            if seat.failures > self._max_restarts:
                seat.wanted = False
                detail = f"{exit_text}, {seat.failures} times in a row" + (
                    f"; last output: {last}" if last else ""
                )
                reason = f"The engine worker keeps stopping: {detail}"
                self._deliver(instance_id, ConnectionFailed(reason=reason))
                continue
            reason = f"The engine worker stopped ({exit_text}); reconnecting"
            self._deliver(instance_id, ConnectionLost(reason=reason))
            orphans.append(seat)
        worker.sessions.clear()
        return orphans

    async def _restart(self, orphans: list[_Seat], delay: float) -> None:
        await asyncio.sleep(delay)
        wanted = [s for s in orphans if s.wanted and s.worker is None and not self._closing]
        if not wanted:
            return
        # One worker takes them back, but for a second session of one account: placed
        # like a new one, elsewhere.
        keys: set[str] = set()
        seats: list[_Seat] = []
        elsewhere: list[_Seat] = []
        for seat in wanted:
            key = client_key(seat.config)
            (elsewhere if key in keys else seats).append(seat)
            keys.add(key)
        try:
            async with self._placing:
                worker = await self._start_worker()
                for seat in seats:
                    self._seat_on(seat, worker)
        except OSError as exc:
            log.error("could not start an engine worker: %s", exc)
            return self._on_start_failure(wanted)
        # Sessions that did not bring a worker down before go first.
        for seat in sorted(seats, key=lambda s: s.failures):
            async with seat.lock:
                if seat.wanted and seat.worker is worker and worker.alive:
                    await self._attach(seat, worker, reraise=False)
        for seat in elsewhere:
            async with seat.lock:
                if not seat.wanted or seat.worker is not None or self._closing:
                    continue
                try:
                    placed = await self._place(seat)
                except OSError as exc:
                    log.error("could not start an engine worker: %s", exc)
                    self._on_start_failure([seat])
                    continue
                await self._attach(seat, placed, reraise=False)

    def _on_start_failure(self, seats: list[_Seat]) -> None:
        dead = WorkerProcess(
            0, backend=self._backend, max_sessions=0, on_event=self._on_event, on_exit=self._on_exit
        )
        for seat in seats:
            self._seat_on(seat, dead)
        self._on_exit(dead)
