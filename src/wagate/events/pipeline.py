"""From something that happened to webhooks and WebSockets, without losing it.

:meth:`EventPipeline.publish` writes what changed in the store *and* one outbox row per
(event, matching webhook) in a single transaction, then wakes the dispatcher and hands the
envelopes to live WebSocket subscribers. If the process dies after the commit, the
dispatcher delivers the rows after the restart; before the commit, nothing happened.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from wagate.domain.models import Session
from wagate.domain.webhooks import NewDelivery, RetryConfig, Webhook
from wagate.events import payloads
from wagate.events.hub import EventHub
from wagate.store.database import Database

Write = Callable[[AsyncConnection], Awaitable[None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class GlobalWebhook:
    """The server-wide webhook from the settings; it receives every session's events."""

    url: str
    events: frozenset[str]
    hmac_key: str | None = None
    retries: RetryConfig = field(default_factory=RetryConfig)


def matches(events: Sequence[str] | frozenset[str], event: str) -> bool:
    return "*" in events or event in events


def encode(envelope: dict[str, Any]) -> str:
    """The exact JSON text that is stored, sent and signed."""
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))


# Completes payloads in place before they are published (the people they name).
Fill = Callable[[Session, Sequence[dict[str, Any]]], Awaitable[None]]


class EventPipeline:
    """Publishes events: store changes, outbox rows, a wake-up and the live fan-out."""

    def __init__(
        self,
        database: Database,
        hub: EventHub,
        *,
        global_webhook: GlobalWebhook | None = None,
        wake: Callable[[], None] = lambda: None,
        fill: Fill | None = None,
    ) -> None:
        self._database = database
        self._fill = fill
        self._hub = hub
        self._global = global_webhook
        self._wake = wake
        # Each session's webhooks, read once: they change only through WebhookService,
        # which calls forget_webhooks. (Several servers on one store would need the
        # store to say so instead; scale-out is not built yet.)
        self._hooks: dict[str, list[Webhook]] = {}

    def forget_webhooks(self, instance_id: str) -> None:
        """The session's webhooks changed: read them again at the next event."""
        self._hooks.pop(instance_id, None)

    async def _webhooks_of(self, instance_id: str) -> list[Webhook]:
        hooks = self._hooks.get(instance_id)
        if hooks is None:
            hooks = self._hooks[instance_id] = await self._database.webhooks.list(instance_id)
        return hooks

    async def publish(
        self,
        session: Session,
        events: Sequence[tuple[str, dict[str, Any]]],
        *,
        write: Write | None = None,
    ) -> list[dict[str, Any]]:
        """Record ``events`` of ``session`` (and ``write``'s changes) atomically.

        Payloads that name people get their phone ids and lids filled in place first.
        """
        if self._fill is not None and events:
            await self._fill(session, [payload for _, payload in events])
        envelopes = [payloads.envelope(session, name, payload) for name, payload in events]
        hooks = await self._webhooks_of(session.instance_id)
        deliveries = [
            delivery
            for envelope in envelopes
            for delivery in self._deliveries(session, hooks, envelope)
        ]
        if write is not None or deliveries:
            async with self._database.transaction() as conn:
                if write is not None:
                    await write(conn)
                await self._database.outbox.add(conn, deliveries)
        if deliveries:
            self._wake()
        for envelope in envelopes:
            self._hub.publish(envelope, owner_token_id=session.owner_token_id)
        return envelopes

    def _deliveries(
        self, session: Session, hooks: Sequence[Webhook], envelope: dict[str, Any]
    ) -> list[NewDelivery]:
        event: str = envelope["event"]
        body = encode(envelope)
        found = [
            NewDelivery.for_webhook(hook, event_id=envelope["id"], event=event, body=body)
            for hook in hooks
            if matches(hook.events, event)
        ]
        if self._global is not None and matches(self._global.events, event):
            found.append(
                NewDelivery(
                    event_id=envelope["id"],
                    instance_id=session.instance_id,
                    webhook_id=None,
                    event=event,
                    url=self._global.url,
                    body=body,
                    hmac_key=self._global.hmac_key,
                    retries=self._global.retries,
                )
            )
        return found
