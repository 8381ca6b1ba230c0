"""When to try a failed webhook delivery again."""

from __future__ import annotations

import re
from datetime import UTC
from email.utils import parsedate_to_datetime

from wagate.domain.webhooks import RetryPolicy

__all__ = ["MAX_DELAY_SECONDS", "RetryPolicy", "next_delay_seconds", "retry_after_seconds"]

MAX_DELAY_SECONDS = 3600.0
# RFC 9110 says digits; a fraction does no harm.
_DELTA_SECONDS = re.compile(r"[0-9]{1,10}(\.[0-9]{1,6})?")


def next_delay_seconds(policy: RetryPolicy | str, delay_seconds: float, attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based), at most an hour.

    constant: ``delay``; linear: ``delay * attempt``; exponential: ``delay * 2**(attempt-1)``.
    """
    attempt = max(1, attempt)
    delay = max(0.0, float(delay_seconds))
    match RetryPolicy(policy):
        case RetryPolicy.CONSTANT:
            result = delay
        case RetryPolicy.LINEAR:
            result = delay * attempt
        case RetryPolicy.EXPONENTIAL:
            # Cap the exponent first: 2**(attempt-1) grows past any float quickly.
            result = delay * 2.0 ** min(attempt - 1, 32)
    return min(result, MAX_DELAY_SECONDS)


def retry_after_seconds(value: str | None, now_ms: int) -> float | None:
    """A ``Retry-After`` header as seconds from ``now_ms``, at most an hour.

    Accepts delta-seconds (``"120"``) or an HTTP date (a date in the past gives 0);
    anything else, or no header, gives None.
    """
    if value is None:
        return None
    text = value.strip()
    seconds: float | None
    if _DELTA_SECONDS.fullmatch(text):
        seconds = float(text)
    else:
        seconds = _seconds_until_http_date(text, now_ms) if text else None
    if seconds is None:
        return None
    return min(max(seconds, 0.0), MAX_DELAY_SECONDS)


def _seconds_until_http_date(text: str, now_ms: int) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" parses as naive; HTTP dates are UTC
        when = when.replace(tzinfo=UTC)
    return when.timestamp() - now_ms / 1000
