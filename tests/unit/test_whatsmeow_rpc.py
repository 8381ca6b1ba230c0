"""The frame protocol between the server and its engine workers."""

from __future__ import annotations

import asyncio
import os
import pickle
import struct
import threading

import pytest

from wagate.domain.content import Image, MediaBlob
from wagate.domain.events import LoggedIn, MessageSeen
from wagate.domain.messages import Ack, Message, MessageKey
from wagate.domain.models import Me
from wagate.engines.whatsmeow.rpc import (
    FrameTooLargeError,
    ProtocolError,
    encode_frame,
    error_payload,
    read_frame,
    rebuild_error,
)
from wagate.errors import (
    InvalidParamError,
    MissingParamError,
    NotSupportedError,
    PayloadTooLargeError,
    UpstreamError,
)


def _reader(data: bytes, *, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


def _message() -> Message:
    return Message(
        key=MessageKey(chat_id="1555@c.us", id="3EB0AA", from_me=False),
        timestamp=1_700_000_000,
        sender="1555@c.us",
        recipient="1666@c.us",
        body="look",
        ack=Ack.DEVICE,
        content=Image(media=MediaBlob(data=b"\x89PNG" * 10, mimetype="image/png"), caption="look"),
    )


async def test_frames_round_trip_in_order_and_end_cleanly() -> None:
    frames = [
        {"id": 1, "op": "send_text", "instance_id": "i1", "args": ("c", "t"), "kwargs": {}},
        {"event": LoggedIn(me=Me(id="1666@c.us")), "instance_id": "i1", "generation": 3},
        {"event": MessageSeen(message=_message()), "instance_id": "i1", "generation": 3},
        {"id": 1, "ok": _message()},
    ]
    reader = _reader(b"".join(encode_frame(frame) for frame in frames))

    received = [await read_frame(reader) for _ in frames]

    assert received == frames
    assert await read_frame(reader) is None


async def test_frames_pass_through_a_real_pipe() -> None:
    loop = asyncio.get_running_loop()
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb", 0) as rfile, os.fdopen(write_fd, "wb", 0) as wfile:
        reader = asyncio.StreamReader()
        read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), rfile
        )
        transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, wfile)
        writer = asyncio.StreamWriter(transport, protocol, None, loop)
        big = {"id": 7, "ok": b"x" * 1_000_000}  # more than a pipe buffer holds

        writer.write(encode_frame(big))
        received, _ = await asyncio.gather(read_frame(reader), writer.drain())

        assert received == big
        transport.close()
        assert await read_frame(reader) is None
        read_transport.close()


def test_an_oversize_frame_is_refused_before_writing() -> None:
    with pytest.raises(FrameTooLargeError) as caught:
        encode_frame({"id": 1, "ok": b"x" * 2048}, max_bytes=1024)

    assert isinstance(caught.value, PayloadTooLargeError)
    assert caught.value.http_status == 413
    assert caught.value.details["limit"] == 1024


async def test_an_oversize_frame_header_breaks_the_stream() -> None:
    reader = _reader(struct.pack(">I", 10_000) + b"x" * 10, eof=False)

    with pytest.raises(ProtocolError, match="exceeds the limit of 1024"):
        await read_frame(reader, max_bytes=1024)


@pytest.mark.parametrize(
    "data",
    [b"\x00\x00", struct.pack(">I", 100) + b"short", struct.pack(">I", 4) + b"junk"],
    ids=["cut header", "cut payload", "not a pickle"],
)
async def test_a_broken_stream_is_a_protocol_error(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        await read_frame(_reader(data))


async def test_a_frame_must_hold_a_dict() -> None:
    payload = pickle.dumps([1, 2], protocol=5)
    with pytest.raises(ProtocolError, match="dict"):
        await read_frame(_reader(struct.pack(">I", len(payload)) + payload))


def test_wagate_errors_come_back_as_the_same_class() -> None:
    error = rebuild_error(error_payload(InvalidParamError("Invalid chat", chat_id="x")))

    assert type(error) is InvalidParamError
    assert error.message == "Invalid chat"
    assert error.details == {"chat_id": "x"}
    assert error.http_status == 400


def test_errors_with_other_constructors_are_rebuilt_too() -> None:
    error = rebuild_error(error_payload(MissingParamError("phone")))

    assert type(error) is MissingParamError
    assert error.message == "Missing parameter: phone"
    assert error.details == {"param": "phone"}


def test_not_supported_stays_not_supported() -> None:
    error = rebuild_error(error_payload(NotSupportedError("no stars here")))

    assert type(error) is NotSupportedError
    assert error.http_status == 422


def test_subclasses_outside_wagate_errors_are_found() -> None:
    error = rebuild_error(error_payload(FrameTooLargeError("too big", size=9)))

    assert type(error) is FrameTooLargeError


def test_unknown_exceptions_become_upstream_errors() -> None:
    error = rebuild_error(error_payload(RuntimeError("boom")))

    assert type(error) is UpstreamError
    assert error.message == "RuntimeError: boom"
    assert rebuild_error(("NoSuchError", "odd", {})).__class__ is UpstreamError


def test_unpicklable_details_are_sent_as_text() -> None:
    lock = threading.Lock()
    name, _, details = error_payload(InvalidParamError("bad", thing=lock))

    assert name == "InvalidParamError"
    assert details == {"thing": repr(lock)}
