"""``/ws``: the same event envelopes as the webhooks, live over a WebSocket.

Query parameters: ``access_token``; ``instance_id`` (optional: default every session the
token may see); ``events`` (comma-separated or ``events[]``; default ``*``). A refused
connection gets one error envelope, then a close code of 4000 + the HTTP status
(4401 bad token, 4404 unknown instance, 4400 bad parameter). A subscriber too slow to
keep up is closed with 1013 (try again later); webhooks are the durable path.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from wagate.domain.events import EVENT_NAMES
from wagate.errors import InvalidParamError, WagateError
from wagate.http.params import expand_brackets, to_str_list
from wagate.services.container import Services

router = APIRouter()


def _events(raw: object) -> frozenset[str]:
    values = to_str_list(raw) if raw is not None else ["*"]
    names = {n.strip() for v in values for n in str(v).split(",") if n.strip()} or {"*"}
    unknown = sorted(n for n in names if n != "*" and n not in EVENT_NAMES)
    if unknown:
        raise InvalidParamError(
            f"Invalid parameter events: unknown {', '.join(unknown)}", param="events"
        )
    return frozenset(names)


@router.websocket("/ws")
async def events_socket(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    params = expand_brackets(websocket.query_params.multi_items())
    await websocket.accept()
    try:
        token = await services.tokens.authenticate(params.get("access_token"))
        instance_id = params.get("instance_id")
        if instance_id is not None:
            instance_id = (await services.sessions.get_for(token, instance_id)).instance_id
        events = _events(params.get("events"))
    except WagateError as error:
        await websocket.send_json(
            {"code": error.code, "message": error.message, "data": {"status": error.http_status}}
        )
        await websocket.close(code=4000 + error.http_status)
        return
    owner = None if token.is_admin else token.id
    with services.hub.subscribe(
        owner_token_id=owner, instance_id=instance_id, events=events
    ) as subscription:
        # Reading notices the client leaving; the queue brings the events.
        reader = asyncio.create_task(_drain(websocket))
        try:
            while not reader.done():
                next_event = asyncio.create_task(subscription.queue.get())
                overflow = asyncio.create_task(subscription.overflowed.wait())
                done, _ = await asyncio.wait(
                    {next_event, reader, overflow}, return_when=asyncio.FIRST_COMPLETED
                )
                next_event.cancel()
                overflow.cancel()
                if next_event in done:
                    await websocket.send_json(next_event.result())
                elif overflow in done:
                    await websocket.close(code=1013, reason="too slow: events were dropped")
                    return
        except WebSocketDisconnect:
            pass
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await reader


async def _drain(websocket: WebSocket) -> None:
    """Ignore what the client sends until it disconnects."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()
