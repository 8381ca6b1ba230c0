"""The sandbox engine and its sessions.

Each :class:`SandboxSession` runs one background task that owns the session's timers
(QR rotation, autolink) and delivers its events to the sink, in order and one at a
time. Control methods (a scan, a pairing-code confirmation, an unlink) change the state
right away and queue their event on that task; they return once the sink has handled
it, unless they are called from inside the sink itself.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import enum
import hashlib
import logging
import secrets
from collections import deque
from typing import Any

from wagate.domain.events import (
    ConnectionFailed,
    EngineEvent,
    LoggedIn,
    LoggedOut,
    QrCodeChanged,
)
from wagate.domain.models import Me
from wagate.engines.base import DeviceStore, Engine, EngineSession, EventSink
from wagate.engines.sandbox.network import SandboxNetwork, VirtualPhone
from wagate.errors import InvalidParamError, InvalidSessionStatusError

logger = logging.getLogger(__name__)

ENGINE_NAME = "sandbox"
PAIRING_CODE_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"
PAIRING_CODE_LENGTH = 8
AUTOLINK_PREFIX = "15550"

NOT_WAITING_FOR_SCAN = "The session is not waiting for a QR code scan"
NOT_WAITING_FOR_LINK = "The session is not waiting to be linked"
NO_PENDING_CODE = "No pairing code is waiting for confirmation"
NOT_LINKED = "The session is not linked to a phone"
WRONG_CODE = "Wrong pairing code"
UNLINKED_REASON = "The linked device was removed on the phone"


def new_qr_value() -> str:
    """A QR payload shaped like WhatsApp's: ``2@ref,noise key,identity key,adv secret``."""

    def b64(size: int) -> str:
        return base64.b64encode(secrets.token_bytes(size)).decode("ascii")

    return f"2@{b64(48)},{b64(32)},{b64(32)},{b64(16)}"


def new_pairing_code() -> str:
    """Eight characters from WhatsApp's pairing alphabet, formatted ``ABCD-EFGH``."""
    raw = "".join(secrets.choice(PAIRING_CODE_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def autolink_phone(instance_id: str) -> str:
    """The deterministic phone an instance autolinks to: ``15550`` + six digits."""
    digest = int(hashlib.sha256(instance_id.encode("utf-8")).hexdigest(), 16)
    return f"{AUTOLINK_PREFIX}{digest % 10**6:06d}"


def _normalize_code(code: str) -> str:
    return code.strip().replace("-", "").upper()


def _me_of(phone: VirtualPhone) -> Me:
    return Me(id=phone.chat_id, lid=phone.lid, push_name=phone.push_name)


class _State(enum.Enum):
    IDLE = "idle"  # not connected (or just logged out)
    CONNECTING = "connecting"  # loading the stored device
    WAITING = "waiting"  # showing QR codes, may have a pairing code pending
    LINKING = "linking"  # saving the new device
    LINKED = "linked"
    UNLINKING = "unlinking"  # deleting the device after an unlink on the phone


class _Run:
    """One connection: its task and its queue of undelivered events."""

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None
        self.outbox: deque[tuple[EngineEvent, asyncio.Future[None] | None]] = deque()
        self.wakeup = asyncio.Event()
        self.stopped = False  # exit as soon as possible, dropping undelivered events
        self.closing = False  # exit once the outbox is delivered

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    @property
    def alive(self) -> bool:
        """Running and accepting events (not stopping, not closing)."""
        return not self.stopped and not self.closing and self.running


def _resolve(done: asyncio.Future[None] | None) -> None:
    if done is not None and not done.done():
        done.set_result(None)


class SandboxSession(EngineSession):
    """A session on the simulated network."""

    def __init__(
        self,
        instance_id: str,
        sink: EventSink,
        *,
        device_store: DeviceStore,
        network: SandboxNetwork,
        qr_rotate_seconds: float = 20.0,
        autolink_seconds: float = 0.0,
    ) -> None:
        self.instance_id = instance_id
        self._sink = sink
        self._store = device_store
        self._network = network
        self._qr_rotate_seconds = qr_rotate_seconds
        self._autolink_seconds = autolink_seconds
        self._state = _State.IDLE
        self._run: _Run | None = None
        self._lingering: asyncio.Task[None] | None = None  # stopping from inside the sink
        self._me: Me | None = None
        self._qr: str | None = None
        self._next_qr_at = 0.0
        self._autolink_at: float | None = None
        self._pending_code: tuple[str, str] | None = None  # (phone, code without dash)

    # --- read-only views --------------------------------------------------------------

    @property
    def linked(self) -> bool:
        """Logged in to a phone (after a link or resuming a stored device)."""
        return self._state is _State.LINKED

    @property
    def waiting_for_link(self) -> bool:
        """Showing QR codes (a scan or a pairing code can link it)."""
        return self._state is _State.WAITING

    @property
    def connected(self) -> bool:
        """The background task is running."""
        return self._run is not None and self._run.alive

    @property
    def me(self) -> Me | None:
        return self._me if self.linked else None

    @property
    def qr(self) -> str | None:
        """The QR value shown now, while waiting for a link."""
        return self._qr if self.waiting_for_link else None

    @property
    def pending_pairing_code(self) -> str | None:
        """The pairing code waiting for confirmation (``ABCD-EFGH``), if any."""
        if self._pending_code is None or not self.waiting_for_link:
            return None
        code = self._pending_code[1]
        return f"{code[:4]}-{code[4:]}"

    # --- EngineSession ----------------------------------------------------------------

    async def connect(self) -> None:
        previous = self._run
        if previous is not None and previous.alive:
            return
        if (
            previous is not None
            and previous.task is not None
            and previous.running
            and previous.task is not asyncio.current_task()
        ):
            # Still delivering its last events (e.g. LoggedOut): keep the order.
            await asyncio.wait({previous.task})
        run = _Run()
        self._run = run
        self._state = _State.CONNECTING
        run.task = asyncio.create_task(self._worker(run), name=f"wagate-sandbox-{self.instance_id}")

    async def disconnect(self) -> None:
        run = self._run
        self._run = None
        self._reset()
        current = asyncio.current_task()
        lingering = self._lingering
        if lingering is not None and lingering is not current:
            # A previous disconnect came from inside the sink: let that task end now.
            self._lingering = None
            if not lingering.done():
                await asyncio.wait({lingering})
        if run is None:
            return
        run.stopped = True
        run.wakeup.set()
        task = run.task
        if task is None or task.done():
            return
        if task is current:
            # Called from the sink on our own task: never cancel or await ourselves;
            # the loop sees `stopped` and ends once the sink returns.
            self._lingering = task
            return
        task.cancel()
        await asyncio.wait({task})

    async def logout(self) -> None:
        await self.disconnect()
        await self._store.delete(self.instance_id)

    async def request_pairing_code(self, phone: str) -> str:
        if self._state is not _State.WAITING:
            raise InvalidSessionStatusError(NOT_WAITING_FOR_LINK)
        number = phone.strip().removeprefix("+")
        if not number.isdigit():
            raise InvalidParamError("A phone number has only digits", phone=phone)
        code = new_pairing_code()
        self._pending_code = (number, _normalize_code(code))
        return code

    # --- control (what the phone does) -----------------------------------------------

    async def scan(self, phone: str, push_name: str | None = None) -> Me:
        """The phone scans the QR code shown now."""
        if self._state is not _State.WAITING:
            raise InvalidSessionStatusError(NOT_WAITING_FOR_SCAN)
        return await self._link(phone, push_name)

    async def confirm_code(self, code: str) -> Me:
        """The phone's user types the pairing code."""
        pending = self._pending_code
        if self._state is not _State.WAITING or pending is None:
            raise InvalidSessionStatusError(NO_PENDING_CODE)
        phone, expected = pending
        if _normalize_code(code) != expected:
            raise InvalidParamError(WRONG_CODE)
        return await self._link(phone, None)

    async def unlink(self) -> None:
        """The phone's user removes this linked device: forget it, log out, stop."""
        if self._state is not _State.LINKED:
            raise InvalidSessionStatusError(NOT_LINKED)
        self._state = _State.UNLINKING
        try:
            await self._store.delete(self.instance_id)
        except BaseException:
            if self._state is _State.UNLINKING:
                self._state = _State.LINKED
            raise
        if self._state is not _State.UNLINKING:
            return  # disconnected meanwhile: nobody to tell
        self._reset()
        await self._emit(LoggedOut(reason=UNLINKED_REASON), close=True)

    # --- internals --------------------------------------------------------------------

    def _reset(self) -> None:
        self._state = _State.IDLE
        self._me = None
        self._qr = None
        self._autolink_at = None
        self._pending_code = None

    async def _link(self, number: str, push_name: str | None) -> Me:
        phone = self._network.phone(number, push_name)
        self._state = _State.LINKING
        data: dict[str, Any] = {
            "phone": phone.phone,
            "push_name": phone.push_name,
            "lid": phone.lid,
        }
        try:
            await self._store.save(self.instance_id, ENGINE_NAME, data)
        except BaseException:
            if self._state is _State.LINKING:
                self._state = _State.WAITING
            raise
        me = _me_of(phone)
        if self._state is _State.LINKING:  # else disconnected while saving
            self._reset()
            self._state = _State.LINKED
            self._me = me
            await self._emit(LoggedIn(me=me))
        return me

    async def _emit(self, event: EngineEvent, *, close: bool = False) -> None:
        """Queue an event for the sink; wait for its delivery unless on the worker."""
        run = self._run
        if run is None or not run.alive:
            return
        on_worker = asyncio.current_task() is run.task
        done = None if on_worker else asyncio.get_running_loop().create_future()
        run.outbox.append((event, done))
        run.closing = close
        run.wakeup.set()
        if done is not None:
            await done

    async def _deliver(self, event: EngineEvent) -> None:
        try:
            await self._sink(event)
        except Exception:
            logger.exception(
                "sandbox session %s: the event sink failed on %s",
                self.instance_id,
                type(event).__name__,
            )

    async def _worker(self, run: _Run) -> None:
        try:
            await self._start(run)
            await self._loop(run)
        except Exception as exc:
            logger.exception("sandbox session %s failed", self.instance_id)
            if not run.stopped:
                run.stopped = True
                if self._run is run:
                    self._reset()
                await self._deliver(ConnectionFailed(reason=f"Sandbox engine failed: {exc}"))
        finally:
            run.stopped = True
            for _, done in run.outbox:
                _resolve(done)
            run.outbox.clear()
            if self._run is run:
                self._run = None
                self._reset()

    async def _start(self, run: _Run) -> None:
        data = await self._store.load(self.instance_id)
        if run.stopped:
            return
        phone = self._stored_phone(data)
        if phone is not None:
            self._state = _State.LINKED
            self._me = _me_of(phone)
            run.outbox.append((LoggedIn(me=self._me), None))
            return
        loop = asyncio.get_running_loop()
        self._state = _State.WAITING
        self._next_qr_at = loop.time()
        if self._autolink_seconds > 0:
            self._autolink_at = loop.time() + self._autolink_seconds

    def _stored_phone(self, data: dict[str, Any] | None) -> VirtualPhone | None:
        if not data:
            return None
        number = data.get("phone")
        if not isinstance(number, str) or not number.isdigit():
            logger.warning("sandbox session %s: ignoring an unusable device", self.instance_id)
            return None
        push_name = data.get("push_name")
        return self._network.phone(number, push_name if isinstance(push_name, str) else None)

    async def _loop(self, run: _Run) -> None:
        loop = asyncio.get_running_loop()
        while not run.stopped:
            if run.outbox:
                event, done = run.outbox.popleft()
                try:
                    await self._deliver(event)
                finally:
                    _resolve(done)
                continue
            if run.closing:
                return
            await self._tick(loop)
            if run.outbox or run.stopped:
                continue
            run.wakeup.clear()
            deadline = self._next_deadline()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    await run.wakeup.wait()

    async def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        """Fire the timers that are due: autolink, then QR rotation."""
        if self._state is not _State.WAITING:
            return
        now = loop.time()
        if self._autolink_at is not None and now >= self._autolink_at:
            self._autolink_at = None
            await self._link(autolink_phone(self.instance_id), None)
            return
        if now >= self._next_qr_at:
            self._qr = new_qr_value()
            if self._qr_rotate_seconds > 0:
                self._next_qr_at = now + self._qr_rotate_seconds
            else:
                self._next_qr_at = float("inf")
            await self._emit(QrCodeChanged(value=self._qr))

    def _next_deadline(self) -> float | None:
        if self._state is not _State.WAITING:
            return None
        deadline = self._next_qr_at
        if self._autolink_at is not None:
            deadline = min(deadline, self._autolink_at)
        return None if deadline == float("inf") else deadline


class SandboxEngine(Engine):
    """An in-process simulated WhatsApp network; every session of a server shares it."""

    name = ENGINE_NAME

    def __init__(
        self,
        device_store: DeviceStore,
        *,
        qr_rotate_seconds: float = 20.0,
        autolink_seconds: float = 0.0,
    ) -> None:
        self._store = device_store
        self._qr_rotate_seconds = qr_rotate_seconds
        self._autolink_seconds = autolink_seconds
        self._network = SandboxNetwork()
        self._sessions: dict[str, SandboxSession] = {}

    @property
    def network(self) -> SandboxNetwork:
        return self._network

    def session(self, instance_id: str) -> SandboxSession | None:
        """The open session for ``instance_id``, if any."""
        return self._sessions.get(instance_id)

    async def open_session(self, instance_id: str, sink: EventSink) -> SandboxSession:
        previous = self._sessions.pop(instance_id, None)
        if previous is not None:
            await previous.disconnect()
        session = SandboxSession(
            instance_id,
            sink,
            device_store=self._store,
            network=self._network,
            qr_rotate_seconds=self._qr_rotate_seconds,
            autolink_seconds=self._autolink_seconds,
        )
        self._sessions[instance_id] = session
        return session

    async def forget(self, instance_id: str) -> None:
        session = self._sessions.pop(instance_id, None)
        if session is not None:
            await session.disconnect()
        await self._store.delete(instance_id)

    async def close(self) -> None:
        sessions = list(self._sessions.values())
        self._sessions.clear()
        for session in sessions:
            await session.disconnect()

    # --- control routes (what the phone does) ----------------------------------------

    async def scan(self, instance_id: str, phone: str, push_name: str | None = None) -> Me:
        """As if ``phone`` scanned the QR code the session shows."""
        session = self._sessions.get(instance_id)
        if session is None or not session.waiting_for_link:
            raise InvalidSessionStatusError(NOT_WAITING_FOR_SCAN)
        return await session.scan(phone, push_name)

    async def confirm_code(self, instance_id: str, code: str) -> Me:
        """Complete the pairing-code login started by ``request_pairing_code``."""
        session = self._sessions.get(instance_id)
        if session is None:
            raise InvalidSessionStatusError(NO_PENDING_CODE)
        return await session.confirm_code(code)

    async def unlink(self, instance_id: str) -> None:
        """As if the user removed the linked device on the phone."""
        session = self._sessions.get(instance_id)
        if session is None:
            raise InvalidSessionStatusError(NOT_LINKED)
        await session.unlink()
