"""Downloading the media of stored messages (what ``media.url`` in payloads points at)."""

from __future__ import annotations

from fastapi.responses import FileResponse
from pydantic import Field

from wagate.errors import NotFoundError
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import InstanceParams

router = WawpRouter(tags=["Media"])


class MediaParams(InstanceParams):
    media_id: str = Field(description="The file's id (`med_...`), in the path.")


@router.wawp("/media/{media_id}", MediaParams, methods=["GET"], summary="Download media")
async def download(call: Call[MediaParams]) -> FileResponse:
    """The file of a sent or received message of this session."""
    stored = await call.services.media_store.open(call.session.instance_id, call.params.media_id)
    if stored is None:
        raise NotFoundError(f"No media {call.params.media_id} in this session")
    return FileResponse(stored.path, media_type=stored.mimetype, filename=stored.filename)
