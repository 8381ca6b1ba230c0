"""Session lifecycle: create, start, stop, log in and out, and come back after a restart.

The session row in the store is the truth about a session. This service is the only
writer of its status, and every status change goes through :func:`can_transition`.
Engine sessions live in memory (one *runtime* per running session); their events arrive
through a sink bound to that runtime, so an event from a runtime that was replaced or
stopped is ignored instead of corrupting the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from wagate.domain.clock import now_ms
from wagate.domain.events import (
    ConnectionFailed,
    ConnectionLost,
    EngineEvent,
    LoggedIn,
    LoggedOut,
    QrCodeChanged,
    SessionStatusChanged,
)
from wagate.domain.ids import new_instance_id
from wagate.domain.models import AccessToken, Session
from wagate.domain.status import RUNNING, SessionStatus, can_transition
from wagate.engines.base import Engine, EngineSession
from wagate.errors import (
    InvalidInstanceError,
    InvalidParamError,
    InvalidSessionStatusError,
    NotSupportedError,
    SessionNotReadyError,
    UpstreamError,
    WagateError,
)
from wagate.services.qr import qr_png
from wagate.store.repositories.sessions import SessionRepository

log = logging.getLogger(__name__)
T = TypeVar("T")

Publish = Callable[[Session, SessionStatusChanged], Awaitable[None]]
Forward = Callable[[Session, EngineEvent], Awaitable[None]]

# How long a request waits for a just-started session to show its first QR code.
QR_WAIT_SECONDS = 5.0
MAX_NAME_LENGTH = 200


async def _ignore(session: Session, event: Any) -> None:
    """Where events go when nobody listens (unit tests of the lifecycle alone)."""


@dataclass(eq=False)
class _Runtime:
    """A running engine session and what it last told us."""

    engine_session: EngineSession
    qr: str | None = None
    qr_shown: asyncio.Event = field(default_factory=asyncio.Event)
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # first news arrived
    linked: asyncio.Event = field(default_factory=asyncio.Event)


class SessionService:
    """Owns every session's lifecycle; the HTTP layer and the CLI call it."""

    def __init__(
        self,
        repository: SessionRepository,
        engines: Mapping[str, Engine],
        *,
        default_engine: str,
        publish: Publish = _ignore,
    ) -> None:
        if default_engine not in engines:
            raise ValueError(f"default engine {default_engine!r} is not available")
        self._sessions = repository
        self._engines = dict(engines)
        self._default_engine = default_engine
        self._publish = publish
        self._forward: Forward = _ignore
        self.restoring = False  # sessions of the last run are still coming back
        self._on_delete: list[Callable[[str], Awaitable[None]]] = []
        self._runtimes: dict[str, _Runtime] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def on_delete(self, cleanup: Callable[[str], Awaitable[None]]) -> None:
        """Also run ``cleanup(instance_id)`` when a session is deleted (its media files)."""
        self._on_delete.append(cleanup)

    def forward_engine_events(self, handler: Forward) -> None:
        """Where engine events other than login and logout go (messaging), in order."""
        self._forward = handler

    @property
    def engine_names(self) -> list[str]:
        return sorted(self._engines)

    def engine(self, name: str) -> Engine:
        return self._engines[name]

    # --- reading ------------------------------------------------------------------

    async def get_for(self, token: AccessToken, instance_id: Any) -> Session:
        """The session ``token`` may use; an unknown and a foreign id look the same."""
        if not isinstance(instance_id, str) or not instance_id.strip():
            raise InvalidInstanceError("Invalid instance_id")
        session = await self._sessions.get(instance_id.strip())
        if session is None or not (token.is_admin or session.owner_token_id == token.id):
            raise InvalidInstanceError("Invalid instance_id")
        return session

    async def list_for(self, token: AccessToken) -> list[Session]:
        owner = None if token.is_admin else token.id
        return await self._sessions.list(owner_token_id=owner)

    async def count_by_status(self) -> dict[str, int]:
        return await self._sessions.count_by_status()

    # --- lifecycle ----------------------------------------------------------------

    async def create(
        self,
        owner: AccessToken,
        *,
        name: str,
        engine: str | None = None,
        config: dict[str, Any] | None = None,
        start: bool = True,
        prepare: Callable[[Session], Awaitable[None]] | None = None,
    ) -> Session:
        """A new session, started unless ``start`` is false.

        ``prepare`` runs between creating the row and starting (webhooks are added there,
        so they see the first status events). If it or the start fails, the row is
        removed again: a failed create leaves nothing.
        """
        name = name.strip()
        if not name:
            raise InvalidParamError("Invalid parameter name: must not be empty", param="name")
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidParamError(
                f"Invalid parameter name: at most {MAX_NAME_LENGTH} characters", param="name"
            )
        engine = engine or self._default_engine
        if engine not in self._engines:
            raise InvalidParamError(
                f"Invalid parameter engine: unknown engine {engine!r}; "
                f"available: {', '.join(self.engine_names)}",
                param="engine",
            )
        now = now_ms()
        session = Session(
            instance_id=await self._free_instance_id(),
            name=name,
            owner_token_id=owner.id,
            engine=engine,
            config=config or {},
            created_at=now,
            updated_at=now,
        )
        await self._sessions.create(session)
        try:
            if prepare is not None:
                await prepare(session)
            return await self.start(session.instance_id) if start else session
        except BaseException:
            await self._discard(session.instance_id)
            raise

    async def start(self, instance_id: str) -> Session:
        """Start the session; starting a running session changes nothing."""
        async with self._lock(instance_id):
            session = await self._require(instance_id)
            if session.status in RUNNING and instance_id in self._runtimes:
                return session
            await self._sessions.set_should_run(instance_id, True)
            await self._start_locked(session)
        return await self._settle(instance_id)

    async def stop(self, instance_id: str) -> Session:
        """Disconnect, keep the linked device; the session stays stopped across restarts."""
        async with self._lock(instance_id):
            session = await self._require(instance_id)
            await self._drop_runtime(instance_id)
            await self._sessions.set_should_run(instance_id, False)
            if session.status is SessionStatus.STOPPED:
                return session
            return await self._set_status(session, SessionStatus.STOPPED)

    async def restart(self, instance_id: str) -> Session:
        async with self._lock(instance_id):
            session = await self._require(instance_id)
            await self._drop_runtime(instance_id)
            await self._sessions.set_should_run(instance_id, True)
            await self._start_locked(session)
        return await self._settle(instance_id)

    async def logout(self, instance_id: str) -> Session:
        """Unlink the device. A running session goes back to showing a QR code."""
        async with self._lock(instance_id):
            session = await self._require(instance_id)
            runtime = self._runtimes.pop(instance_id, None)
            if runtime is not None:
                await self._engine_call(runtime.engine_session.logout())
            await self._engine_call(self._engines[session.engine].forget(instance_id))
            await self._sessions.set_me(instance_id, None)
            session = await self._require(instance_id)
            if runtime is None and session.status is SessionStatus.STOPPED:
                return session
            # Running or failed: start over, so the user gets a fresh QR code to link.
            await self._sessions.set_should_run(instance_id, True)
            await self._start_locked(session)
        return await self._settle(instance_id)

    async def delete(self, instance_id: str) -> None:
        """Disconnect, forget the device and remove the session for good."""
        async with self._lock(instance_id):
            session = await self._require(instance_id)
            await self._drop_runtime(instance_id)
            await self._engine_call(self._engines[session.engine].forget(instance_id))
            await self._sessions.delete(instance_id)
            for cleanup in self._on_delete:
                await cleanup(instance_id)
        self._locks.pop(instance_id, None)

    # --- login --------------------------------------------------------------------

    async def qr_value(self, instance_id: str) -> str:
        """The current QR code value of a session waiting to be linked."""
        runtime = await self._waiting_runtime(instance_id)
        assert runtime.qr is not None
        return runtime.qr

    async def request_code(self, instance_id: str, phone: str) -> str:
        """A pairing code to type on the phone ``phone`` (digits) instead of scanning."""
        runtime = await self._waiting_runtime(instance_id)
        return await self._engine_call(runtime.engine_session.request_pairing_code(phone))

    async def screenshot(self, instance_id: str) -> tuple[str, bytes]:
        """``(mimetype, bytes)``: the QR code while pairing, else what the engine shows."""
        session = await self._require(instance_id)
        runtime = self._runtimes.get(instance_id)
        if session.status is SessionStatus.SCAN_QR_CODE and runtime and runtime.qr:
            return "image/png", qr_png(runtime.qr)
        if runtime is None:
            raise NotSupportedError(
                f"No screen to capture while the session is {session.status.value}"
            )
        return "image/png", await runtime.engine_session.screenshot()

    async def _settle(self, instance_id: str) -> Session:
        """The session once its engine said how the start went (a QR code, a login or a
        failure), so that callers see SCAN_QR_CODE or WORKING rather than STARTING."""
        runtime = self._runtimes.get(instance_id)
        if runtime is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(runtime.settled.wait(), QR_WAIT_SECONDS)
        return await self._require(instance_id)

    async def wait_linked(self, instance_id: str) -> Session:
        """The session once its engine reported the login (or as it is after a while)."""
        runtime = self._runtimes.get(instance_id)
        if runtime is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(runtime.linked.wait(), QR_WAIT_SECONDS)
        return await self._require(instance_id)

    def exclusive(self, instance_id: str) -> asyncio.Lock:
        """The session's lock: engine events wait while the holder works.

        Sending holds it from the engine call until the message is stored, so a receipt
        for the message cannot be handled before the message itself.
        """
        return self._lock(instance_id)

    async def working_engine_session(self, instance_id: str) -> tuple[Session, EngineSession]:
        """The connected engine session of a WORKING session, for messaging calls."""
        session = await self._require(instance_id)
        runtime = self._runtimes.get(instance_id)
        if session.status is not SessionStatus.WORKING or runtime is None:
            raise SessionNotReadyError(
                f"The session is {session.status.value}; it must be WORKING",
                session_status=session.status.value,
            )
        return session, runtime.engine_session

    # --- server start and stop --------------------------------------------------------

    async def restore(self) -> None:
        """Start the sessions that were running when the server stopped.

        A session that should run comes back (WORKING without a scan when its device
        is stored); one marked running that should not run is set STOPPED.
        """
        self.restoring = True
        try:
            await self._restore_all()
        finally:
            self.restoring = False

    async def _restore_all(self) -> None:
        sessions = await self._sessions.list()
        wanted = [s for s in sessions if s.should_run and s.status is not SessionStatus.FAILED]
        wanted_ids = {s.instance_id for s in wanted}
        for session in sessions:
            if session.instance_id not in wanted_ids and session.status in RUNNING:
                await self._sessions.set_status(session.instance_id, SessionStatus.STOPPED, None)
        results = await asyncio.gather(
            *(self._restore_one(s.instance_id) for s in wanted), return_exceptions=True
        )
        for session, result in zip(wanted, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("session %s did not restart: %s", session.instance_id, result)

    async def shutdown(self) -> None:
        """Disconnect every session, keeping statuses so :meth:`restore` resumes them."""
        runtimes, self._runtimes = self._runtimes, {}
        for instance_id, runtime in runtimes.items():
            try:
                await runtime.engine_session.disconnect()
            except Exception:
                log.exception("session %s did not disconnect cleanly", instance_id)

    # --- internals ----------------------------------------------------------------

    def _lock(self, instance_id: str) -> asyncio.Lock:
        return self._locks.setdefault(instance_id, asyncio.Lock())

    async def _require(self, instance_id: str) -> Session:
        session = await self._sessions.get(instance_id)
        if session is None:
            raise InvalidInstanceError("Invalid instance_id")
        return session

    async def _free_instance_id(self) -> str:
        while True:
            instance_id = new_instance_id()
            if await self._sessions.get(instance_id) is None:
                return instance_id

    async def _discard(self, instance_id: str) -> None:
        await self._drop_runtime(instance_id)
        await self._sessions.delete(instance_id)
        self._locks.pop(instance_id, None)

    async def _restore_one(self, instance_id: str) -> None:
        async with self._lock(instance_id):
            session = await self._require(instance_id)
            if session.status is not SessionStatus.STOPPED:
                # The previous process died while the session ran; it starts over.
                session = await self._set_status(session, SessionStatus.STOPPED)
            await self._start_locked(session)

    async def _start_locked(self, session: Session) -> Session:
        """STARTING, then connect; the engine's events move the status on."""
        instance_id = session.instance_id
        await self._drop_runtime(instance_id)
        if session.status is not SessionStatus.STARTING:  # else a start that never got going
            session = await self._set_status(session, SessionStatus.STARTING)
        engine = self._engines[session.engine]
        runtime: _Runtime | None = None

        async def sink(event: EngineEvent) -> None:
            assert runtime is not None
            await self._on_engine_event(instance_id, runtime, event)

        try:
            runtime = _Runtime(await engine.open_session(instance_id, sink))
            self._runtimes[instance_id] = runtime
            await runtime.engine_session.connect()
        except Exception as exc:
            self._runtimes.pop(instance_id, None)
            reason = f"The engine could not start the session: {exc}"
            await self._set_status(session, SessionStatus.FAILED, reason)
            raise UpstreamError(reason) from exc
        return await self._require(instance_id)

    async def _drop_runtime(self, instance_id: str) -> None:
        runtime = self._runtimes.pop(instance_id, None)
        if runtime is not None:
            await self._engine_call(runtime.engine_session.disconnect())

    async def _waiting_runtime(self, instance_id: str) -> _Runtime:
        """The runtime of a session showing a QR code; waits briefly while it starts."""
        session = await self._require(instance_id)
        runtime = self._runtimes.get(instance_id)
        if session.status is SessionStatus.STARTING and runtime is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(runtime.qr_shown.wait(), QR_WAIT_SECONDS)
            session = await self._require(instance_id)
            runtime = self._runtimes.get(instance_id)
        if session.status is not SessionStatus.SCAN_QR_CODE or runtime is None or not runtime.qr:
            raise InvalidSessionStatusError(
                f"The session is {session.status.value}, not waiting for a QR code scan "
                "(SCAN_QR_CODE)",
                session_status=session.status.value,
            )
        return runtime

    async def _on_engine_event(
        self, instance_id: str, runtime: _Runtime, event: EngineEvent
    ) -> None:
        async with self._lock(instance_id):
            if self._runtimes.get(instance_id) is not runtime:
                return  # a stopped or replaced runtime; its news is stale
            session = await self._sessions.get(instance_id)
            if session is None:
                return
            try:
                await self._apply(instance_id, runtime, session, event)
            finally:
                runtime.settled.set()

    async def _apply(
        self, instance_id: str, runtime: _Runtime, session: Session, event: EngineEvent
    ) -> None:
        match event:
            case QrCodeChanged(value=value):
                runtime.qr = value
                runtime.qr_shown.set()
                if session.status is not SessionStatus.SCAN_QR_CODE:
                    await self._set_status(session, SessionStatus.SCAN_QR_CODE)
            case LoggedIn(me=me):
                runtime.qr = None
                await self._sessions.set_me(instance_id, me)
                if session.status is not SessionStatus.WORKING:
                    await self._set_status(session, SessionStatus.WORKING)
                runtime.linked.set()
            case ConnectionLost(reason=reason):
                # The engine reconnects by itself; LoggedIn brings the session back.
                runtime.linked.clear()
                if session.status is SessionStatus.WORKING:
                    await self._set_status(session, SessionStatus.STARTING, reason)
            case LoggedOut(reason=reason) | ConnectionFailed(reason=reason):
                self._runtimes.pop(instance_id, None)
                await self._engine_call(runtime.engine_session.disconnect())
                if isinstance(event, LoggedOut):
                    await self._sessions.set_me(instance_id, None)
                await self._set_status(session, SessionStatus.FAILED, reason)
                runtime.linked.set()
            case _:
                await self._forward(session, event)

    async def _set_status(
        self, session: Session, status: SessionStatus, reason: str | None = None
    ) -> Session:
        if not can_transition(session.status, status):
            raise InvalidSessionStatusError(
                f"A {session.status.value} session cannot become {status.value}",
                session_status=session.status.value,
            )
        await self._sessions.set_status(session.instance_id, status, reason)
        updated = await self._require(session.instance_id)
        await self._publish(
            updated,
            SessionStatusChanged(
                instance_id=session.instance_id, status=status, reason=reason, timestamp=now_ms()
            ),
        )
        return updated

    @staticmethod
    async def _engine_call(call: Awaitable[T]) -> T:
        """Await an engine operation; unexpected engine failures become upstream errors."""
        try:
            return await call
        except WagateError:
            raise
        except Exception as exc:
            raise UpstreamError(f"The engine failed: {exc}") from exc
