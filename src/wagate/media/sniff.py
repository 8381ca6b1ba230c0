"""The real type of a file, from its first bytes, and the check that a route gets one it takes.

Clients declare types carelessly (``application/octet-stream`` for everything, or
``image/png`` for a PDF), so what a file *is* comes from its magic numbers. Only the
types WhatsApp cares about are recognised; anything else is ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable

from wagate.errors import InvalidParamError

OPUS = "audio/ogg; codecs=opus"

_FTYP_BRANDS: dict[bytes, str] = {
    b"M4A ": "audio/mp4",
    b"M4B ": "audio/mp4",
    b"M4P ": "audio/mp4",
    b"F4A ": "audio/mp4",
    b"qt  ": "video/quicktime",
    b"3gp4": "video/3gpp",
    b"3gp5": "video/3gpp",
    b"3gp6": "video/3gpp",
    b"3g2a": "video/3gpp2",
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"mif1": "image/heif",
    b"msf1": "image/heif",
    b"avif": "image/avif",
}

_OOXML: tuple[tuple[bytes, str], ...] = (
    (b"word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (b"xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (b"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)

# Types that say little about the content: a declared type is trusted over them.
_GENERIC = frozenset({"text/plain", "application/zip", "application/octet-stream"})

_NOUNS = {
    "image": "an image",
    "audio": "an audio file",
    "video": "a video",
    "application": "a document",
    "text": "a text file",
}

_TEXT_PROBE = 64 * 1024


def sniff(data: bytes) -> str | None:
    """The MIME type ``data`` really has, or ``None`` when it is not one we know."""
    head = data[:64]
    found = _binary(data, head)
    if found is not None:
        return found
    return "text/plain" if _is_text(data) else None


def _binary(data: bytes, head: bytes) -> str | None:  # noqa: C901 - a flat table of magic numbers
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and len(head) >= 12:
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}.get(
            head[8:12]
        )
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"OggS"):
        return OPUS if b"OpusHead" in data[:512] else "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12], "video/mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in data[:64] else "video/x-matroska"
    if head.startswith(b"ID3") or _mpeg_audio_frame(head):
        return "audio/mpeg"
    if _adts_frame(head):
        return "audio/aac"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(b"BM") and len(head) >= 14 and head[6:10] == b"\0\0\0\0":
        return "image/bmp"
    if head.startswith((b"II*\0", b"MM\0*")):
        return "image/tiff"
    return None


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a valid version, layer and bitrate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3


def _adts_frame(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0


def _zip_kind(data: bytes) -> str:
    # The names of the entries are stored uncompressed (local headers and the central
    # directory), so the office formats show their folder names in the bytes.
    if b"[Content_Types].xml" in data:
        for marker, mimetype in _OOXML:
            if marker in data:
                return mimetype
    if data[30:38] == b"mimetype":
        subtype = data[38:120].split(b"PK", 1)[0]
        if subtype.startswith(b"application/"):
            return subtype.decode("ascii", "replace")
    return "application/zip"


def _is_text(data: bytes) -> bool:
    if not data or b"\0" in data[:_TEXT_PROBE]:
        return False
    probe = data[:_TEXT_PROBE]
    try:
        probe.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut at the probe's end is fine; anything earlier is not text.
        return len(data) > _TEXT_PROBE and exc.start >= len(probe) - 3
    return True


def base_type(mimetype: str) -> str:
    """``"audio/ogg; codecs=opus"`` → ``"audio/ogg"``."""
    return mimetype.split(";", 1)[0].strip().lower()


def require_kind(data: bytes, allowed: Iterable[str], *, declared: str | None, route: str) -> str:
    """The real type of ``data``, if ``allowed`` takes it; else an :class:`InvalidParamError`.

    ``allowed`` holds families (``"image"``), exact types (``"audio/ogg"``) or ``"*"``
    (anything: documents). With ``"*"`` a declared type wins over a generic or unknown
    sniffed one (a CSV sniffs as ``text/plain``), and an unknown file without a declared
    type is ``application/octet-stream``. The returned type keeps its parameters
    (``audio/ogg; codecs=opus``).
    """
    accepted = set(allowed)
    found = sniff(data)
    declared_base = base_type(declared) if declared else None
    if "*" in accepted:
        if found is not None and found not in _GENERIC:
            return found
        return declared_base or found or "application/octet-stream"
    if found is not None and _fits(found, accepted):
        return found
    if found is None and not data:
        raise InvalidParamError(f"{route} needs {_describe(accepted)}, but the file is empty")
    what = found or "of an unrecognised type"
    also = f" (declared {declared_base})" if declared_base else ""
    raise InvalidParamError(
        f"{route} needs {_describe(accepted)}, but the file is {what}{also}",
        detected=found,
        declared=declared_base,
    )


def _fits(mimetype: str, accepted: set[str]) -> bool:
    base = base_type(mimetype)
    return base in accepted or mimetype in accepted or base.split("/", 1)[0] in accepted


def _describe(accepted: set[str]) -> str:
    families = sorted(a for a in accepted if "/" not in a)
    exact = sorted(a for a in accepted if "/" in a)
    parts = [_NOUNS.get(f, f"a file of type {f}/*") for f in families]
    if exact:
        parts.append(("one of " if len(exact) > 1 else "") + ", ".join(exact))
    return " or ".join(parts) or "a file"
