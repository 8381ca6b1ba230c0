"""Composition: :func:`create_app` builds the store, engines, services and HTTP app.

Nothing is global: everything a request needs hangs off ``app.state.services``, built
in the lifespan, so tests can run several apps side by side.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

from wagate import __version__
from wagate.config import Settings
from wagate.engines.base import Engine
from wagate.engines.sandbox import SandboxEngine
from wagate.http import errors, health, openapi, wawp
from wagate.services.container import Services
from wagate.services.sandbox import SandboxControl
from wagate.services.sessions import SessionService
from wagate.services.tokens import TokenService
from wagate.store.database import Database

log = logging.getLogger(__name__)

EngineFactory = Callable[[Settings, Database], Mapping[str, Engine]]
Announce = Callable[[str], None]


def default_engines(settings: Settings, database: Database) -> dict[str, Engine]:
    """The engines this server offers."""
    engines: dict[str, Engine] = {}
    if settings.sandbox_enabled:
        engines["sandbox"] = SandboxEngine(
            database.devices,
            qr_rotate_seconds=settings.qr_rotate_seconds,
            autolink_seconds=settings.sandbox_autolink_seconds,
        )
    return engines


def create_app(
    settings: Settings,
    *,
    engine_factory: EngineFactory = default_engines,
    database: Database | None = None,
    announce: Announce = print,
) -> FastAPI:
    """The wagate ASGI app. The store and sessions come up in its lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = database or Database(settings.effective_database_url)
        try:
            await db.migrate()
            services = await _start_services(settings, db, engine_factory, announce)
            app.state.services = services
            try:
                await services.sessions.restore()
                announce(f"wagate {__version__}: API docs at {settings.base_url}/docs")
                yield
            finally:
                await services.sessions.shutdown()
                for engine in {id(e): e for e in _engines_of(services)}.values():
                    await engine.close()
        finally:
            if database is None:
                await db.dispose()

    app = FastAPI(
        title="wagate",
        version=__version__,
        summary="Self-hosted WhatsApp HTTP API, compatible with the Wawp v1 API",
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(health.router)
    for router in wawp.routers(sandbox_enabled=settings.sandbox_enabled):
        app.include_router(router, prefix=wawp.PREFIX)
    openapi.install(app, wawp.param_models(sandbox_enabled=settings.sandbox_enabled))
    return app


def _engines_of(services: Services) -> list[Engine]:
    return [services.sessions.engine(name) for name in services.sessions.engine_names]


async def _start_services(
    settings: Settings, database: Database, engine_factory: EngineFactory, announce: Announce
) -> Services:
    tokens = TokenService(database.tokens)
    generated = await tokens.ensure_admin(settings.admin_token)
    if generated is not None:
        announce(
            "Generated the admin access token. It is shown only this once; keep it safe:\n"
            f"  {generated}"
        )
    engines = engine_factory(settings, database)
    sessions = SessionService(database.sessions, engines, default_engine=settings.default_engine)
    sandbox_engine = engines.get("sandbox")
    sandbox = (
        SandboxControl(sessions, sandbox_engine)
        if isinstance(sandbox_engine, SandboxEngine)
        else None
    )
    return Services(
        settings=settings, database=database, tokens=tokens, sessions=sessions, sandbox=sandbox
    )
