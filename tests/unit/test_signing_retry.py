"""Webhook signatures, request headers and retry timing."""

from __future__ import annotations

import hashlib
import hmac
from email.utils import formatdate

import pytest

from wagate.domain.webhooks import Delivery, DeliveryStatus, RetryConfig
from wagate.events.retry import (
    MAX_DELAY_SECONDS,
    RetryPolicy,
    next_delay_seconds,
    retry_after_seconds,
)
from wagate.events.signing import headers_for, sign

BODY = b'{"event":"message","payload":{"body":"h\xc3\xa9llo"}}'
NOW_MS = 1_700_000_000_000


def _delivery(
    *, hmac_key: str | None = "s3cret", headers: dict[str, str] | None = None
) -> Delivery:
    return Delivery(
        id="dlv_1",
        event_id="evt_01jdxyz",
        instance_id="AAAAAAAAAAAA",
        webhook_id="wh_abc",
        event="message",
        url="https://example.test/hook",
        body=BODY.decode(),
        headers={} if headers is None else headers,
        hmac_key=hmac_key,
        retries=RetryConfig(),
        status=DeliveryStatus.DELIVERING,
        attempts=0,
        next_attempt_at=0,
        lease_until=None,
        last_status_code=None,
        last_error=None,
        created_at=0,
        delivered_at=None,
    )


# --- signing ----------------------------------------------------------------


def test_sign_is_hex_hmac_sha512() -> None:
    expected = hmac.new(b"s3cret", BODY, hashlib.sha512).hexdigest()
    assert sign(BODY, "s3cret") == expected
    assert len(sign(BODY, "s3cret")) == 128


def test_sign_known_vector() -> None:
    # RFC 4231 test case 2.
    assert sign(b"what do ya want for nothing?", "Jefe") == (
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
        "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
    )


def test_sign_depends_on_key_and_body() -> None:
    assert sign(BODY, "a") != sign(BODY, "b")
    assert sign(BODY, "a") != sign(BODY + b" ", "a")


def test_headers_with_key() -> None:
    headers = headers_for(_delivery(), BODY, NOW_MS)
    assert headers == {
        "Content-Type": "application/json",
        "X-Webhook-Request-Id": "evt_01jdxyz",
        "X-Webhook-Timestamp": "1700000000000",
        "X-Webhook-Hmac": hmac.new(b"s3cret", BODY, hashlib.sha512).hexdigest(),
        "X-Webhook-Hmac-Algorithm": "sha512",
    }


def test_headers_without_key_are_unsigned() -> None:
    headers = headers_for(_delivery(hmac_key=None), BODY, NOW_MS)
    assert "X-Webhook-Hmac" not in headers
    assert "X-Webhook-Hmac-Algorithm" not in headers
    assert headers["X-Webhook-Request-Id"] == "evt_01jdxyz"


def test_custom_headers_cannot_override_reserved_ones() -> None:
    custom = {
        "X-Api-Key": "abc",
        "x-webhook-hmac": "forged",
        "X-WEBHOOK-REQUEST-ID": "forged",
        "X-Webhook-Timestamp": "0",
        "content-type": "text/plain",
        "Content-Length": "1",
    }
    headers = headers_for(_delivery(headers=custom), BODY, NOW_MS)
    assert headers["X-Api-Key"] == "abc"
    lowered = {name.lower(): value for name, value in headers.items()}
    assert len(lowered) == len(headers)  # no duplicates differing only in case
    assert lowered["x-webhook-hmac"] == sign(BODY, "s3cret")
    assert lowered["x-webhook-request-id"] == "evt_01jdxyz"
    assert lowered["x-webhook-timestamp"] == str(NOW_MS)
    assert lowered["content-type"] == "application/json"
    assert "content-length" not in lowered


# --- retry delays -----------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (RetryPolicy.CONSTANT, [2, 2, 2, 2]),
        (RetryPolicy.LINEAR, [2, 4, 6, 8]),
        (RetryPolicy.EXPONENTIAL, [2, 4, 8, 16]),
    ],
)
def test_delays_per_policy(policy: RetryPolicy, expected: list[float]) -> None:
    assert [next_delay_seconds(policy, 2, attempt) for attempt in (1, 2, 3, 4)] == expected


def test_policy_accepts_its_string_value() -> None:
    assert next_delay_seconds("exponential", 1, 3) == 4
    with pytest.raises(ValueError, match="bogus"):
        next_delay_seconds("bogus", 1, 1)


def test_delays_are_capped_at_an_hour() -> None:
    assert next_delay_seconds(RetryPolicy.EXPONENTIAL, 2, 50) == MAX_DELAY_SECONDS == 3600
    assert next_delay_seconds(RetryPolicy.EXPONENTIAL, 2, 10_000) == 3600
    assert next_delay_seconds(RetryPolicy.LINEAR, 100, 100) == 3600
    assert next_delay_seconds(RetryPolicy.CONSTANT, 7200, 1) == 3600


def test_zero_delay_and_bad_attempt() -> None:
    assert next_delay_seconds(RetryPolicy.EXPONENTIAL, 0, 5) == 0
    assert next_delay_seconds(RetryPolicy.LINEAR, 3, 0) == 3  # treated as the first attempt


# --- Retry-After ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("120", 120.0),
        (" 5 ", 5.0),
        ("1.5", 1.5),
        ("999999", 3600.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("nan", None),
        ("inf", None),
        ("1e3", None),
        ("Thu, 32 Foo 2024 99:99:99 GMT", None),
    ],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, NOW_MS) == expected


def test_retry_after_http_date() -> None:
    in_90s = formatdate(NOW_MS / 1000 + 90, usegmt=True)
    assert retry_after_seconds(in_90s, NOW_MS) == pytest.approx(90)
    past = formatdate(NOW_MS / 1000 - 90, usegmt=True)
    assert retry_after_seconds(past, NOW_MS) == 0.0
    far = formatdate(NOW_MS / 1000 + 86_400, usegmt=True)
    assert retry_after_seconds(far, NOW_MS) == 3600.0
    # NOW_MS is 2023-11-14 22:13:20 UTC.
    assert retry_after_seconds("Tue, 14 Nov 2023 22:15:00 GMT", NOW_MS) == pytest.approx(100)
