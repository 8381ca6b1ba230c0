"""The errors wagate answers with.

Every failure a client can cause or observe is a :class:`WagateError` with a stable
``code`` and ``http_status``. The HTTP layer renders all of them in one envelope,
``{"code", "message", "data": {"status"}}`` (the WordPress REST error shape that Wawp
clients already parse).
"""

from __future__ import annotations

from typing import Any, ClassVar


class WagateError(Exception):
    """Base of every error wagate reports to a client."""

    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class MissingParamError(WagateError):
    code = "missing_param"
    http_status = 400

    def __init__(self, name: str) -> None:
        super().__init__(f"Missing parameter: {name}", param=name)


class InvalidParamError(WagateError):
    code = "invalid_param"
    http_status = 400


class InvalidAccessTokenError(WagateError):
    code = "invalid_access_token"
    http_status = 401


class InvalidInstanceError(WagateError):
    code = "invalid_instance"
    http_status = 404


class NotFoundError(WagateError):
    """A resource other than the instance (a webhook, a delivery) does not exist."""

    code = "not_found"
    http_status = 404


class NoRouteError(WagateError):
    """No route matches the URL and method (WordPress answers the same code)."""

    code = "rest_no_route"
    http_status = 404


class SessionNotReadyError(WagateError):
    """The operation needs a WORKING session."""

    code = "session_not_ready"
    http_status = 409


class InvalidSessionStatusError(WagateError):
    """The session is in a status where this operation or transition is not allowed."""

    code = "invalid_session_status"
    http_status = 409


class PayloadTooLargeError(WagateError):
    code = "payload_too_large"
    http_status = 413


class NotSupportedError(WagateError):
    """The session's engine does not offer this operation."""

    code = "not_supported"
    http_status = 422


class RateLimitedError(WagateError):
    code = "rate_limited"
    http_status = 429


class UpstreamError(WagateError):
    """WhatsApp (or the engine talking to it) refused or failed."""

    code = "wawp_upstream_error"
    http_status = 502


class ConfigurationError(Exception):
    """Settings that wagate refuses to start with."""
