"""Login: the QR code, the pairing code and the screenshot (Wawp §4)."""

from __future__ import annotations

import base64
from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import Field, field_validator

from wagate.domain.ids import normalize_phone
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import InstanceParams
from wagate.services.qr import data_uri, qr_png

router = WawpRouter(tags=["Authentication"])

# A QR code is only good for seconds; caches must never keep one.
NO_STORE = {"Cache-Control": "no-store"}


class QrParams(InstanceParams):
    format: Literal["image", "raw"] = Field(
        "image", description="`image` (default): a PNG data URI; `raw`: the QR value."
    )


class RequestCodeParams(InstanceParams):
    phone_number: str = Field(
        description="The number of the phone to link, with country code, e.g. 447441429009."
    )

    @field_validator("phone_number")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalize_phone(value)


@router.wawp("/getQr", QrParams, methods=["GET"], summary="Get QR code", errors=[409])
async def get_qr(call: Call[QrParams]) -> JSONResponse:
    """The QR code to scan with WhatsApp (Linked devices). It changes every
    `WAGATE_QR_ROTATE_SECONDS` (20 s by default): fetch the latest each time."""
    value = await call.services.sessions.qr_value(call.session.instance_id)
    body: dict[str, Any] = (
        {"value": value}
        if call.params.format == "raw"
        else {"qr": data_uri("image/png", qr_png(value))}
    )
    return JSONResponse(body, headers=NO_STORE)


@router.wawp(
    "/requestCode",
    RequestCodeParams,
    methods=["POST"],
    summary="Request pairing code",
    errors=[409, 502],
)
async def request_code(call: Call[RequestCodeParams]) -> dict[str, Any]:
    """An 8-character code to type on the phone instead of scanning the QR code."""
    code = await call.services.sessions.request_code(
        call.session.instance_id, call.params.phone_number
    )
    return {"code": code}


@router.wawp("/getScreenshot", InstanceParams, methods=["GET"], summary="Screenshot", errors=[422])
async def get_screenshot(call: Call[InstanceParams]) -> JSONResponse:
    """What the session shows: the QR code while it waits to be linked."""
    mimetype, data = await call.services.sessions.screenshot(call.session.instance_id)
    return JSONResponse(
        {"mimetype": mimetype, "data": base64.b64encode(data).decode()}, headers=NO_STORE
    )
