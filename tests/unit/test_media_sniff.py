"""Telling a file's real type from its bytes, and refusing the wrong kind for a route."""

from __future__ import annotations

import io
import zipfile

import pytest

import media_samples
from wagate.errors import InvalidParamError
from wagate.media import require_kind, sniff


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (media_samples.png, "image/png"),
        (media_samples.jpeg, "image/jpeg"),
        (media_samples.mp3, "audio/mpeg"),
        (media_samples.wav, "audio/wav"),
        (media_samples.video, "video/x-matroska"),
        (media_samples.portrait_video, "video/mp4"),
        (media_samples.pdf, "application/pdf"),
    ],
)
def test_sniff_real_files(sample: object, expected: str) -> None:
    assert callable(sample)
    assert sniff(sample()) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"OggS\x00\x02" + b"\x00" * 22 + b"\x01\x13OpusHead\x01\x01", "audio/ogg; codecs=opus"),
        (b"OggS\x00\x02" + b"\x00" * 22 + b"\x01vorbis", "audio/ogg"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio/mp4"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64\x00\x00", "audio/mpeg"),
        ("héllo, wörld\n".encode(), "text/plain"),
        (b"\x00\x01\x02garbage\xff\xfe", None),
        (b"\xff\xfe\xfd not utf-8", None),
        (b"", None),
    ],
)
def test_sniff_magic_numbers(data: bytes, expected: str | None) -> None:
    assert sniff(data) == expected


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def test_sniff_zip_and_office() -> None:
    assert sniff(_zip("a.txt")) == "application/zip"
    docx = _zip("[Content_Types].xml", "word/document.xml")
    assert sniff(docx) == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    xlsx = _zip("[Content_Types].xml", "xl/workbook.xml")
    assert sniff(xlsx) == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_require_kind_accepts_the_family() -> None:
    assert require_kind(media_samples.png(), {"image"}, declared=None, route="sendImage") == (
        "image/png"
    )
    assert (
        require_kind(media_samples.mp3(), {"audio", "video"}, declared="x/y", route="sendVoice")
        == "audio/mpeg"
    )
    assert (
        require_kind(media_samples.wav(), {"audio/wav"}, declared=None, route="sendAudio")
        == "audio/wav"
    )


def test_require_kind_names_both_types() -> None:
    with pytest.raises(InvalidParamError) as caught:
        require_kind(media_samples.pdf(), {"image"}, declared="image/png", route="sendImage")
    assert caught.value.message == (
        "sendImage needs an image, but the file is application/pdf (declared image/png)"
    )
    assert caught.value.http_status == 400


def test_require_kind_unknown_and_empty() -> None:
    with pytest.raises(InvalidParamError, match=r"needs a video, but the file is of an unrecog"):
        require_kind(b"\x00\x01garbage", {"video"}, declared=None, route="sendVideo")
    with pytest.raises(InvalidParamError, match="one of audio/mpeg, audio/ogg"):
        require_kind(b"\x00", {"audio/ogg", "audio/mpeg"}, declared=None, route="sendVoice")
    with pytest.raises(InvalidParamError, match="the file is empty"):
        require_kind(b"", {"image"}, declared="image/png", route="sendImage")


def test_require_kind_documents_take_anything() -> None:
    pdf = media_samples.pdf()
    assert require_kind(pdf, {"*"}, declared="text/csv", route="sendFile") == "application/pdf"
    assert require_kind(b"a,b\n1,2\n", {"*"}, declared="text/csv", route="sendFile") == "text/csv"
    assert require_kind(b"a,b\n", {"*"}, declared=None, route="sendFile") == "text/plain"
    assert (
        require_kind(b"\x00\x01", {"*"}, declared=None, route="sendFile")
        == "application/octet-stream"
    )
