"""One error envelope for every failure: ``{"code", "message", "data": {"status"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from wagate.errors import NoRouteError, WagateError

log = logging.getLogger(__name__)


def envelope(
    code: str, message: str, status: int, details: dict[str, Any] | None = None
) -> JSONResponse:
    """The WordPress REST error shape; ``details`` add to ``data`` (never replace status)."""
    return JSONResponse(
        {"code": code, "message": message, "data": {**(details or {}), "status": status}},
        status_code=status,
    )


def render(error: WagateError) -> JSONResponse:
    return envelope(error.code, error.message, error.http_status, error.details)


async def _wagate_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WagateError)
    return render(exc)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        # WordPress answers an unknown route and a wrong method alike.
        return render(NoRouteError("No route was found matching the URL and request method"))
    return envelope(f"http_{exc.status_code}", str(exc.detail), exc.status_code)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    return envelope("invalid_param", "The request could not be understood", 400)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return envelope("internal_error", "An unexpected error occurred; see the server log", 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(WagateError, _wagate_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
