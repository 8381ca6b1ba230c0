"""The wire between the server and its engine workers: pickled frames over pipes.

A frame is a 4-byte big-endian length and a pickle (protocol 5) of one dict:

* a request, server → worker: ``{"id", "op", "instance_id", "args", "kwargs"}``;
* a response, worker → server: ``{"id", "ok": value}`` or
  ``{"id", "error": (class name, message, details)}``;
* an event, worker → server: ``{"event": EngineEvent, "instance_id", "generation"}``.
  ``generation`` names the ``open`` that built the backend, so the server can drop the
  late events of a backend it has already replaced.

Both ends are our own processes (the worker is started by the server from the same
installation), so pickle is safe here; nothing else ever writes to these pipes.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from typing import Any

from wagate import errors
from wagate.errors import PayloadTooLargeError, UpstreamError, WagateError

MAX_FRAME_BYTES = 256 * 1024 * 1024
_HEADER = struct.Struct(">I")

Frame = dict[str, Any]
ErrorPayload = tuple[str, str, dict[str, Any]]


class ProtocolError(Exception):
    """The other end sent something that is not a frame: the pipe cannot be trusted."""


class FrameTooLargeError(PayloadTooLargeError):
    """A frame exceeds the size limit; nothing was written."""


def encode_frame(frame: Frame, *, max_bytes: int = MAX_FRAME_BYTES) -> bytes:
    """The bytes of one frame; raises before anything is written when it is too big."""
    payload = pickle.dumps(frame, protocol=5)
    if len(payload) > max_bytes:
        raise FrameTooLargeError(
            f"The engine call is too large to pass to the worker "
            f"({len(payload)} bytes, at most {max_bytes})",
            size=len(payload),
            limit=max_bytes,
        )
    return _HEADER.pack(len(payload)) + payload


async def write_frame(
    writer: asyncio.StreamWriter, frame: Frame, *, max_bytes: int = MAX_FRAME_BYTES
) -> None:
    writer.write(encode_frame(frame, max_bytes=max_bytes))
    await writer.drain()


async def read_frame(
    reader: asyncio.StreamReader, *, max_bytes: int = MAX_FRAME_BYTES
) -> Frame | None:
    """The next frame, or ``None`` at a clean end of the stream (between frames)."""
    try:
        header = await reader.readexactly(_HEADER.size)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise ProtocolError("The stream ended inside a frame header") from exc
    (size,) = _HEADER.unpack(header)
    if size > max_bytes:
        raise ProtocolError(f"A frame of {size} bytes exceeds the limit of {max_bytes}")
    try:
        payload = await reader.readexactly(size)
    except asyncio.IncompleteReadError as exc:
        raise ProtocolError("The stream ended inside a frame") from exc
    try:
        frame = pickle.loads(payload)
    except Exception as exc:
        raise ProtocolError(f"A frame could not be decoded: {exc}") from exc
    if not isinstance(frame, dict):
        raise ProtocolError(f"A frame must hold a dict, not {type(frame).__name__}")
    return frame


# --- errors across the pipe ------------------------------------------------------------


def error_payload(exc: BaseException) -> ErrorPayload:
    """What a response carries for an exception raised in the worker."""
    if isinstance(exc, WagateError):
        return type(exc).__name__, exc.message, _picklable(exc.details)
    return "", f"{type(exc).__name__}: {exc}", {}


def _picklable(details: dict[str, Any]) -> dict[str, Any]:
    try:
        pickle.dumps(details, protocol=5)
    except Exception:
        return {key: repr(value) for key, value in details.items()}
    return details


def _error_classes() -> dict[str, type[WagateError]]:
    """Every loaded WagateError subclass by name; those of ``wagate.errors`` win."""
    found: dict[str, type[WagateError]] = {}
    pending: list[type[WagateError]] = [WagateError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.__name__, cls)
        pending.extend(cls.__subclasses__())
    for name, value in vars(errors).items():
        if isinstance(value, type) and issubclass(value, WagateError):
            found[name] = value
    return found


def rebuild_error(payload: ErrorPayload) -> WagateError:
    """The exception a worker reported, as the same WagateError class when we know it
    (its constructor is bypassed: some take other arguments), else an UpstreamError."""
    name, message, details = payload
    cls = _error_classes().get(name) if name else None
    if cls is None:
        return UpstreamError(message, **details)
    error = cls.__new__(cls)
    WagateError.__init__(error, message, **details)
    return error
