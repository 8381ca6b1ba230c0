"""Per-session webhooks and the delivery log: configure, inspect, replay."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wagate.domain.webhooks import Delivery, DeliveryStatus, RetryConfig, Webhook
from wagate.errors import InvalidParamError, NotFoundError
from wagate.store.repositories.outbox import OutboxRepository
from wagate.store.repositories.webhooks import WebhookRepository

MAX_WEBHOOKS_PER_SESSION = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSpec:
    """A webhook as a user describes it (already validated at the edge)."""

    url: str
    events: tuple[str, ...] = ("*",)
    hmac_key: str | None = None
    retries: RetryConfig = field(default_factory=RetryConfig)
    custom_headers: tuple[tuple[str, str], ...] = ()

    def columns(self) -> dict[str, Any]:
        """The spec as the repository's keyword arguments."""
        return {
            "url": self.url,
            "events": self.events,
            "hmac_key": self.hmac_key,
            "retries": self.retries,
            "custom_headers": self.custom_headers,
        }


class WebhookService:
    """Configures a session's webhooks and lets users see and replay deliveries."""

    def __init__(
        self,
        webhooks: WebhookRepository,
        outbox: OutboxRepository,
        *,
        wake: Callable[[], None] = lambda: None,
        changed: Callable[[str], None] = lambda instance_id: None,
    ) -> None:
        self._webhooks = webhooks
        self._outbox = outbox
        self._wake = wake
        self._changed = changed  # (instance_id): its webhooks changed

    async def create(self, instance_id: str, spec: WebhookSpec) -> Webhook:
        if len(await self._webhooks.list(instance_id)) >= MAX_WEBHOOKS_PER_SESSION:
            raise InvalidParamError(
                f"A session has at most {MAX_WEBHOOKS_PER_SESSION} webhooks", param="url"
            )
        webhook = await self._webhooks.create(instance_id, **spec.columns())
        self._changed(instance_id)
        return webhook

    async def create_all(self, instance_id: str, specs: Sequence[WebhookSpec]) -> None:
        for spec in specs:
            await self.create(instance_id, spec)

    async def list(self, instance_id: str) -> builtins.list[Webhook]:
        return await self._webhooks.list(instance_id)

    async def get(self, instance_id: str, webhook_id: str) -> Webhook:
        webhook = await self._webhooks.get(webhook_id)
        if webhook is None or webhook.instance_id != instance_id:
            raise NotFoundError(f"No webhook {webhook_id} on this session")
        return webhook

    async def replace(self, instance_id: str, webhook_id: str, spec: WebhookSpec) -> Webhook:
        await self.get(instance_id, webhook_id)
        updated = await self._webhooks.update(webhook_id, **spec.columns())
        self._changed(instance_id)
        if updated is None:
            raise NotFoundError(f"No webhook {webhook_id} on this session")
        return updated

    async def delete(self, instance_id: str, webhook_id: str) -> None:
        await self.get(instance_id, webhook_id)
        await self._webhooks.delete(webhook_id)
        self._changed(instance_id)

    # --- deliveries -------------------------------------------------------------------

    async def deliveries(
        self,
        instance_id: str,
        *,
        status: DeliveryStatus | None,
        event: str | None,
        limit: int,
        offset: int,
    ) -> builtins.list[Delivery]:
        return await self._outbox.list(
            instance_id, status=status, event=event, limit=limit, offset=offset
        )

    async def replay(self, instance_id: str, delivery_id: str) -> Delivery:
        delivery = await self._outbox.get(delivery_id)
        if delivery is None or delivery.instance_id != instance_id:
            raise NotFoundError(f"No delivery {delivery_id} on this session")
        await self._outbox.replay(delivery_id)
        self._wake()
        replayed = await self._outbox.get(delivery_id)
        assert replayed is not None
        return replayed

    async def replay_dead(self, instance_id: str) -> int:
        count = await self._outbox.replay_dead(instance_id)
        if count:
            self._wake()
        return count
