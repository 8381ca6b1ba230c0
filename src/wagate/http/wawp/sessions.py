"""Sessions: create, list, start, stop, restart, log out, delete, info, me (Wawp §3)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from wagate.domain.models import Session
from wagate.domain.status import SessionStatus
from wagate.errors import SessionNotReadyError
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import Bool, InstanceParams, WawpModel, json_text
from wagate.http.wawp.render import MeOut, SessionOut, me_json, session_view
from wagate.http.wawp.webhooks import WebhookIn
from wagate.services.webhooks import MAX_WEBHOOKS_PER_SESSION

router = WawpRouter(tags=["Sessions"])


def _config(value: Any) -> Any:
    """``config`` may come as JSON text (query, form), empty, or already as an object."""
    if isinstance(value, str) and not value.strip():
        return {}
    return json_text(value)


class SessionConfig(BaseModel):
    """Per-session settings. Later versions add webhooks, proxy and send policy."""

    model_config = ConfigDict(extra="forbid")

    metadata: dict[str, str] = Field(
        default_factory=dict,
        description="Your own key/value strings, returned with the session and its events.",
    )
    webhooks: list[WebhookIn] = Field(
        default_factory=list,
        max_length=MAX_WEBHOOKS_PER_SESSION,
        description="Webhooks to add at once: `[{url, events, hmac, retries, customHeaders}]`.",
    )


class CreateSessionParams(WawpModel):
    access_token: str = Field(description="Your access token.")
    name: str = Field(min_length=1, max_length=200, description="A label for the session.")
    engine: str | None = Field(None, description="Engine to run it on (default: the server's).")
    config: Annotated[SessionConfig, BeforeValidator(_config)] = Field(
        default_factory=SessionConfig, description="JSON object; `metadata` is kept as given."
    )
    start: Bool = Field(True, description="Start the session at once (default true).")


class SessionsParams(WawpModel):
    access_token: str = Field(description="Your access token.")


@router.wawp(
    "/createSession",
    CreateSessionParams,
    methods=["GET", "POST"],
    summary="Create a new session",
    instance=False,
    errors=[502],
    response_model=SessionOut,
)
async def create_session(call: Call[CreateSessionParams]) -> dict[str, Any]:
    """Create a WhatsApp session and start it; it then waits for a QR scan."""
    p = call.params
    specs = [hook.spec() for hook in p.config.webhooks]

    async def add_webhooks(session: Session) -> None:
        await call.services.webhooks.create_all(session.instance_id, specs)

    session = await call.services.sessions.create(
        call.token,
        name=p.name,
        engine=p.engine,
        config=p.config.model_dump(exclude={"webhooks"}),
        start=p.start,
        prepare=add_webhooks,
    )
    return await session_view(call.services, session)


@router.wawp("/sessions", SessionsParams, methods=["GET"], summary="List sessions", instance=False)
async def list_sessions(call: Call[SessionsParams]) -> list[dict[str, Any]]:
    """The sessions this access token created (all of them for the admin token)."""
    sessions = await call.services.sessions.list_for(call.token)
    return [await session_view(call.services, s) for s in sessions]


@router.wawp(
    "/session/start",
    InstanceParams,
    methods=["POST"],
    summary="Start",
    errors=[409, 502],
    response_model=SessionOut,
)
async def start(call: Call[InstanceParams]) -> dict[str, Any]:
    """Start the session; a running session is left as it is."""
    session = await call.services.sessions.start(call.session.instance_id)
    return await session_view(call.services, session)


@router.wawp(
    "/session/stop",
    InstanceParams,
    methods=["POST"],
    summary="Stop",
    errors=[502],
    response_model=SessionOut,
)
async def stop(call: Call[InstanceParams]) -> dict[str, Any]:
    """Disconnect the session, keeping its link; it stays stopped across server restarts."""
    session = await call.services.sessions.stop(call.session.instance_id)
    return await session_view(call.services, session)


@router.wawp(
    "/session/restart",
    InstanceParams,
    methods=["POST"],
    summary="Restart",
    errors=[409, 502],
    response_model=SessionOut,
)
async def restart(call: Call[InstanceParams]) -> dict[str, Any]:
    """Stop and start the session again (the way out of FAILED)."""
    session = await call.services.sessions.restart(call.session.instance_id)
    return await session_view(call.services, session)


@router.wawp(
    "/session/logout",
    InstanceParams,
    methods=["POST", "GET"],
    summary="Logout",
    errors=[409, 502],
    response_model=SessionOut,
)
async def logout(call: Call[InstanceParams]) -> dict[str, Any]:
    """Unlink the WhatsApp account; a running session shows a new QR code to link again."""
    session = await call.services.sessions.logout(call.session.instance_id)
    return await session_view(call.services, session)


@router.wawp("/session/delete", InstanceParams, methods=["DELETE"], summary="Delete", errors=[502])
async def delete(call: Call[InstanceParams]) -> dict[str, Any]:
    """Log out and remove the session for good."""
    await call.services.sessions.delete(call.session.instance_id)
    return {"instance_id": call.session.instance_id, "deleted": True}


@router.wawp(
    "/session/info",
    InstanceParams,
    methods=["GET"],
    summary="Get session info",
    response_model=SessionOut,
)
async def info(call: Call[InstanceParams]) -> dict[str, Any]:
    """Name, status, config (with webhooks), engine and the linked account."""
    return await session_view(call.services, call.session)


@router.wawp(
    "/session/me",
    InstanceParams,
    methods=["GET"],
    summary="About the linked WhatsApp account",
    errors=[409],
    response_model=MeOut,
)
async def me(call: Call[InstanceParams]) -> dict[str, Any]:
    """The WhatsApp account the session is linked to."""
    if call.session.me is None:
        raise SessionNotReadyError(
            "The session is not linked to a WhatsApp account yet",
            session_status=call.session.status.value,
        )
    return me_json(call.session.me)


@router.wawp("/status", InstanceParams, methods=["GET"], summary="Status (legacy)")
async def legacy_status(call: Call[InstanceParams]) -> dict[str, Any]:
    """The older status check of Wawp's WordPress plugin: `Online` while the session is
    WORKING, else `Offline`; `sessionStatus` is the status itself."""
    status = call.session.status
    return {
        "status": "Online" if status is SessionStatus.WORKING else "Offline",
        "instance_id": call.session.instance_id,
        "sessionStatus": status.value,
    }
