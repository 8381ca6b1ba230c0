"""Webhooks and their deliveries: what the store keeps and the dispatcher sends."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from enum import StrEnum

from ulid import ULID

WEBHOOK_ID_PREFIX = "wh_"
DELIVERY_ID_PREFIX = "dlv_"
EVENT_ID_PREFIX = "evt_"
_WEBHOOK_ID_ALPHABET = string.ascii_lowercase + string.digits
_WEBHOOK_ID_LENGTH = 12


def new_webhook_id() -> str:
    """``wh_`` and 12 random lower-case alphanumerics, e.g. ``wh_k3j9x0a1b2c3``."""
    suffix = "".join(secrets.choice(_WEBHOOK_ID_ALPHABET) for _ in range(_WEBHOOK_ID_LENGTH))
    return WEBHOOK_ID_PREFIX + suffix


def new_delivery_id() -> str:
    """``dlv_`` and a lower-case ULID: unique and sorted by creation time."""
    return DELIVERY_ID_PREFIX + str(ULID()).lower()


def new_event_id() -> str:
    """``evt_`` and a lower-case ULID; sent as ``X-Webhook-Request-Id``."""
    return EVENT_ID_PREFIX + str(ULID()).lower()


class RetryPolicy(StrEnum):
    CONSTANT = "constant"
    LINEAR = "linear"
    EXPONENTIAL = "exponential"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for next_attempt_at
    DELIVERING = "delivering"  # claimed by a dispatcher until lease_until
    DELIVERED = "delivered"  # a 2xx answer was received
    DEAD = "dead"  # every attempt failed


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryConfig:
    """How often a failed delivery is tried again.

    ``attempts`` counts every attempt, the first one included: after ``attempts``
    failures the delivery is dead. ``delay_seconds`` feeds the policy (see
    :func:`wagate.events.retry.next_delay_seconds`).
    """

    policy: RetryPolicy = RetryPolicy.CONSTANT
    delay_seconds: int = 2
    attempts: int = 15


@dataclass(frozen=True, slots=True, kw_only=True)
class Webhook:
    """A per-session webhook (the global webhook from the settings is never stored)."""

    id: str
    instance_id: str
    url: str
    events: tuple[str, ...]
    hmac_key: str | None = None
    retries: RetryConfig = field(default_factory=RetryConfig)
    custom_headers: tuple[tuple[str, str], ...] = ()
    created_at: int = 0
    updated_at: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class NewDelivery:
    """One event for one webhook, to be written to the outbox.

    ``body`` is the exact JSON text that will be POSTed (and signed). ``headers`` are
    extra request headers, the webhook's custom headers included. ``next_attempt_at``
    defaults to the insert time.
    """

    event_id: str
    instance_id: str
    webhook_id: str | None  # None for the global webhook from the settings
    event: str
    url: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    hmac_key: str | None = None
    retries: RetryConfig = field(default_factory=RetryConfig)
    next_attempt_at: int | None = None
    id: str = field(default_factory=new_delivery_id)

    @classmethod
    def for_webhook(cls, webhook: Webhook, *, event_id: str, event: str, body: str) -> NewDelivery:
        """A delivery of ``body`` to a stored webhook, with its key, retries and headers."""
        return cls(
            event_id=event_id,
            instance_id=webhook.instance_id,
            webhook_id=webhook.id,
            event=event,
            url=webhook.url,
            body=body,
            headers=dict(webhook.custom_headers),
            hmac_key=webhook.hmac_key,
            retries=webhook.retries,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """An outbox row: one event on its way to one webhook URL."""

    id: str
    event_id: str
    instance_id: str
    webhook_id: str | None
    event: str
    url: str
    body: str
    headers: dict[str, str]
    hmac_key: str | None
    retries: RetryConfig
    status: DeliveryStatus
    attempts: int  # attempts made so far
    next_attempt_at: int
    lease_until: int | None
    last_status_code: int | None
    last_error: str | None
    created_at: int
    delivered_at: int | None
