"""The sandbox engine: linking by QR and pairing code, unlinking, resuming devices."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from sandbox_support import MemoryDeviceStore, wait_for
from wagate.domain.events import EngineEvent, LoggedIn, LoggedOut, QrCodeChanged
from wagate.domain.models import Me
from wagate.engines.base import EngineSession
from wagate.engines.sandbox import SandboxEngine, SandboxNetwork, SandboxSession
from wagate.engines.sandbox.util import PAIRING_CODE_ALPHABET, autolink_phone
from wagate.errors import InvalidParamError, InvalidSessionStatusError, NotSupportedError

ID = "ABCDEFGH1234"
PHONE = "447441429009"


class Recorder:
    """An EventSink that records events (into the shared journal too)."""

    def __init__(self, journal: list[Any]) -> None:
        self.events: list[EngineEvent] = []
        self.journal = journal
        self.hook: Callable[[EngineEvent], Any] | None = None
        self.active = 0
        self.overlapped = False

    async def __call__(self, event: EngineEvent, /) -> None:
        self.active += 1
        self.overlapped = self.overlapped or self.active > 1
        try:
            self.events.append(event)
            self.journal.append(event)
            await asyncio.sleep(0)
            if self.hook is not None:
                result = self.hook(event)
                if asyncio.iscoroutine(result):
                    await result
        finally:
            self.active -= 1

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def journal() -> list[Any]:
    return []


@pytest.fixture
def store(journal: list[Any]) -> MemoryDeviceStore:
    return MemoryDeviceStore(journal)


@pytest.fixture
def sink(journal: list[Any]) -> Recorder:
    return Recorder(journal)


@pytest.fixture
async def engine(store: MemoryDeviceStore) -> AsyncIterator[SandboxEngine]:
    engine = SandboxEngine(store, qr_rotate_seconds=0.05)
    yield engine
    await engine.close()


async def connected(engine: SandboxEngine, sink: Recorder) -> SandboxSession:
    """Open and connect the session; wait for its first QR code."""
    session = await engine.open_session(ID, sink)
    await session.connect()
    await wait_for(lambda: bool(sink.of(QrCodeChanged)))
    return session


QR_RE = re.compile(r"^2@([A-Za-z0-9+/=]+),([A-Za-z0-9+/=]+),([A-Za-z0-9+/=]+),([A-Za-z0-9+/=]+)$")


# --- network -------------------------------------------------------------------------


def test_network_creates_phones_on_demand() -> None:
    network = SandboxNetwork()
    phone = network.phone(PHONE)
    assert phone.phone == PHONE
    assert phone.push_name == "Sandbox 9009"
    assert re.fullmatch(r"[1-9]\d{14}@lid", phone.lid)
    assert network.phone(PHONE) is phone
    assert PHONE in network
    assert len(network) == 1
    # deterministic across networks, distinct across phones
    assert SandboxNetwork().phone(PHONE).lid == phone.lid
    assert network.phone("15550000001").lid != phone.lid
    renamed = network.phone(PHONE, "Alice")
    assert renamed.push_name == "Alice"
    assert renamed.lid == phone.lid
    assert network.get(PHONE) == renamed
    assert network.get("999999999") is None
    with pytest.raises(InvalidParamError):
        network.phone("+44 7441")


# --- QR codes ------------------------------------------------------------------------


async def test_connect_emits_a_qr_code_at_once(store: MemoryDeviceStore, sink: Recorder) -> None:
    engine = SandboxEngine(store)  # default 20 s rotation
    try:
        session = await engine.open_session(ID, sink)
        assert isinstance(session, EngineSession)
        assert not session.waiting_for_link
        await session.connect()
        await wait_for(lambda: bool(sink.events))
        (qr,) = sink.events
        assert isinstance(qr, QrCodeChanged)
        match = QR_RE.match(qr.value)
        assert match is not None
        sizes = [len(base64.b64decode(part)) for part in match.groups()[1:]]
        assert sizes == [32, 32, 16]
        assert session.waiting_for_link
        assert not session.linked
        assert session.qr == qr.value
    finally:
        await engine.close()
    assert not session.waiting_for_link


async def test_qr_code_rotates(engine: SandboxEngine, sink: Recorder) -> None:
    await connected(engine, sink)
    await wait_for(lambda: len(sink.of(QrCodeChanged)) >= 3)
    values = [e.value for e in sink.of(QrCodeChanged)]
    assert len(set(values)) == len(values)
    assert not sink.overlapped


async def test_disconnect_stops_the_qr_codes(engine: SandboxEngine, sink: Recorder) -> None:
    session = await connected(engine, sink)
    await session.disconnect()
    await session.disconnect()  # idempotent
    count = len(sink.events)
    await asyncio.sleep(0.12)
    assert len(sink.events) == count
    assert not session.waiting_for_link
    assert not session.connected


async def test_screenshot_is_not_supported(engine: SandboxEngine, sink: Recorder) -> None:
    session = await engine.open_session(ID, sink)
    with pytest.raises(NotSupportedError):
        await session.screenshot()


# --- scan ----------------------------------------------------------------------------


async def test_scan_saves_the_device_then_logs_in(
    engine: SandboxEngine, sink: Recorder, store: MemoryDeviceStore, journal: list[Any]
) -> None:
    session = await connected(engine, sink)
    me = await engine.scan(ID, PHONE, "Alice")
    lid = engine.network.phone(PHONE).lid
    assert me == Me(id=f"{PHONE}@c.us", lid=lid, push_name="Alice")
    # delivered before scan returns, after the device was saved
    assert sink.events[-1] == LoggedIn(me=me)
    assert journal.index(("save", ID)) < journal.index(LoggedIn(me=me))
    assert store.devices[ID] == ("sandbox", {"phone": PHONE, "push_name": "Alice", "lid": lid})
    assert session.linked
    assert not session.waiting_for_link
    assert session.me == me
    # no more QR codes once linked
    count = len(sink.events)
    await asyncio.sleep(0.12)
    assert len(sink.events) == count


async def test_scan_with_the_default_push_name(engine: SandboxEngine, sink: Recorder) -> None:
    await connected(engine, sink)
    me = await engine.scan(ID, PHONE)
    assert me.push_name == "Sandbox 9009"


async def test_scan_when_not_waiting_fails(engine: SandboxEngine, sink: Recorder) -> None:
    with pytest.raises(InvalidSessionStatusError, match="not waiting for a QR code scan"):
        await engine.scan(ID, PHONE)  # no session
    session = await engine.open_session(ID, sink)
    with pytest.raises(InvalidSessionStatusError):
        await engine.scan(ID, PHONE)  # not connected
    await session.connect()
    await wait_for(lambda: session.waiting_for_link)
    await engine.scan(ID, PHONE)
    with pytest.raises(InvalidSessionStatusError):
        await engine.scan(ID, PHONE)  # already linked
    await session.disconnect()
    with pytest.raises(InvalidSessionStatusError):
        await engine.scan(ID, PHONE)  # disconnected


async def test_stored_device_resumes_without_qr(
    engine: SandboxEngine, sink: Recorder, journal: list[Any]
) -> None:
    session = await connected(engine, sink)
    me = await engine.scan(ID, PHONE, "Alice")
    await session.disconnect()
    assert not session.linked

    other = Recorder(journal)
    session = await engine.open_session(ID, other)
    await session.connect()
    await wait_for(lambda: bool(other.events))
    assert other.events == [LoggedIn(me=me)]
    assert session.linked
    await asyncio.sleep(0.12)
    assert other.events == [LoggedIn(me=me)]


async def test_a_new_engine_resumes_the_stored_device(
    store: MemoryDeviceStore, sink: Recorder
) -> None:
    await store.save(ID, "sandbox", {"phone": PHONE, "push_name": "Bob", "lid": "1@lid"})
    engine = SandboxEngine(store, qr_rotate_seconds=0.05)
    try:
        session = await engine.open_session(ID, sink)
        await session.connect()
        await wait_for(lambda: session.linked)
        await wait_for(lambda: bool(sink.events))
        lid = engine.network.phone(PHONE).lid
        assert sink.events == [LoggedIn(me=Me(id=f"{PHONE}@c.us", lid=lid, push_name="Bob"))]
    finally:
        await engine.close()


# --- pairing code --------------------------------------------------------------------


async def test_pairing_code_format(engine: SandboxEngine, sink: Recorder) -> None:
    session = await connected(engine, sink)
    code = await session.request_pairing_code(PHONE)
    assert re.fullmatch(rf"[{PAIRING_CODE_ALPHABET}]{{4}}-[{PAIRING_CODE_ALPHABET}]{{4}}", code)
    assert session.pending_pairing_code == code


async def test_pairing_code_requires_waiting_for_link(
    engine: SandboxEngine, sink: Recorder
) -> None:
    session = await engine.open_session(ID, sink)
    with pytest.raises(InvalidSessionStatusError):
        await session.request_pairing_code(PHONE)
    await session.connect()
    await wait_for(lambda: session.waiting_for_link)
    await engine.scan(ID, PHONE)
    with pytest.raises(InvalidSessionStatusError):
        await session.request_pairing_code(PHONE)


async def test_confirm_the_right_code(
    engine: SandboxEngine, sink: Recorder, store: MemoryDeviceStore, journal: list[Any]
) -> None:
    session = await connected(engine, sink)
    code = await session.request_pairing_code(PHONE)
    typed = code.replace("-", "").lower()  # case-insensitive, dash optional
    me = await engine.confirm_code(ID, typed)
    assert me.id == f"{PHONE}@c.us"
    assert sink.events[-1] == LoggedIn(me=me)
    assert journal.index(("save", ID)) < journal.index(LoggedIn(me=me))
    assert store.devices[ID][1]["phone"] == PHONE
    assert session.linked
    with pytest.raises(InvalidSessionStatusError):
        await engine.confirm_code(ID, code)  # nothing pending any more


async def test_confirm_a_wrong_code(
    engine: SandboxEngine, sink: Recorder, store: MemoryDeviceStore
) -> None:
    session = await connected(engine, sink)
    code = await session.request_pairing_code(PHONE)
    wrong = "ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ" else "YYYY-YYYY"
    with pytest.raises(InvalidParamError, match="Wrong pairing code"):
        await engine.confirm_code(ID, wrong)
    assert session.waiting_for_link
    assert ID not in store.devices
    await engine.confirm_code(ID, code)  # the right one still works
    assert session.linked


async def test_confirm_without_a_pending_code(engine: SandboxEngine, sink: Recorder) -> None:
    with pytest.raises(InvalidSessionStatusError):
        await engine.confirm_code(ID, "ABCD-EFGH")  # no session
    await connected(engine, sink)
    with pytest.raises(InvalidSessionStatusError):
        await engine.confirm_code(ID, "ABCD-EFGH")


# --- unlink, logout, forget ----------------------------------------------------------


async def test_unlink_logs_out_and_deletes_the_device(
    engine: SandboxEngine, sink: Recorder, store: MemoryDeviceStore, journal: list[Any]
) -> None:
    session = await connected(engine, sink)
    await engine.scan(ID, PHONE)
    await engine.unlink(ID)
    event = LoggedOut(reason="The linked device was removed on the phone")
    assert sink.events[-1] == event
    assert journal.index(("delete", ID)) < journal.index(event)
    assert ID not in store.devices
    assert not session.linked
    await wait_for(lambda: not session.connected)
    count = len(sink.events)
    await asyncio.sleep(0.12)
    assert len(sink.events) == count  # stopped: no QR codes
    with pytest.raises(InvalidSessionStatusError):
        await engine.unlink(ID)


async def test_unlink_requires_a_linked_session(engine: SandboxEngine, sink: Recorder) -> None:
    with pytest.raises(InvalidSessionStatusError):
        await engine.unlink(ID)  # no session
    await connected(engine, sink)
    with pytest.raises(InvalidSessionStatusError):
        await engine.unlink(ID)  # waiting for a scan


async def test_reconnect_after_unlink_shows_qr(engine: SandboxEngine, sink: Recorder) -> None:
    session = await connected(engine, sink)
    await engine.scan(ID, PHONE)
    await engine.unlink(ID)
    sink.events.clear()
    await session.connect()
    await wait_for(lambda: bool(sink.of(QrCodeChanged)))
    assert session.waiting_for_link


async def test_logout_is_idempotent(
    engine: SandboxEngine, sink: Recorder, store: MemoryDeviceStore
) -> None:
    session = await connected(engine, sink)
    await engine.scan(ID, PHONE)
    await session.logout()
    assert ID not in store.devices
    assert not session.linked
    assert not session.connected
    await session.logout()
    assert not any(isinstance(e, LoggedOut) for e in sink.events)


async def test_forget_deletes_the_device(
    engine: SandboxEngine, sink: Recorder, store: MemoryDeviceStore
) -> None:
    session = await connected(engine, sink)
    await engine.scan(ID, PHONE)
    await session.disconnect()
    assert ID in store.devices
    await engine.forget(ID)
    assert ID not in store.devices
    assert engine.session(ID) is None


# --- autolink ------------------------------------------------------------------------


async def test_autolink(store: MemoryDeviceStore, sink: Recorder, journal: list[Any]) -> None:
    engine = SandboxEngine(store, qr_rotate_seconds=0.02, autolink_seconds=0.08)
    try:
        session = await engine.open_session(ID, sink)
        await session.connect()
        await wait_for(lambda: bool(sink.of(LoggedIn)))
        (logged_in,) = sink.of(LoggedIn)
        phone = autolink_phone(ID)
        assert re.fullmatch(r"15550\d{6}", phone)
        assert phone == autolink_phone(ID)
        assert logged_in.me.id == f"{phone}@c.us"
        assert isinstance(sink.events[0], QrCodeChanged)
        assert journal.index(("save", ID)) < journal.index(logged_in)
        assert store.devices[ID][1]["phone"] == phone
        assert session.linked
    finally:
        await engine.close()


# --- sink behaviour ------------------------------------------------------------------


async def test_disconnect_from_inside_the_sink(engine: SandboxEngine, sink: Recorder) -> None:
    session = await engine.open_session(ID, sink)
    calls: list[EngineEvent] = []

    async def hook(event: EngineEvent) -> None:
        calls.append(event)
        await session.disconnect()

    sink.hook = hook
    await session.connect()
    await wait_for(lambda: bool(calls))
    await wait_for(lambda: not session.connected)
    await asyncio.sleep(0.12)
    assert len(calls) == 1
    await session.disconnect()


async def test_logout_from_inside_the_sink(
    engine: SandboxEngine, sink: Recorder, store: MemoryDeviceStore
) -> None:
    session = await connected(engine, sink)

    async def hook(event: EngineEvent) -> None:
        if isinstance(event, LoggedIn):
            await session.logout()

    sink.hook = hook
    await asyncio.wait_for(engine.scan(ID, PHONE), 2)
    assert ID not in store.devices
    await wait_for(lambda: not session.connected)


async def test_a_failing_sink_is_logged_and_the_session_goes_on(
    engine: SandboxEngine, sink: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    def hook(event: EngineEvent) -> None:
        raise RuntimeError("boom")

    sink.hook = hook
    session = await connected(engine, sink)
    await wait_for(lambda: len(sink.of(QrCodeChanged)) >= 2)
    assert "the event sink failed" in caplog.text
    me = await engine.scan(ID, PHONE)
    assert sink.events[-1] == LoggedIn(me=me)
    assert session.linked


async def test_open_session_replaces_the_previous_one(
    engine: SandboxEngine, sink: Recorder, journal: list[Any]
) -> None:
    first = await connected(engine, sink)
    other = Recorder(journal)
    second = await engine.open_session(ID, other)
    assert second is not first
    assert engine.session(ID) is second
    assert not first.connected
    await second.connect()
    await wait_for(lambda: bool(other.of(QrCodeChanged)))
    await engine.scan(ID, PHONE)
    assert second.linked
    assert not first.linked
