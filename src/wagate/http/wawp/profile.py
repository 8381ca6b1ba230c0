"""The account's own profile (Wawp §6)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from wagate.http.deps import Call, WawpRouter
from wagate.http.params import InstanceParams
from wagate.http.wawp.send_media import FileParam
from wagate.services.contacts import MAX_ABOUT_LENGTH, MAX_NAME_LENGTH

router = WawpRouter(tags=["Profile"])

SUCCESS = {"success": True}


class NameParams(InstanceParams):
    name: str = Field(
        max_length=MAX_NAME_LENGTH, description="The new display name (up to 25 characters)."
    )


class StatusParams(InstanceParams):
    status: str = Field(
        max_length=MAX_ABOUT_LENGTH, description="The new About text (up to 139 characters)."
    )


class PictureParams(InstanceParams):
    file: FileParam = Field(
        description="A JPEG or PNG: `{url}` or `{data}`, with `filename`, `mimetype`. It is "
        "cut to a centred square and sent as a 640×640 JPEG."
    )


@router.wawp(
    "/profile", InstanceParams, methods=["GET"], summary="Get my profile", errors=[409, 502]
)
async def get_profile(call: Call[InstanceParams]) -> dict[str, Any]:
    """The linked account: id, display name, About text and picture URL."""
    profile = await call.services.contacts.profile(call.session.instance_id)
    return {
        "id": profile.id,
        "name": profile.name,
        "status": profile.status,
        "picture": profile.picture,
    }


async def _set_name(call: Call[NameParams]) -> dict[str, Any]:
    await call.services.contacts.set_name(call.session.instance_id, call.params.name)
    return SUCCESS


@router.wawp(
    "/profile/name", NameParams, methods=["PUT"], summary="Set display name", errors=[409, 502]
)
async def set_name(call: Call[NameParams]) -> dict[str, Any]:
    """Change the account's display (push) name."""
    return await _set_name(call)


@router.wawp(
    "/profile/nameRequest",
    NameParams,
    methods=["PUT"],
    summary="Set display name (n8n spelling)",
    errors=[409, 502],
)
async def set_name_request(call: Call[NameParams]) -> dict[str, Any]:
    """The same as `profile/name`, under the path Wawp's n8n node uses."""
    return await _set_name(call)


@router.wawp(
    "/profile/status", StatusParams, methods=["PUT"], summary='Set "About"', errors=[409, 502]
)
async def set_status(call: Call[StatusParams]) -> dict[str, Any]:
    """Change the account's About text (empty clears it)."""
    await call.services.contacts.set_status(call.session.instance_id, call.params.status)
    return SUCCESS


@router.wawp(
    "/profile/picture",
    PictureParams,
    methods=["PUT"],
    summary="Set profile picture",
    errors=[409, 413, 422, 502],
)
async def set_picture(call: Call[PictureParams]) -> dict[str, Any]:
    """Set the account's picture from an image."""
    services = call.services
    await services.messaging.require_working(call.session.instance_id)
    jpeg = await services.media.profile_picture(call.params.file.source(), route="profile/picture")
    await services.contacts.set_picture(call.session.instance_id, jpeg)
    return SUCCESS


@router.wawp(
    "/profile/picture",
    InstanceParams,
    methods=["DELETE"],
    summary="Delete profile picture",
    errors=[409, 422, 502],
)
async def delete_picture(call: Call[InstanceParams]) -> dict[str, Any]:
    """Remove the account's picture."""
    await call.services.contacts.set_picture(call.session.instance_id, None)
    return SUCCESS
