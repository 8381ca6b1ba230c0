"""Webhook request signing and headers.

The signature is ``hex(HMAC-SHA512(key, body))`` over the exact body bytes sent, in
``X-Webhook-Hmac`` with ``X-Webhook-Hmac-Algorithm: sha512``.
"""

from __future__ import annotations

import hashlib
import hmac

from wagate.domain.webhooks import Delivery

HMAC_ALGORITHM = "sha512"

CONTENT_TYPE = "Content-Type"
REQUEST_ID = "X-Webhook-Request-Id"
TIMESTAMP = "X-Webhook-Timestamp"
SIGNATURE = "X-Webhook-Hmac"
SIGNATURE_ALGORITHM = "X-Webhook-Hmac-Algorithm"

# Headers a webhook's custom headers cannot set: wagate's own, and those that describe
# the body or connection (httpx computes them).
RESERVED_HEADERS = frozenset(
    name.lower()
    for name in (
        CONTENT_TYPE,
        REQUEST_ID,
        TIMESTAMP,
        SIGNATURE,
        SIGNATURE_ALGORITHM,
        "Content-Length",
        "Transfer-Encoding",
        "Host",
        "Connection",
    )
)


def sign(body: bytes, key: str) -> str:
    """Hex HMAC-SHA512 of ``body`` under ``key`` (UTF-8)."""
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


def headers_for(delivery: Delivery, body: bytes, now_ms: int) -> dict[str, str]:
    """The request headers for one attempt to send ``body`` (the delivery's body bytes).

    The delivery's custom headers come first; a custom header named like a reserved
    header (case-insensitively) is dropped, so it can never replace the signature,
    request id, timestamp or content type.
    """
    headers = {
        name: value
        for name, value in delivery.headers.items()
        if name.lower() not in RESERVED_HEADERS
    }
    headers[CONTENT_TYPE] = "application/json"
    headers[REQUEST_ID] = delivery.event_id
    headers[TIMESTAMP] = str(now_ms)
    if delivery.hmac_key:
        headers[SIGNATURE] = sign(body, delivery.hmac_key)
        headers[SIGNATURE_ALGORITHM] = HMAC_ALGORITHM
    return headers
