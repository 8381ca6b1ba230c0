"""``GET /health``: is the store reachable, and how many sessions are in each status."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from wagate import __version__
from wagate.http.deps import services_of

router = APIRouter(tags=["Server"])


@router.get("/health", summary="Health check")
async def health(request: Request) -> JSONResponse:
    """200 with session counts while the store answers; 503 when it does not."""
    services = services_of(request)
    if not await services.database.ping():
        return JSONResponse(
            {"status": "unavailable", "store": "unreachable", "version": __version__},
            status_code=503,
        )
    return JSONResponse(
        {
            "status": "ok",
            "store": "ok",
            "version": __version__,
            "sessions": await services.sessions.count_by_status(),
            "restoring": services.sessions.restoring,
        }
    )
