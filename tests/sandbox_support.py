"""Test doubles shared by the sandbox engine tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from wagate.domain.events import EngineEvent, LidsLearned
from wagate.engines.sandbox import SandboxEngine, SandboxSession


class MemoryDeviceStore:
    """An in-memory DeviceStore; logs its writes into ``journal`` when given one."""

    def __init__(self, journal: list[Any] | None = None) -> None:
        self.devices: dict[str, tuple[str, dict[str, Any]]] = {}
        self.journal = journal

    async def load(self, instance_id: str) -> dict[str, Any] | None:
        entry = self.devices.get(instance_id)
        return dict(entry[1]) if entry else None

    async def save(self, instance_id: str, engine: str, data: dict[str, Any]) -> None:
        self.devices[instance_id] = (engine, dict(data))
        if self.journal is not None:
            self.journal.append(("save", instance_id))

    async def delete(self, instance_id: str) -> None:
        self.devices.pop(instance_id, None)
        if self.journal is not None:
            self.journal.append(("delete", instance_id))


async def wait_for(predicate: Callable[[], bool]) -> None:
    """Poll ``predicate`` for up to two seconds."""
    for _ in range(1000):
        if predicate():
            return
        await asyncio.sleep(0.002)
    pytest.fail("timed out waiting for the condition")


async def settle() -> None:
    """Let every session's delivery run (to check that nothing more comes)."""
    await asyncio.sleep(0.05)


class Recorder:
    """An EventSink that records events (what it learns of lids apart, in ``lids``)."""

    def __init__(self) -> None:
        self.events: list[EngineEvent] = []
        self.lids: list[tuple[str, str]] = []

    async def __call__(self, event: EngineEvent, /) -> None:
        if isinstance(event, LidsLearned):
            self.lids.extend(event.pairs)
            return
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


Linked = tuple[SandboxSession, Recorder]


async def link(
    engine: SandboxEngine, instance_id: str, phone: str, push_name: str | None = None
) -> Linked:
    """A session of ``engine`` linked to ``phone`` and connected, its sink emptied."""
    sink = Recorder()
    session = await engine.open_session(instance_id, sink)
    await session.connect()
    await wait_for(lambda: session.waiting_for_link)
    await engine.scan(instance_id, phone, push_name)
    sink.events.clear()
    return session, sink
