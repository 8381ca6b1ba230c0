"""Sandbox control: play the phone of a sandbox session (wagate's own routes)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from wagate.domain.ids import normalize_phone
from wagate.errors import NotSupportedError
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import InstanceParams
from wagate.http.wawp.render import SessionOut, session_json
from wagate.services.container import Services
from wagate.services.sandbox import SandboxControl

router = WawpRouter(tags=["Sandbox"])


class ScanParams(InstanceParams):
    phone: str = Field(description="Number of the virtual phone that scans, e.g. 15550001111.")
    push_name: str | None = Field(
        None, max_length=100, description="Display name of that account (default: Sandbox NNNN)."
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalize_phone(value)


class ConfirmCodeParams(InstanceParams):
    code: str = Field(description="The pairing code `requestCode` returned, e.g. ABCD-EFGH.")


def _control(services: Services) -> SandboxControl:
    if services.sandbox is None:
        raise NotSupportedError("The sandbox is disabled on this server")
    return services.sandbox


@router.wawp(
    "/sandbox/scan",
    ScanParams,
    methods=["POST"],
    summary="Scan the QR code with a virtual phone",
    errors=[409, 422],
    response_model=SessionOut,
)
async def scan(call: Call[ScanParams]) -> dict[str, Any]:
    """Link a sandbox session waiting in SCAN_QR_CODE to the virtual phone `phone`."""
    session = await _control(call.services).scan(
        call.session, call.params.phone, call.params.push_name
    )
    return session_json(session)


@router.wawp(
    "/sandbox/confirm-code",
    ConfirmCodeParams,
    methods=["POST"],
    summary="Type the pairing code on the virtual phone",
    errors=[409, 422],
    response_model=SessionOut,
)
async def confirm_code(call: Call[ConfirmCodeParams]) -> dict[str, Any]:
    """Complete a `requestCode` login, as if the code was typed on that phone."""
    session = await _control(call.services).confirm_code(call.session, call.params.code)
    return session_json(session)


@router.wawp(
    "/sandbox/unlink",
    InstanceParams,
    methods=["POST"],
    summary="Remove the linked device on the virtual phone",
    errors=[409, 422],
    response_model=SessionOut,
)
async def unlink(call: Call[InstanceParams]) -> dict[str, Any]:
    """The session goes FAILED with a reason; logout or start gives a new QR code."""
    return session_json(await _control(call.services).unlink(call.session))
