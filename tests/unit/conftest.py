"""Fixtures of the sandbox engine tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox_support import MemoryDeviceStore
from wagate.engines.sandbox import SandboxEngine


@pytest.fixture
def store() -> MemoryDeviceStore:
    return MemoryDeviceStore()


@pytest.fixture
async def engine(store: MemoryDeviceStore) -> AsyncIterator[SandboxEngine]:
    """A sandbox engine without QR rotation, closed after the test."""
    engine = SandboxEngine(store, qr_rotate_seconds=0)
    yield engine
    await engine.close()
