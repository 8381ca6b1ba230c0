"""Received media on disk: save, open, refuse crafted ids, prune, delete an instance."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wagate.errors import InvalidParamError
from wagate.media import MediaStore

INSTANCE = "INST00000001"


async def test_save_and_open(tmp_path: Path) -> None:
    store = MediaStore(tmp_path, retention_seconds=3600)
    saved = await store.save(INSTANCE, b"hello", "text/plain", "hi.txt")
    assert re.fullmatch(r"med_[0-9a-f]{24}", saved.id)
    assert saved.path == tmp_path / INSTANCE / saved.id
    assert saved.path.read_bytes() == b"hello"
    opened = await store.open(INSTANCE, saved.id)
    assert opened is not None
    assert (opened.mimetype, opened.filename, opened.size) == ("text/plain", "hi.txt", 5)
    assert opened.created_ms == saved.created_ms
    assert await store.open("OTHER0000001", saved.id) is None
    assert await store.open(INSTANCE, "med_" + "0" * 24) is None
    assert sorted(p.name for p in (tmp_path / INSTANCE).iterdir()) == [
        saved.id,
        f"{saved.id}.json",
    ]


@pytest.mark.parametrize(
    "media_id",
    [
        "../../etc/passwd",
        "med_../../x",
        "med_0123456789abcdef0123456/",
        "med_0123456789ABCDEF01234567",
        "med_0123456789abcdef01234567.json",
        "",
    ],
)
async def test_open_refuses_crafted_ids(tmp_path: Path, media_id: str) -> None:
    store = MediaStore(tmp_path / "media", retention_seconds=3600)
    (tmp_path / "secret").write_text("no")
    assert await store.open(INSTANCE, media_id) is None
    assert await store.open("..", "med_" + "0" * 24) is None


async def test_crafted_instance_id_is_refused_on_save(tmp_path: Path) -> None:
    store = MediaStore(tmp_path, retention_seconds=3600)
    with pytest.raises(InvalidParamError):
        await store.save("../escape", b"x", "text/plain", None)


async def test_prune(tmp_path: Path) -> None:
    store = MediaStore(tmp_path, retention_seconds=60)
    old = await store.save(INSTANCE, b"old", "text/plain", None)
    new = await store.save(INSTANCE, b"new", "text/plain", None)
    assert await store.prune(now_ms=old.created_ms + 30_000) == 0
    # both are older than 60 s a minute later; pretend only one is
    assert await store.prune(now_ms=old.created_ms + 61_000) == 2
    assert await store.open(INSTANCE, old.id) is None
    assert await store.open(INSTANCE, new.id) is None
    assert list((tmp_path / INSTANCE).iterdir()) == []
    forever = MediaStore(tmp_path, retention_seconds=0)
    kept = await forever.save(INSTANCE, b"kept", "text/plain", None)
    assert await forever.prune(now_ms=kept.created_ms + 10**12) == 0


async def test_prune_keeps_recent_files(tmp_path: Path) -> None:
    store = MediaStore(tmp_path, retention_seconds=60)
    saved = await store.save(INSTANCE, b"x", "text/plain", None)
    assert await store.prune(now_ms=saved.created_ms + 59_000) == 0
    assert await store.open(INSTANCE, saved.id) is not None


async def test_delete_instance(tmp_path: Path) -> None:
    store = MediaStore(tmp_path, retention_seconds=60)
    saved = await store.save(INSTANCE, b"x", "text/plain", None)
    other = await store.save("OTHER0000001", b"y", "text/plain", None)
    await store.delete_instance(INSTANCE)
    assert await store.open(INSTANCE, saved.id) is None
    assert await store.open("OTHER0000001", other.id) is not None
    await store.delete_instance(INSTANCE)  # nothing left: fine
