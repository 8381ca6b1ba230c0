"""The Wawp v1 API under ``/wp-json/awp/v1``."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from wagate.http.wawp import (
    auth,
    channels,
    chats,
    contacts,
    groups,
    labels,
    lids,
    media,
    presence,
    profile,
    sandbox,
    send,
    send_kinds,
    send_media,
    sessions,
    status,
    webhooks,
)

PREFIX = "/wp-json/awp/v1"


def routers(*, sandbox_enabled: bool) -> list[APIRouter]:
    found: list[APIRouter] = [
        sessions.router,
        auth.router,
        send.router,
        send_media.router,
        send_kinds.router,
        status.router,
        media.router,
        presence.router,
        chats.router,
        profile.router,
        contacts.router,
        groups.router,
        labels.router,
        channels.router,
        lids.router,
        webhooks.router,
    ]
    if sandbox_enabled:
        found.append(sandbox.router)
    return found


def param_models(*, sandbox_enabled: bool) -> list[type[BaseModel]]:
    return [
        model
        for router in routers(sandbox_enabled=sandbox_enabled)
        for model in getattr(router, "param_models", [])
    ]
