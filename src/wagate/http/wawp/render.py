"""Domain objects as Wawp JSON, and the response models that document them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from wagate.domain.models import Me, Session
from wagate.http.wawp.webhooks import webhook_json
from wagate.services.container import Services


class MeOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(description="The account's chat id, `<phone>@c.us`.")
    lid: str | None = Field(None, description="The account's hidden-number id, `<n>@lid`.")
    pushName: str = Field("", description="The account's display name.")


class SessionOut(BaseModel):
    name: str
    instance_id: str = Field(description="12-character id that every other call names.")
    status: str = Field(description="STOPPED, STARTING, SCAN_QR_CODE, WORKING or FAILED.")
    reason: str | None = Field(None, description="Why the session is FAILED, when it is.")
    config: dict[str, Any]
    me: MeOut | None = Field(None, description="The linked account, once linked.")
    engine: str


def me_json(me: Me) -> dict[str, Any]:
    return me.to_json()


def session_json(session: Session) -> dict[str, Any]:
    return {
        "name": session.name,
        "instance_id": session.instance_id,
        "status": session.status.value,
        "reason": session.status_reason,
        "config": session.config,
        "me": me_json(session.me) if session.me else None,
        "engine": session.engine,
    }


async def session_view(services: Services, session: Session) -> dict[str, Any]:
    """The session as ``session/info`` shows it: its config lists its webhooks."""
    view = session_json(session)
    hooks = await services.webhooks.list(session.instance_id)
    view["config"] = {**session.config, "webhooks": [webhook_json(h) for h in hooks]}
    return view
