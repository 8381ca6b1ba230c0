"""24-hour status (stories): text, image, voice and video; delete (Wawp §9)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator

from wagate.domain.content import StatusText
from wagate.domain.messages import MessageKey
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import Bool, InstanceParams
from wagate.http.wawp.fields import ChatIdList, MessageId
from wagate.http.wawp.send_media import MAX_CAPTION, FileParam

router = WawpRouter(tags=["Status"])

STATUS_ERRORS = [409, 413, 422, 502]


def _recipients(value: Any) -> Any:
    """``contacts`` may be null, a list, or a comma-separated string (n8n sends that)."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "null")):
        return []
    if isinstance(value, str) and "," in value:
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class StatusParams(InstanceParams):
    contacts: Annotated[ChatIdList, BeforeValidator(_recipients)] = Field(
        default_factory=list,
        description="Who may see it: chat ids, a list or comma-separated (default: the "
        "account's contacts).",
    )


class TextStatusParams(StatusParams):
    text: str = Field(min_length=1, max_length=700)
    backgroundColor: str = Field("#1f2c34", description="`#rrggbb`.")
    font: int = Field(0, ge=0, le=9, description="WhatsApp's font number, 0 to 9.")
    linkPreview: Bool = Field(True, description="Show a preview of a link in the text.")
    linkPreviewHighQuality: Bool = Field(False, description="A large preview image.")

    @field_validator("backgroundColor")
    @classmethod
    def _color(cls, value: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError("a colour looks like #rrggbb")
        return value.lower()


class MediaStatusParams(StatusParams):
    file: FileParam = Field(description="`{url}` or `{data}`, with `filename`, `mimetype`.")
    caption: str = Field("", max_length=MAX_CAPTION)


class VoiceStatusParams(StatusParams):
    file: FileParam = Field(description="`{url}` or `{data}`, with `filename`, `mimetype`.")
    convert: Bool = Field(True, description="Convert to OGG/Opus first (default true).")


class VideoStatusParams(MediaStatusParams):
    convert: Bool = Field(True, description="Convert to MP4 H.264/AAC first (default true).")
    asNote: Bool = Field(False, description="A round video note.")


class DeleteStatusParams(InstanceParams):
    id: MessageId = Field(description="The status's id, `true_status@broadcast_<ID>`.")


@router.wawp(
    "/status/text", TextStatusParams, methods=["POST"], summary="Text status", errors=STATUS_ERRORS
)
async def text_status(call: Call[TextStatusParams]) -> dict[str, Any]:
    """A text story on a coloured background."""
    p = call.params
    content = StatusText(
        text=p.text,
        background_color=p.backgroundColor,
        font=p.font,
        link_preview=p.linkPreview,
        link_preview_high_quality=p.linkPreviewHighQuality,
    )
    return await call.services.messaging.post_status(
        call.session.instance_id, content, recipients=p.contacts
    )


@router.wawp(
    "/status/image",
    MediaStatusParams,
    methods=["POST"],
    summary="Image status",
    errors=STATUS_ERRORS,
)
async def image_status(call: Call[MediaStatusParams]) -> dict[str, Any]:
    """An image story with an optional caption."""
    p = call.params
    image = await call.services.media.image(
        p.file.source(), caption=p.caption, route="status/image"
    )
    return await call.services.messaging.post_status(
        call.session.instance_id, image, recipients=p.contacts
    )


@router.wawp(
    "/status/voice",
    VoiceStatusParams,
    methods=["POST"],
    summary="Voice status",
    errors=STATUS_ERRORS,
)
async def voice_status(call: Call[VoiceStatusParams]) -> dict[str, Any]:
    """A voice story (converted to OGG/Opus unless `convert=false`)."""
    p = call.params
    audio = await call.services.media.voice(
        p.file.source(), convert=p.convert, route="status/voice"
    )
    return await call.services.messaging.post_status(
        call.session.instance_id, audio, recipients=p.contacts
    )


@router.wawp(
    "/status/video",
    VideoStatusParams,
    methods=["POST"],
    summary="Video status",
    errors=STATUS_ERRORS,
)
async def video_status(call: Call[VideoStatusParams]) -> dict[str, Any]:
    """A video story (converted to MP4 unless `convert=false`)."""
    p = call.params
    video = await call.services.media.video(
        p.file.source(),
        caption=p.caption,
        convert=p.convert,
        as_note=p.asNote,
        route="status/video",
    )
    return await call.services.messaging.post_status(
        call.session.instance_id, video, recipients=p.contacts
    )


@router.wawp(
    "/status/delete",
    DeleteStatusParams,
    methods=["POST", "DELETE"],
    summary="Delete status",
    errors=[409, 502],
)
async def delete_status(call: Call[DeleteStatusParams]) -> dict[str, Any]:
    """Delete one of your statuses for everyone."""
    await call.services.messaging.delete_status(
        call.session.instance_id, MessageKey.parse(call.params.id)
    )
    return {"success": True, "id": call.params.id}
