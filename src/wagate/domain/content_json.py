"""Content as JSON, without media bytes: for the message store and for payloads.

Each object carries its class under ``"_type"``; bytes are left out (media live in the
media store, named by the message's ``media_id``) and come back as ``b""``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from wagate.domain import content as c

_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        c.MediaBlob,
        c.Image,
        c.Document,
        c.Audio,
        c.Video,
        c.Location,
        c.Poll,
        c.ContactCard,
        c.Contacts,
        c.LinkPreview,
        c.ListRow,
        c.ListSection,
        c.ListMessage,
        c.EventInvite,
        c.StatusText,
    )
}


def to_json(value: Any) -> Any:
    """Dataclasses to dicts (with ``_type``), tuples to lists, bytes dropped."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"_type": type(value).__name__}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if not isinstance(item, bytes):
                out[f.name] = to_json(item)
        return out
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    return value


def from_json(value: Any) -> Any:
    """The inverse of :func:`to_json`; bytes fields come back empty."""
    if isinstance(value, list):
        return tuple(from_json(v) for v in value)
    if not isinstance(value, dict) or "_type" not in value:
        return value
    cls = _CLASSES.get(value["_type"])
    if cls is None:
        raise ValueError(f"unknown content type {value['_type']!r}")
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in value:
            kwargs[f.name] = from_json(value[f.name])
        elif f.type in ("bytes", "bytes | None") and f.default is dataclasses.MISSING:
            kwargs[f.name] = b""
    return cls(**kwargs)


def content_to_json(content: c.Content | None) -> dict[str, Any] | None:
    result: dict[str, Any] | None = to_json(content) if content is not None else None
    return result


def content_from_json(data: dict[str, Any] | None) -> c.Content | None:
    if data is None:
        return None
    content: c.Content = from_json(data)
    return content
