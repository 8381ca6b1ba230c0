"""Inline files: plain base64 and data URIs, with the size checked before decoding."""

from __future__ import annotations

import base64

import pytest

import media_samples
from wagate.errors import InvalidParamError, PayloadTooLargeError
from wagate.media import data_uri_mimetype, decode_base64
from wagate.media.fetch import is_forbidden_address


def test_plain_base64() -> None:
    png = media_samples.png()
    assert decode_base64(base64.b64encode(png).decode(), max_bytes=len(png)) == png


def test_data_uri() -> None:
    pdf = media_samples.pdf()
    uri = "data:application/pdf;base64," + base64.b64encode(pdf).decode()
    assert decode_base64(uri, max_bytes=1 << 20) == pdf
    assert data_uri_mimetype(uri) == "application/pdf"
    assert data_uri_mimetype(base64.b64encode(pdf).decode()) is None
    named = "DATA:image/png;name=a.png;base64," + base64.b64encode(b"x").decode()
    assert decode_base64(named, max_bytes=10) == b"x"


def test_whitespace_urlsafe_and_missing_padding() -> None:
    data = bytes(range(256)) * 3
    wrapped = base64.encodebytes(data).decode()  # MIME: a line break every 76 characters
    assert decode_base64(wrapped, max_bytes=len(data)) == data
    urlsafe = base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert decode_base64(urlsafe, max_bytes=len(data)) == data


@pytest.mark.parametrize("bad", ["not base64!!", "abc$", "data:image/png,notbase64flag"])
def test_bad_base64(bad: str) -> None:
    with pytest.raises(InvalidParamError):
        decode_base64(bad, max_bytes=100)


def test_too_large() -> None:
    data = b"x" * 101
    encoded = base64.b64encode(data).decode()
    assert decode_base64(encoded, max_bytes=101) == data
    with pytest.raises(PayloadTooLargeError) as caught:
        decode_base64(encoded, max_bytes=100)
    assert caught.value.http_status == 413
    with pytest.raises(PayloadTooLargeError):  # refused on its length alone, not decoded
        decode_base64("A" * 10_000_000, max_bytes=1000)


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("::1", True),
        ("fe80::1", True),
        ("fd00:ec2::254", True),
        ("::ffff:127.0.0.1", True),
        ("93.184.215.14", False),
        ("2606:4700:4700::1111", False),
        ("::ffff:93.184.215.14", False),
    ],
)
def test_forbidden_addresses(address: str, forbidden: bool) -> None:
    import ipaddress

    assert is_forbidden_address(ipaddress.ip_address(address)) is forbidden
