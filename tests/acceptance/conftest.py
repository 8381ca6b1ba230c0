"""Acceptance tests run ``wagate serve`` as a real process."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from wagate_server import Server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    instance = Server(tmp_path / "data", {"WAGATE_QR_ROTATE_SECONDS": "20"})
    yield instance
    if instance.process is not None:
        instance.stop(signal.SIGKILL)
