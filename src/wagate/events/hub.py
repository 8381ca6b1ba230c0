"""Live fan-out of event envelopes to WebSocket subscribers.

The hub is best effort by design: webhooks are the durable path. A subscriber that
cannot keep up is dropped (its queue overflows) rather than slowing everyone down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

QUEUE_SIZE = 1000


@dataclass(eq=False)
class Subscription:
    """What one subscriber wants: its token's sessions, maybe one instance, some events."""

    owner_token_id: str | None  # None: every session (an admin token)
    instance_id: str | None
    events: frozenset[str]  # "*" matches every event
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: asyncio.Event = field(default_factory=asyncio.Event)

    def wants(self, envelope: dict[str, Any], owner_token_id: str) -> bool:
        if self.owner_token_id is not None and owner_token_id != self.owner_token_id:
            return False
        if self.instance_id is not None and envelope["instance_id"] != self.instance_id:
            return False
        return "*" in self.events or envelope["event"] in self.events


class EventHub:
    """Hands every published envelope to the subscriptions that want it."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    @contextmanager
    def subscribe(
        self, *, owner_token_id: str | None, instance_id: str | None, events: frozenset[str]
    ) -> Iterator[Subscription]:
        subscription = Subscription(owner_token_id, instance_id, events)
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    def publish(self, envelope: dict[str, Any], *, owner_token_id: str) -> None:
        for subscription in list(self._subscriptions):
            if not subscription.wants(envelope, owner_token_id):
                continue
            try:
                subscription.queue.put_nowait(envelope)
            except asyncio.QueueFull:
                subscription.overflowed.set()
                self._subscriptions.discard(subscription)

    def __len__(self) -> int:
        return len(self._subscriptions)
