"""Sending media: images, documents, voice notes and videos (Wawp §5)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from starlette.datastructures import UploadFile

from wagate.http.deps import Call, WawpRouter
from wagate.http.params import Bool, InstanceParams, json_text
from wagate.http.wawp.fields import ChatId, OptionalMessageId, message_key
from wagate.services.media import FileSource

router = WawpRouter(tags=["Send messages"])

MEDIA_ERRORS = [409, 413, 422, 502]
MAX_CAPTION = 1024


def _file_param(value: Any) -> Any:
    """``file`` as a multipart upload, JSON text, or an object (also from brackets)."""
    if isinstance(value, UploadFile):  # multipart: file=@photo.jpg
        value.file.seek(0)
        return {
            "raw": value.file.read(),
            "filename": value.filename,
            "mimetype": value.content_type,
        }
    return json_text(value)


class FileIn(BaseModel):
    """``file[url]`` or ``file[data]`` (base64 or a data URI), ``file[filename]``,
    ``file[mimetype]``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str | None = Field(None, max_length=4096, description="Where to fetch the file.")
    data: str | None = Field(None, description="The file as base64 (or a data: URI).")
    raw: bytes | None = Field(None, exclude=True, description="(A multipart file upload.)")
    filename: str | None = Field(None, max_length=255)
    mimetype: str | None = Field(None, max_length=255)

    @model_validator(mode="after")
    def _one_source(self) -> FileIn:
        if sum(1 for source in (self.url, self.data, self.raw) if source) != 1:
            raise ValueError("give exactly one of file.url and file.data (or upload a file)")
        return self

    def source(self) -> FileSource:
        return FileSource(
            url=self.url,
            data=self.data,
            raw=self.raw,
            filename=self.filename,
            mimetype=self.mimetype,
        )


FileParam = Annotated[FileIn, BeforeValidator(_file_param)]


class MediaParams(InstanceParams):
    chatId: ChatId = Field(description="The chat to send to.")
    file: FileParam = Field(description="`{url}` or `{data}`, with `filename`, `mimetype`.")
    reply_to: OptionalMessageId = Field(None, description="Id of the message to quote.")


class CaptionedParams(MediaParams):
    caption: str = Field("", max_length=MAX_CAPTION, description="Text under the media.")


class VoiceParams(MediaParams):
    convert: Bool = Field(True, description="Convert to OGG/Opus first (default true).")


class VideoParams(CaptionedParams):
    convert: Bool = Field(True, description="Convert to MP4 H.264/AAC first (default true).")
    asNote: Bool = Field(False, description="Send as a round video note.")


def _reply(params: MediaParams) -> Any:
    return message_key(params.reply_to) if params.reply_to else None


@router.wawp(
    "/sendImage", CaptionedParams, methods=["POST"], summary="Send image", errors=MEDIA_ERRORS
)
async def send_image(call: Call[CaptionedParams]) -> dict[str, Any]:
    """A JPEG or PNG image, with an optional caption."""
    p = call.params
    await call.services.messaging.require_working(call.session.instance_id)
    image = await call.services.media.image(p.file.source(), caption=p.caption, route="sendImage")
    return await call.services.messaging.send_content(
        call.session.instance_id, p.chatId, image, reply_to=_reply(p)
    )


@router.wawp(
    "/sendFile", CaptionedParams, methods=["POST"], summary="Send file", errors=MEDIA_ERRORS
)
async def send_file(call: Call[CaptionedParams]) -> dict[str, Any]:
    """Any document; without a file name it is called `document.<ext>` (e.g. document.pdf)."""
    p = call.params
    await call.services.messaging.require_working(call.session.instance_id)
    document = await call.services.media.document(p.file.source(), caption=p.caption)
    return await call.services.messaging.send_content(
        call.session.instance_id, p.chatId, document, reply_to=_reply(p)
    )


@router.wawp("/sendVoice", VoiceParams, methods=["POST"], summary="Send voice", errors=MEDIA_ERRORS)
async def send_voice(call: Call[VoiceParams]) -> dict[str, Any]:
    """A voice note; any audio (or video) is converted to OGG/Opus unless `convert=false`."""
    p = call.params
    await call.services.messaging.require_working(call.session.instance_id)
    audio = await call.services.media.voice(p.file.source(), convert=p.convert, route="sendVoice")
    return await call.services.messaging.send_content(
        call.session.instance_id, p.chatId, audio, reply_to=_reply(p)
    )


@router.wawp("/sendVideo", VideoParams, methods=["POST"], summary="Send video", errors=MEDIA_ERRORS)
async def send_video(call: Call[VideoParams]) -> dict[str, Any]:
    """A video, converted to MP4 H.264/AAC unless `convert=false`; `asNote` for a round note."""
    p = call.params
    await call.services.messaging.require_working(call.session.instance_id)
    video = await call.services.media.video(
        p.file.source(), caption=p.caption, convert=p.convert, as_note=p.asNote, route="sendVideo"
    )
    return await call.services.messaging.send_content(
        call.session.instance_id, p.chatId, video, reply_to=_reply(p)
    )
