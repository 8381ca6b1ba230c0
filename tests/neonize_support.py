"""Shared by the tests of the neonize backend on the fake neonize client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from wagate.domain.events import EngineEvent, LoggedIn, QrCodeChanged
from wagate.engines.whatsmeow import fake
from wagate.engines.whatsmeow.backend import BackendConfig
from wagate.engines.whatsmeow.engine import WhatsmeowEngine, WhatsmeowSession


def backend_config(tmp_path: Path, instance_id: str) -> BackendConfig:
    return BackendConfig(
        instance_id=instance_id,
        device_store=str(tmp_path / f"{instance_id}.db"),
        device_name="wagate",
        media_dir=tmp_path / "media",
    )


class Recorder:
    """The backend's ``emit``: keeps what it reports."""

    def __init__(self) -> None:
        self.events: list[EngineEvent] = []

    def __call__(self, event: EngineEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def wait(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            while not predicate():  # noqa: ASYNC110 - events arrive from callbacks
                await asyncio.sleep(0.01)


Started = tuple[fake.FakeNeonizeBackend, Recorder]


def build(config: BackendConfig, **kw: Any) -> Started:
    recorder = Recorder()
    backend = fake.FakeNeonizeBackend(config, recorder, client_factory=fake.FakeNeonizeClient, **kw)
    return backend, recorder


async def linked(config: BackendConfig, phone: str) -> Started:
    """A backend on the fake client, connected and linked to ``phone``."""
    backend, rec = build(config)
    await backend.connect()
    await rec.wait(lambda: bool(rec.of(QrCodeChanged)))
    await backend.fake_scan(phone)
    await rec.wait(lambda: bool(rec.of(LoggedIn)))
    return backend, rec


def calls_of(backend: fake.FakeNeonizeBackend, op: str) -> list[tuple[Any, ...]]:
    """The arguments of every call of ``op`` the fake client received."""
    return [args for name, args in backend.fake.calls if name == op]


@asynccontextmanager
async def worker_session(
    tmp_path: Path, instance_id: str, phone: str
) -> AsyncIterator[WhatsmeowSession]:
    """A whatsmeow session in a real worker process on the fake client, linked to
    ``phone`` by pairing code; the engine is closed afterwards."""
    engine = WhatsmeowEngine(
        data_dir=tmp_path, device_name="wagate", backend="wagate.engines.whatsmeow.fake:create"
    )
    events: list[EngineEvent] = []

    async def sink(event: EngineEvent) -> None:
        events.append(event)

    try:
        session = await engine.open_session(instance_id, sink)
        await session.connect()
        assert await session.request_pairing_code(phone) == fake.FAKE_PAIRING_CODE
        async with asyncio.timeout(20):
            while not any(isinstance(e, LoggedIn) for e in events):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        yield session
    finally:
        await engine.close()
