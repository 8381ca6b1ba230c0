"""Webhook delivery: signing, retry timing and the outbox dispatcher."""

from wagate.events.dispatcher import WebhookDispatcher
from wagate.events.retry import RetryPolicy, next_delay_seconds, retry_after_seconds
from wagate.events.signing import headers_for, sign

__all__ = [
    "RetryPolicy",
    "WebhookDispatcher",
    "headers_for",
    "next_delay_seconds",
    "retry_after_seconds",
    "sign",
]
