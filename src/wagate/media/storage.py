"""Received media on disk, for a while: ``<directory>/<instance_id>/<media_id>``.

Each file has a small JSON sidecar (``<media_id>.json``: mimetype, filename, size,
created). All disk work runs in threads, off the event loop. Ids are checked strictly
before they touch a path, so a crafted id cannot leave the directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from wagate.errors import InvalidParamError

MEDIA_ID = re.compile(r"med_[0-9a-f]{24}")
_INSTANCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_SIDECAR = ".json"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredMedia:
    id: str
    instance_id: str
    path: Path
    mimetype: str
    filename: str | None
    size: int
    created_ms: int


def new_media_id() -> str:
    return "med_" + secrets.token_hex(12)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class MediaStore:
    """Files of received messages, kept ``retention_seconds`` (0: for ever)."""

    def __init__(self, directory: Path, *, retention_seconds: float) -> None:
        self.directory = Path(directory)
        self.retention_seconds = retention_seconds

    def _instance_dir(self, instance_id: str) -> Path:
        if not _INSTANCE_ID.fullmatch(instance_id):
            raise InvalidParamError(f"Invalid instance id {instance_id!r}")
        return self.directory / instance_id

    async def save(
        self, instance_id: str, data: bytes, mimetype: str, filename: str | None = None
    ) -> StoredMedia:
        media_id = new_media_id()
        media = StoredMedia(
            id=media_id,
            instance_id=instance_id,
            path=self._instance_dir(instance_id) / media_id,
            mimetype=mimetype,
            filename=filename,
            size=len(data),
            created_ms=_now_ms(),
        )
        await asyncio.to_thread(_write, media, data)
        return media

    async def open(self, instance_id: str, media_id: str) -> StoredMedia | None:
        """The stored file, or ``None`` if it does not exist (or the ids are malformed)."""
        if not MEDIA_ID.fullmatch(media_id) or not _INSTANCE_ID.fullmatch(instance_id):
            return None
        return await asyncio.to_thread(_read, self.directory / instance_id, instance_id, media_id)

    async def delete(self, instance_id: str, media_id: str) -> bool:
        if not MEDIA_ID.fullmatch(media_id) or not _INSTANCE_ID.fullmatch(instance_id):
            return False
        return await asyncio.to_thread(_remove, self.directory / instance_id / media_id)

    async def delete_instance(self, instance_id: str) -> None:
        """Every file of an instance (when the session is deleted)."""
        folder = self._instance_dir(instance_id)
        await asyncio.to_thread(shutil.rmtree, folder, True)

    async def prune(self, now_ms: int | None = None) -> int:
        """Delete files older than the retention; the number of files deleted."""
        if self.retention_seconds <= 0:
            return 0
        cutoff = (_now_ms() if now_ms is None else now_ms) - int(self.retention_seconds * 1000)
        return await asyncio.to_thread(_prune, self.directory, cutoff)


def _write(media: StoredMedia, data: bytes) -> None:
    media.path.parent.mkdir(parents=True, exist_ok=True)
    partial = media.path.with_name(media.id + ".part")
    partial.write_bytes(data)
    os.replace(partial, media.path)
    meta = {
        "mimetype": media.mimetype,
        "filename": media.filename,
        "size": media.size,
        "created": media.created_ms,
    }
    sidecar = media.path.with_name(media.id + _SIDECAR)
    partial_meta = media.path.with_name(media.id + ".json.part")
    partial_meta.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(partial_meta, sidecar)


def _read(folder: Path, instance_id: str, media_id: str) -> StoredMedia | None:
    path = folder / media_id
    try:
        meta = json.loads((folder / (media_id + _SIDECAR)).read_text(encoding="utf-8"))
        size = path.stat().st_size
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict):
        return None
    filename = meta.get("filename")
    return StoredMedia(
        id=media_id,
        instance_id=instance_id,
        path=path,
        mimetype=str(meta.get("mimetype") or "application/octet-stream"),
        filename=filename if isinstance(filename, str) else None,
        size=size,
        created_ms=int(meta.get("created") or 0),
    )


def _remove(path: Path) -> bool:
    existed = path.exists()
    for target in (path, path.with_name(path.name + _SIDECAR)):
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
    return existed


def _created_ms(path: Path) -> int | None:
    """When a stored file was made: its sidecar's ``created``, else its mtime."""
    try:
        meta = json.loads(path.with_name(path.name + _SIDECAR).read_text(encoding="utf-8"))
        return int(meta["created"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        return int(path.stat().st_mtime * 1000)
    except OSError:
        return None


def _prune(directory: Path, cutoff_ms: int) -> int:
    if not directory.is_dir():
        return 0
    deleted = 0
    for folder in directory.iterdir():
        if not folder.is_dir() or not _INSTANCE_ID.fullmatch(folder.name):
            continue
        for entry in list(folder.iterdir()):
            if MEDIA_ID.fullmatch(entry.name):
                created = _created_ms(entry)
                if created is not None and created < cutoff_ms:
                    _remove(entry)
                    deleted += 1
            elif entry.name.endswith((".part", _SIDECAR)):
                # leftovers: an interrupted write, or a sidecar whose file is gone
                owner = folder / entry.name.split(".", 1)[0]
                with contextlib.suppress(OSError):
                    stale = entry.stat().st_mtime * 1000 < cutoff_ms
                    if stale and not owner.exists():
                        entry.unlink()
    return deleted
