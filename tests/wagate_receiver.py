"""A real HTTP webhook receiver on a local port, inside the test's event loop."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

WAIT_SECONDS = 10.0


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST to ``/hook``; answers ``fail_status`` to the next ``fail_next``."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    fail_next: int = 0
    down: bool = False  # answer 503 to everything while set
    fail_status: int = 503
    retry_after: str | None = "0"
    delay_seconds: float = 0.0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.requests.append(Received(dict(request.headers), body))
        self.arrived.set()
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if self.down:
            return Response("down for maintenance", status_code=503)
        if self.fail_next > 0:
            self.fail_next -= 1
            headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
            return Response("unavailable", status_code=self.fail_status, headers=headers)
        return Response(status_code=200)

    def envelopes(self) -> list[dict[str, Any]]:
        """Every body received, parsed, in arrival order."""
        return [json.loads(r.body) for r in self.requests]

    def signature_ok(self, received: Received, key: str) -> bool:
        expected = hmac.new(key.encode(), received.body, hashlib.sha512).hexdigest()
        return hmac.compare_digest(received.headers.get("x-webhook-hmac", ""), expected)

    async def wait_for(self, predicate: Any) -> None:
        """Wait until ``predicate(self)`` holds (new requests wake the check), 10 s at most."""
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                self.arrived.clear()
                if predicate(self):
                    return
                await self.arrived.wait()


@asynccontextmanager
async def running_app(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free local port; yields its base URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_level="warning",
        log_config=None,
        ws="none",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()  # raise why it did not start
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    recorder = Receiver()
    app = Starlette(routes=[Route("/hook", recorder.handle, methods=["POST"])])
    async with running_app(app) as base:
        recorder.url = f"{base}/hook"
        yield recorder


@asynccontextmanager
async def running_files(files: dict[str, tuple[bytes, str]]) -> AsyncIterator[str]:
    """Serve ``{name: (bytes, content type)}`` at ``/<name>``; anything else is 404."""

    async def serve(request: Request) -> Response:
        found = files.get(request.path_params["name"])
        if found is None:
            return Response("not here", status_code=404)
        return Response(found[0], media_type=found[1])

    app = Starlette(routes=[Route("/{name}", serve)])
    async with running_app(app) as base:
        yield base


class ThreadedReceiver:
    """A receiver on its own event loop in a thread, for synchronous (acceptance) tests."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.receiver: Receiver | None = None

    def __enter__(self) -> Receiver:
        self._thread.start()
        if not self._ready.wait(WAIT_SECONDS) or self.receiver is None:
            raise RuntimeError("the webhook receiver did not start")
        return self.receiver

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(WAIT_SECONDS)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            async with running_receiver() as receiver:
                self.receiver = receiver
                self._ready.set()
                await self._stop.wait()

        asyncio.run(main())


def wait_until(predicate: Any, seconds: float = 30.0) -> None:
    """Poll ``predicate()`` from a synchronous test until it holds."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)
