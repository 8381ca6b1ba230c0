"""Composition: :func:`create_app` builds the store, engines, services and HTTP app.

Nothing is global: everything a request needs hangs off ``app.state.services``, built
in the lifespan, so tests can run several apps side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

from wagate import __version__
from wagate.config import Settings
from wagate.domain.clock import now_ms
from wagate.domain.events import SessionStatusChanged
from wagate.domain.models import Session
from wagate.engines.base import Engine
from wagate.engines.sandbox import SandboxEngine
from wagate.engines.whatsmeow.engine import WhatsmeowEngine
from wagate.events import payloads
from wagate.events.dispatcher import WebhookDispatcher
from wagate.events.hub import EventHub
from wagate.events.pipeline import EventPipeline, GlobalWebhook
from wagate.http import errors, health, openapi, wawp, websocket
from wagate.media.fetch import MediaFetcher
from wagate.media.ffmpeg import Ffmpeg
from wagate.media.storage import MediaStore
from wagate.services.channels import ChannelService
from wagate.services.chats import ChatService
from wagate.services.contacts import ContactService
from wagate.services.container import Services
from wagate.services.groups import GroupService
from wagate.services.labels import LabelService
from wagate.services.lids import LidDirectory
from wagate.services.media import MediaService
from wagate.services.messaging import MessagingService
from wagate.services.sandbox import SandboxControl
from wagate.services.sessions import SessionService
from wagate.services.tokens import TokenService
from wagate.services.webhooks import WebhookService
from wagate.store.database import Database

log = logging.getLogger(__name__)

EngineFactory = Callable[[Settings, Database], Mapping[str, Engine]]
Announce = Callable[[str], None]
PRUNE_INTERVAL_SECONDS = 3600


def default_engines(settings: Settings, database: Database) -> dict[str, Engine]:
    """The engines this server offers."""
    engines: dict[str, Engine] = {
        "whatsmeow": WhatsmeowEngine(
            data_dir=settings.data_dir,
            device_name=settings.device_name,
            sessions_per_worker=settings.whatsmeow_sessions_per_worker,
            backend=settings.whatsmeow_backend,
            database_url=settings.whatsmeow_store,
            devices=database.devices,
        )
    }
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
            services, dispatcher = await _start_services(settings, db, engine_factory, announce)
            app.state.services = services
            if db.dialect == "sqlite":
                # One process per SQLite file: leases in the store are a dead process's.
                released = await db.outbox.release_leases()
                if released:
                    log.info("%d webhook deliveries were in flight at the last stop", released)
            dispatcher.start()
            pruner = asyncio.create_task(_prune_forever(services, settings))
            # Sessions come back in the background: the API answers at once, also with
            # thousands of sessions to restore (/health says "restoring" meanwhile).
            restore = asyncio.create_task(services.sessions.restore())
            try:
                announce(f"wagate {__version__}: API docs at {settings.base_url}/docs")
                yield
            finally:
                restore.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await restore
                await services.sessions.shutdown()
                for engine in {id(e): e for e in _engines_of(services)}.values():
                    await engine.close()
                pruner.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pruner
                await dispatcher.stop()
                await services.media.aclose()
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
    app.include_router(websocket.router)
    for router in wawp.routers(sandbox_enabled=settings.sandbox_enabled):
        app.include_router(router, prefix=wawp.PREFIX)
    openapi.install(app, wawp.param_models(sandbox_enabled=settings.sandbox_enabled))
    return app


def _engines_of(services: Services) -> list[Engine]:
    return [services.sessions.engine(name) for name in services.sessions.engine_names]


async def _prune_forever(services: Services, settings: Settings) -> None:
    """Once an hour: delete delivered webhook rows and media files past their retention."""
    while True:
        try:
            if settings.webhook_retention_hours > 0:
                cutoff = now_ms() - int(settings.webhook_retention_hours * 3_600_000)
                pruned = await services.database.outbox.prune_delivered(cutoff)
                if pruned:
                    log.info("pruned %d delivered webhook rows", pruned)
            pruned = await services.media_store.prune()
            if pruned:
                log.info("pruned %d media files", pruned)
        except Exception:
            log.exception("pruning failed")
        await asyncio.sleep(PRUNE_INTERVAL_SECONDS)


def _global_webhook(settings: Settings) -> GlobalWebhook | None:
    if not settings.webhook_url:
        return None
    return GlobalWebhook(
        url=settings.webhook_url,
        events=settings.webhook_event_set,
        hmac_key=settings.webhook_hmac_key,
    )


async def _start_services(
    settings: Settings, database: Database, engine_factory: EngineFactory, announce: Announce
) -> tuple[Services, WebhookDispatcher]:
    tokens = TokenService(database.tokens)
    generated = await tokens.ensure_admin(settings.admin_token)
    if generated is not None:
        announce(
            "Generated the admin access token. It is shown only this once; keep it safe:\n"
            f"  {generated}"
        )
    engines = engine_factory(settings, database)
    hub = EventHub()
    dispatcher = WebhookDispatcher(database.outbox)
    lids = LidDirectory(database.lids)
    pipeline = EventPipeline(
        database,
        hub,
        global_webhook=_global_webhook(settings),
        wake=dispatcher.wake,
        fill=lids.fill,
    )

    async def publish_status(session: Session, event: SessionStatusChanged) -> None:
        payload = payloads.session_status(session, event.status, event.reason)
        await pipeline.publish(session, [("session.status", payload)])

    sessions = SessionService(
        database.sessions, engines, default_engine=settings.default_engine, publish=publish_status
    )
    media_store = MediaStore(
        settings.data_dir / "media", retention_seconds=settings.media_retention_hours * 3600
    )

    def media_url(instance_id: str, media_id: str) -> str:
        return f"{settings.base_url}{wawp.PREFIX}/media/{media_id}?instance_id={instance_id}"

    sessions.on_delete(media_store.delete_instance)

    async def forget_webhooks(instance_id: str) -> None:
        pipeline.forget_webhooks(instance_id)
        lids.forget(instance_id)

    sessions.on_delete(forget_webhooks)
    messaging = MessagingService(
        sessions,
        database.messages,
        pipeline,
        media=media_store,
        media_url=media_url,
        lids=lids,
        chats=database.chats,
    )
    media = MediaService(
        MediaFetcher(
            max_bytes=settings.media_max_bytes, allow_private=settings.media_allow_private_urls
        ),
        Ffmpeg(executable=settings.ffmpeg_path, max_workers=settings.media_workers),
        max_bytes=settings.media_max_bytes,
    )
    sessions.forward_engine_events(messaging.on_engine_event)
    sandbox_engine = engines.get("sandbox")
    sandbox = (
        SandboxControl(sessions, messaging, sandbox_engine)
        if isinstance(sandbox_engine, SandboxEngine)
        else None
    )
    services = Services(
        settings=settings,
        database=database,
        tokens=tokens,
        sessions=sessions,
        messaging=messaging,
        chats=ChatService(sessions, database.chats, database.messages, messaging, pipeline),
        contacts=ContactService(sessions, database.chats),
        groups=GroupService(sessions),
        labels=LabelService(sessions, database.labels, pipeline),
        channels=ChannelService(sessions, messaging),
        media=media,
        media_store=media_store,
        webhooks=WebhookService(
            database.webhooks,
            database.outbox,
            wake=dispatcher.wake,
            changed=pipeline.forget_webhooks,
        ),
        hub=hub,
        lids=lids,
        sandbox=sandbox,
    )
    return services, dispatcher
