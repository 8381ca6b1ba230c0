"""Helpers shared by the test tiers: an API client of a running app, settings, engines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from wagate.app import default_engines
from wagate.config import Settings
from wagate.domain.events import EngineEvent
from wagate.engines.base import Engine, EventSink
from wagate.engines.sandbox import SandboxEngine, SandboxSession
from wagate.services.container import Services
from wagate.store import Database
from wagate_receiver import Receiver

ADMIN_TOKEN = "admin-token-for-tests-0000"
API = "/wp-json/awp/v1"


class OtherEngine(SandboxEngine):
    """A second engine, to check what is refused to non-sandbox sessions."""

    name = "other"


class SilentEngine(SandboxEngine):
    """An engine whose sessions never report anything: they stay STARTING."""

    name = "silent"

    async def open_session(self, instance_id: str, sink: EventSink) -> SandboxSession:
        async def ignore(event: EngineEvent) -> None:
            pass

        return await super().open_session(instance_id, ignore)


def engines_with_other(settings: Settings, database: Database) -> dict[str, Engine]:
    engines = default_engines(settings, database)
    engines["other"] = OtherEngine(database.devices)
    engines["silent"] = SilentEngine(database.devices)
    return engines


@dataclass
class Api:
    """A client of one running app, with an admin token and a tenant token."""

    http: httpx.AsyncClient
    services: Services
    tenant: str
    other_tenant: str
    admin: str = ADMIN_TOKEN

    async def call(self, method: str, route: str, **params: Any) -> httpx.Response:
        """Call a Wawp route with ``params`` in the query (GET) or a JSON body."""
        url = f"{API}/{route}"
        if method in ("GET", "DELETE"):
            return await self.http.request(method, url, params=params)
        return await self.http.request(method, url, json=params)

    async def ok(self, method: str, route: str, **params: Any) -> Any:
        response = await self.call(method, route, **params)
        assert response.status_code == 200, response.text
        return response.json()

    async def new_session(self, token: str | None = None, **params: Any) -> dict[str, Any]:
        params.setdefault("name", "Shop")
        return await self.ok("POST", "createSession", access_token=token or self.tenant, **params)

    async def linked_session(self, phone: str = "447441429009") -> dict[str, Any]:
        session = await self.new_session()
        return await self.ok(
            "POST",
            "sandbox/scan",
            access_token=self.tenant,
            instance_id=session["instance_id"],
            phone=phone,
        )


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "admin_token": ADMIN_TOKEN,
        "default_engine": "sandbox",  # tests never reach WhatsApp
    }
    values.update(overrides)
    return Settings(**values)


KEY = "hook-secret"


async def linked_with_webhook(api: Api, receiver: Receiver, phone: str) -> dict[str, str]:
    """A WORKING session on ``phone`` whose events go to the receiver; returns its ids."""
    session = await api.new_session(
        name=f"S{phone[-1]}",
        config={
            "metadata": {"who": phone},
            "webhooks": [{"url": receiver.url, "hmac": {"key": KEY}}],
        },
    )
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}
    await api.ok("POST", "sandbox/scan", phone=phone, **ids)
    return ids


def events_of(receiver: Receiver, instance_id: str, event: str) -> list[dict[str, Any]]:
    return [
        e for e in receiver.envelopes() if e["instance_id"] == instance_id and e["event"] == event
    ]


async def wait_event(
    receiver: Receiver, instance_id: str, event: str, **payload: Any
) -> dict[str, Any]:
    """The first ``event`` of the instance whose payload has these values."""

    def found(r: Receiver) -> dict[str, Any] | None:
        for envelope in events_of(r, instance_id, event):
            if all(envelope["payload"].get(k) == v for k, v in payload.items()):
                return envelope
        return None

    await receiver.wait_for(lambda r: found(r) is not None)
    result = found(receiver)
    assert result is not None
    return result
