"""QR code images of the values engines report."""

from __future__ import annotations

import base64
import io

import segno


def qr_png(value: str, *, scale: int = 6) -> bytes:
    """A PNG of ``value`` as a QR code, large enough to scan from a screen."""
    buffer = io.BytesIO()
    segno.make_qr(value, error="l").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def data_uri(mimetype: str, data: bytes) -> str:
    return f"data:{mimetype};base64,{base64.b64encode(data).decode()}"
