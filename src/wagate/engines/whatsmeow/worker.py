"""An engine worker process: hosts many accounts' backends, driven over stdin/stdout.

Run by the supervisor as::

    python -m wagate.engines.whatsmeow.worker --backend module:factory --max-sessions N

Sessions live in workers because a fatal Go error (neonize has several) kills the whole
process: the supervisor restarts the worker and re-attaches its sessions. Inside:

* the default executor is sized before anything runs: every connected neonize client
  parks one of its threads for its whole life, and a starved executor also stalls DNS;
* stdout carries frames only. neonize's Go code prints to fd 1, so the frame pipe is a
  duplicate of fd 1 and fd 1 itself (and ``sys.stdout``) then point at stderr;
* each request runs in its own task and an exception becomes an error response, never
  the worker's end; lifecycle calls (open, connect, disconnect, logout, close) run one
  at a time per process, since neonize's Go side races on its global maps;
* a backend's ``emit`` only enqueues; one writer task sends frames in order;
* at the end of stdin the worker disconnects what it hosts and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from wagate.domain.events import EngineEvent
from wagate.engines.whatsmeow.backend import BackendConfig, BackendFactory, ClientBackend
from wagate.engines.whatsmeow.rpc import (
    Frame,
    encode_frame,
    error_payload,
    read_frame,
)
from wagate.errors import InvalidParamError, NotSupportedError, UpstreamError, WagateError

log = logging.getLogger("wagate.engines.whatsmeow.worker")

EXECUTOR_HEADROOM = 8
SHUTDOWN_SECONDS = 10.0
LIFECYCLE_OPS = frozenset({"open", "connect", "disconnect", "logout", "close"})
BACKEND_OPS = frozenset(
    {
        "pair_phone",
        "send_text",
        "send_message",
        "mark_seen",
        "set_chat_presence",
        "set_presence",
        "get_presence",
        "react",
        "star",
        "vote_poll",
        "post_status",
        "delete_status",
        "revoke",
        "edit",
        "pin",
        "chat_picture",
        "change_chat",
        "profile",
        "set_profile_name",
        "set_profile_status",
        "set_profile_picture",
        "contacts",
        "contact",
        "check_exists",
        "about",
        "block",
        "save_contact",
        "groups",
        "group",
        "create_group",
        "group_invite_info",
        "join_group",
        "leave_group",
        "set_group_subject",
        "set_group_description",
        "set_group_picture",
        "set_group_setting",
        "group_invite_code",
        "change_participants",
        "channels",
        "channel",
        "create_channel",
        "delete_channel",
        "channel_messages",
        "follow_channel",
        "mute_channel",
        "search_channels",
    }
)


def load_factory(spec: str) -> BackendFactory:
    """``module:attribute`` → the backend factory it names."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"a backend is named module:factory, not {spec!r}")
    factory = getattr(importlib.import_module(module_name), attribute)
    if not callable(factory):
        raise ValueError(f"{spec} is not callable")
    return cast(BackendFactory, factory)


@dataclass(slots=True)
class _Hosted:
    backend: ClientBackend
    generation: int
    connected: bool = False


class FrameOutbox:
    """Frames to the server, written in order by one task.

    :meth:`put` may be called from any thread; the hand-off to the loop happens here
    and nowhere else.
    """

    def __init__(self, writer: asyncio.StreamWriter, loop: asyncio.AbstractEventLoop) -> None:
        self._writer = writer
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()

    def put(self, frame: Frame) -> None:
        if threading.get_ident() == self._loop_thread:
            self._put(frame)
        else:
            self._loop.call_soon_threadsafe(self._put, frame)

    def _put(self, frame: Frame) -> None:
        try:
            data = encode_frame(frame)
        except Exception as exc:
            if "id" not in frame:  # an event the server will never see: say so loudly
                log.error("could not send an event for %s: %s", frame.get("instance_id"), exc)
                return
            data = encode_frame({"id": frame["id"], "error": error_payload(exc)})
        self._queue.put_nowait(data)

    async def run(self) -> None:
        while (data := await self._queue.get()) is not None:
            self._writer.write(data)
            await self._writer.drain()

    def finish(self) -> None:
        """Stop once what is queued has been written."""
        self._loop.call_soon_threadsafe(self._queue.put_nowait, None)


class WorkerHost:
    """The accounts of one worker and the requests that drive them."""

    def __init__(self, factory: BackendFactory, outbox: FrameOutbox) -> None:
        self._factory = factory
        self._outbox = outbox
        self._hosted: dict[str, _Hosted] = {}
        self._lifecycle = asyncio.Lock()

    async def handle(self, request: Frame) -> None:
        request_id = request.get("id")
        try:
            value = await self.dispatch(
                str(request.get("op")),
                str(request.get("instance_id")),
                tuple(request.get("args") or ()),
                dict(request.get("kwargs") or {}),
            )
        except Exception as exc:
            if not isinstance(exc, WagateError):  # a bug in the backend: keep the traceback
                log.exception("%s for %s failed", request.get("op"), request.get("instance_id"))
            self._outbox.put({"id": request_id, "error": error_payload(exc)})
        else:
            self._outbox.put({"id": request_id, "ok": value})

    async def dispatch(
        self, op: str, instance_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if op in LIFECYCLE_OPS:
            async with self._lifecycle:
                return await self._lifecycle_op(op, instance_id, kwargs)
        if op not in BACKEND_OPS:
            raise InvalidParamError(f"The engine worker has no operation {op!r}", op=op)
        method = getattr(self._require(instance_id).backend, op, None)
        if method is None:
            raise NotSupportedError(f"This engine cannot {op.replace('_', ' ')}")
        return await method(*args, **kwargs)

    async def _lifecycle_op(self, op: str, instance_id: str, kwargs: dict[str, Any]) -> None:
        if op == "open":
            await self._close(instance_id)
            config = kwargs["config"]
            generation = int(kwargs["generation"])
            if not isinstance(config, BackendConfig):
                raise InvalidParamError("open needs a BackendConfig")
            backend = self._factory(config, self._emitter(instance_id, generation))
            self._hosted[instance_id] = _Hosted(backend, generation)
            return
        if op == "close":
            await self._close(instance_id)
            return
        hosted = self._require(instance_id)
        if op == "connect":
            await hosted.backend.connect()
            hosted.connected = True
        elif op == "disconnect":
            if hosted.connected:
                hosted.connected = False
                await hosted.backend.disconnect()
        else:  # logout
            await hosted.backend.logout()
            hosted.connected = False

    def _emitter(self, instance_id: str, generation: int) -> Any:
        def emit(event: EngineEvent) -> None:
            self._outbox.put({"event": event, "instance_id": instance_id, "generation": generation})

        return emit

    def _require(self, instance_id: str) -> _Hosted:
        hosted = self._hosted.get(instance_id)
        if hosted is None:
            raise UpstreamError("The session is not open in its engine worker")
        return hosted

    async def _close(self, instance_id: str) -> None:
        hosted = self._hosted.pop(instance_id, None)
        # Never call into a client that is not running: neonize dereferences nil then.
        if hosted is not None and hosted.connected:
            hosted.connected = False
            await hosted.backend.disconnect()

    async def close_all(self) -> None:
        for instance_id in list(self._hosted):
            try:
                await self._close(instance_id)
            except Exception:
                log.exception("%s did not disconnect cleanly", instance_id)


def reserve_stdout() -> BinaryIO:
    """The frame pipe (a duplicate of fd 1); fd 1 and ``sys.stdout`` go to stderr."""
    frames_fd = os.dup(1)
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(frames_fd, "wb", buffering=0)


async def _open_pipes(frames: BinaryIO) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, frames)
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    return reader, writer


async def serve(factory: BackendFactory, frames: BinaryIO) -> None:
    """Answer requests until stdin ends."""
    loop = asyncio.get_running_loop()
    reader, writer = await _open_pipes(frames)
    outbox = FrameOutbox(writer, loop)
    host = WorkerHost(factory, outbox)
    writing = asyncio.create_task(outbox.run(), name="wagate-worker-writer")
    requests: set[asyncio.Task[None]] = set()
    try:
        while (request := await read_frame(reader)) is not None:
            task = asyncio.create_task(host.handle(request))
            requests.add(task)
            task.add_done_callback(requests.discard)
    finally:
        for task in requests:
            task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(host.close_all(), SHUTDOWN_SECONDS)
        outbox.finish()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writing, SHUTDOWN_SECONDS)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m wagate.engines.whatsmeow.worker")
    parser.add_argument("--backend", required=True, help="module:factory")
    parser.add_argument("--max-sessions", type=int, default=50)
    parser.add_argument("--number", type=int, default=0, help="for log lines")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    frames = reserve_stdout()
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(levelname)s [%(process)d] %(name)s: %(message)s",
    )
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # Before anything can use it: one parked thread per connected client, plus headroom.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=args.max_sessions + EXECUTOR_HEADROOM))
    code = 0
    try:
        loop.run_until_complete(serve(load_factory(args.backend), frames))
    except BaseException:
        log.exception("the engine worker failed")
        code = 1
    sys.stderr.flush()
    # Client threads parked in the executor never return; do not wait for them.
    os._exit(code)


if __name__ == "__main__":
    main()
