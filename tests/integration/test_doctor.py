"""``wagate doctor`` on this machine: real library, real ffmpeg, real store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wagate.cli import main


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("WAGATE_"):
            monkeypatch.delenv(name)


def test_doctor_reports_every_check(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["doctor", "--data-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "[ok  ] whatsmeow library (neonize): version 0.5.2"
    assert lines[1].startswith("[ok  ] ffmpeg: ffmpeg version")
    assert lines[2] == "[ok  ] store: sqlite, migrations applied"
    # Offline build machines warn here; a machine with internet says ok. Never FAIL.
    assert lines[3].startswith(("[ok  ] WhatsApp servers", "[warn] WhatsApp servers"))


def test_doctor_fails_when_the_store_is_unreachable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = "postgresql://nobody@127.0.0.1:1/nothing"
    assert main(["doctor", "--data-dir", str(tmp_path), "--database-url", url]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] store:" in out
