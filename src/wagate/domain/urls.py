"""Checks on URLs that users give wagate to call (webhooks)."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048


def check_webhook_url(url: str) -> str:
    """The URL if wagate can POST to it, else ``ValueError`` saying why."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"a webhook URL has at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a bad port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise ValueError("a webhook URL starts with http:// or https://")
    if not parts.hostname:
        raise ValueError("a webhook URL names a host")
    if port == 0:
        raise ValueError("a webhook URL cannot use port 0")
    if any(c.isspace() for c in url):
        raise ValueError("a webhook URL has no spaces")
    return url
