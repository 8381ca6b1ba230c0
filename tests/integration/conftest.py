"""An app on a real SQLite file, driven over ASGI with httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from wagate.app import create_app
from wagate.config import Settings
from wagate.services.container import Services
from wagate_receiver import Receiver, running_receiver
from wagate_testing import Api, engines_with_other, make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    app = create_app(settings, engine_factory=engines_with_other, announce=lambda line: None)
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        _, tenant = await services.tokens.create("tenant")
        _, other = await services.tokens.create("other tenant")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wagate.test") as http:
            yield Api(http=http, services=services, tenant=tenant, other_tenant=other)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A real local webhook receiver (uvicorn on a free port)."""
    async with running_receiver() as recorder:
        yield recorder
