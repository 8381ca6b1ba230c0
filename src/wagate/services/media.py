"""Turning what a client sends (a URL or base64 data) into content WhatsApp accepts.

Fetch safely, check what the bytes really are, convert audio and video with ffmpeg,
make thumbnails. Every refusal is a 4xx naming the problem.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import PurePosixPath

from wagate.domain.content import Audio, Content, Document, Image, MediaBlob, Video
from wagate.errors import InvalidParamError, PayloadTooLargeError
from wagate.media.fetch import MediaFetcher, decode_base64
from wagate.media.ffmpeg import Ffmpeg
from wagate.media.sniff import require_kind

OPUS = "audio/ogg; codecs=opus"


@dataclass(frozen=True, slots=True, kw_only=True)
class FileSource:
    """``file[url]`` or ``file[data]`` (base64), with an optional name and type."""

    url: str | None = None
    data: str | None = None
    raw: bytes | None = None  # a multipart upload
    filename: str | None = None
    mimetype: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Loaded:
    data: bytes
    mimetype: str  # sniffed from the bytes
    filename: str | None


class MediaService:
    """Prepares media for sending; the engines get finished files."""

    def __init__(self, fetcher: MediaFetcher, ffmpeg: Ffmpeg, *, max_bytes: int) -> None:
        self._fetcher = fetcher
        self._ffmpeg = ffmpeg
        self._max_bytes = max_bytes

    async def aclose(self) -> None:
        await self._fetcher.aclose()

    async def load(self, source: FileSource, *, allowed: set[str], route: str) -> Loaded:
        """The file's bytes, checked to be one of ``allowed`` (families or types)."""
        if source.raw is not None:
            if len(source.raw) > self._max_bytes:
                raise PayloadTooLargeError(
                    f"The file is larger than {self._max_bytes} bytes", limit=self._max_bytes
                )
            data, filename = source.raw, source.filename
        elif source.data:
            data = decode_base64(source.data, max_bytes=self._max_bytes)
            filename = source.filename
        elif source.url:
            fetched = await self._fetcher.fetch(source.url)
            data, filename = fetched.data, source.filename or fetched.filename
        else:
            raise InvalidParamError(
                "Invalid parameter file: give file.url or file.data", param="file"
            )
        if not data:
            raise InvalidParamError("Invalid parameter file: the file is empty", param="file")
        mimetype = require_kind(data, allowed, declared=source.mimetype, route=route)
        return Loaded(data=data, mimetype=mimetype, filename=filename)

    async def image(self, source: FileSource, *, caption: str, route: str) -> Image:
        loaded = await self.load(source, allowed={"image/jpeg", "image/png"}, route=route)
        width, height = await self._ffmpeg.image_size(loaded.data)
        return Image(
            media=MediaBlob(data=loaded.data, mimetype=loaded.mimetype, filename=loaded.filename),
            caption=caption,
            width=width,
            height=height,
            thumbnail=await self._ffmpeg.thumbnail(loaded.data, is_video=False),
        )

    async def profile_picture(self, source: FileSource, *, route: str) -> bytes:
        """A JPEG or PNG made into the square JPEG WhatsApp shows as a profile picture."""
        loaded = await self.load(source, allowed={"image/jpeg", "image/png"}, route=route)
        return await self._ffmpeg.profile_picture(loaded.data)

    async def document(self, source: FileSource, *, caption: str) -> Document:
        # Any file; its declared type wins where the bytes say little (text, CSV, ZIP …).
        loaded = await self.load(source, allowed={"*"}, route="sendFile")
        return Document(
            media=MediaBlob(
                data=loaded.data,
                mimetype=loaded.mimetype,
                filename=loaded.filename or _named("document", loaded.mimetype),
            ),
            caption=caption,
        )

    async def voice(self, source: FileSource, *, convert: bool, route: str) -> Audio:
        """A voice note: OGG/Opus mono, with its length and waveform."""
        loaded = await self.load(source, allowed={"audio", "video"}, route=route)
        if convert:
            data, seconds, waveform = await self._ffmpeg.to_voice(loaded.data)
        elif loaded.mimetype == OPUS:
            data = loaded.data
            probe = await self._ffmpeg.probe(data)
            seconds, waveform = round(probe.duration or 0), None
        else:
            raise InvalidParamError(
                f"Invalid parameter file: a voice note must be OGG/Opus, this is "
                f"{loaded.mimetype}; send it with convert=true",
                param="file",
            )
        return Audio(
            media=MediaBlob(
                data=data, mimetype=OPUS, filename=_renamed(loaded.filename, "voice", ".ogg")
            ),
            voice=True,
            seconds=seconds,
            waveform=waveform,
        )

    async def video(
        self, source: FileSource, *, caption: str, convert: bool, as_note: bool, route: str
    ) -> Video:
        """An MP4 (H.264/AAC) video, or a round video note."""
        loaded = await self.load(source, allowed={"video"}, route=route)
        if convert or as_note:
            data, probe = await self._ffmpeg.to_mp4(loaded.data, note=as_note)
        elif loaded.mimetype == "video/mp4":
            data, probe = loaded.data, await self._ffmpeg.probe(loaded.data)
        else:
            raise InvalidParamError(
                f"Invalid parameter file: a video must be MP4, this is {loaded.mimetype}; "
                "send it with convert=true",
                param="file",
            )
        return Video(
            media=MediaBlob(
                data=data, mimetype="video/mp4", filename=_renamed(loaded.filename, "video", ".mp4")
            ),
            caption=caption,
            note=as_note,
            seconds=round(probe.duration or 0),
            width=probe.width,
            height=probe.height,
            thumbnail=await self._ffmpeg.thumbnail(data, is_video=True),
        )

    async def thumbnail_of(self, url: str) -> bytes:
        """A JPEG thumbnail of the image at ``url`` (link previews)."""
        loaded = await self.load(
            FileSource(url=url), allowed={"image"}, route="sendLinkPreview thumbnail"
        )
        return await self._ffmpeg.thumbnail(loaded.data, is_video=False)

    async def any_content(self, source: FileSource, *, caption: str, route: str) -> Content:
        """The file as the kind its bytes say (image, voice/audio, video or document),
        unconverted: what a phone would have sent."""
        loaded = await self.load(source, allowed={"*"}, route=route)
        blob = MediaBlob(data=loaded.data, mimetype=loaded.mimetype, filename=loaded.filename)
        family = loaded.mimetype.split("/", 1)[0]
        if loaded.mimetype in ("image/jpeg", "image/png", "image/webp"):
            return Image(media=blob, caption=caption)
        if family == "audio":
            probe = await self._ffmpeg.probe(loaded.data)
            return Audio(
                media=blob, voice=loaded.mimetype == OPUS, seconds=round(probe.duration or 0)
            )
        if family == "video":
            probe = await self._ffmpeg.probe(loaded.data)
            return Video(
                media=blob,
                caption=caption,
                seconds=round(probe.duration or 0),
                width=probe.width,
                height=probe.height,
            )
        return Document(media=blob, caption=caption)


def _named(stem: str, mimetype: str) -> str:
    """A file name for a file that came without one: ``document.pdf``, ``document.csv``."""
    extension = mimetypes.guess_extension(mimetype.split(";", 1)[0].strip()) or ""
    return f"{stem}{extension}"


def _renamed(filename: str | None, stem: str, extension: str) -> str:
    """The name of a converted file: its own stem with the new extension."""
    if not filename:
        return f"{stem}{extension}"
    return f"{PurePosixPath(filename).stem or stem}{extension}"
