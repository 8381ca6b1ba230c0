"""Test doubles shared by the sandbox engine tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest


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
