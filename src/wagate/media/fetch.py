"""Getting a file a client names by URL or sends inline (base64).

The URL is the client's, so every failure is theirs (400), never the gateway's. The
fetch is guarded against server-side request forgery: unless private addresses are
allowed, the host is resolved first and refused if any address it resolves to is
internal, and the request then goes to the address that was checked (so a DNS answer
that changes between the check and the connection cannot slip through). Redirects are
followed by hand, each hop checked the same way.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import re
import socket
from dataclasses import dataclass
from email.message import Message
from types import TracebackType
from urllib.parse import unquote

import httpx

from wagate.errors import InvalidParamError, PayloadTooLargeError

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_WHITESPACE = re.compile(r"\s+")
_DATA_URI = re.compile(r"data:(?P<mime>[^;,]*)(?P<params>(;[^;,]*)*),", re.IGNORECASE)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Fetched:
    """A downloaded file and what the server said about it."""

    data: bytes
    mimetype: str | None  # the Content-Type without parameters, lower case
    filename: str | None  # from Content-Disposition, else the URL path's last segment


def is_forbidden_address(address: IPAddress) -> bool:
    """Whether a fetch must not reach ``address`` (internal, special or metadata)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address in _METADATA
        or not address.is_global
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


class MediaFetcher:
    """Downloads media from client URLs, at most ``max_bytes``, with an SSRF guard.

    Give it a shared ``client`` or let it open its own (closed by :meth:`aclose` or
    ``async with``).
    """

    def __init__(
        self,
        *,
        max_bytes: int,
        timeout_seconds: float = 30,
        max_redirects: int = 5,
        allow_private: bool = False,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds
        self.max_redirects = max_redirects
        self.allow_private = allow_private
        self._client = client
        self._own_client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> MediaFetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client is not None:
            await self._own_client.aclose()
            self._own_client = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is not None:
            return self._client
        if self._own_client is None:
            self._own_client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout_seconds),
                follow_redirects=False,
                headers={"User-Agent": "wagate media fetcher"},
            )
        return self._own_client

    async def fetch(self, url: str) -> Fetched:
        """Download ``url``; refuse bad URLs, internal hosts, errors and oversized bodies."""
        try:
            async with asyncio.timeout(self.timeout_seconds):
                return await self._fetch(url)
        except TimeoutError:
            raise InvalidParamError(
                f"Could not fetch {url}: timed out after {self.timeout_seconds:g} s", url=url
            ) from None

    async def _fetch(self, url: str) -> Fetched:
        current = _parse_url(url)
        for _ in range(self.max_redirects + 1):
            request = await self._request(url, current)
            try:
                response = await self._http().send(request, stream=True, follow_redirects=False)
            except httpx.HTTPError as exc:
                raise InvalidParamError(
                    f"Could not fetch {url}: {_describe_error(exc)}", url=url
                ) from None
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    current = _parse_url(url, current.join(response.headers["location"]))
                    continue
                if not 200 <= response.status_code < 300:
                    raise InvalidParamError(
                        f"Could not fetch {url}: HTTP {response.status_code}",
                        url=url,
                        status=response.status_code,
                    )
                data = await self._read(url, response)
                return Fetched(
                    data=data,
                    mimetype=_mimetype(response.headers.get("content-type")),
                    filename=_filename(response.headers.get("content-disposition"), current),
                )
            finally:
                await response.aclose()
        raise InvalidParamError(
            f"Could not fetch {url}: more than {self.max_redirects} redirects", url=url
        )

    async def _request(self, url: str, target: httpx.URL) -> httpx.Request:
        """The GET for ``target``, sent to the address that was checked."""
        http = self._http()
        if self.allow_private:
            return http.build_request("GET", target)
        address = await self._checked_address(url, target)
        headers = {"Host": target.netloc.decode("ascii")}
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        return http.build_request(
            "GET", target.copy_with(host=str(address)), headers=headers, extensions=extensions
        )

    async def _checked_address(self, url: str, target: httpx.URL) -> IPAddress:
        port = target.port or (443 if target.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                target.host, port, type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError) as exc:
            raise InvalidParamError(
                f"Could not fetch {url}: host {target.host} does not resolve ({exc})", url=url
            ) from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        if not addresses or any(is_forbidden_address(a) for a in addresses):
            raise InvalidParamError(
                f"Could not fetch {url}: host {target.host} resolves to a "
                "private/loopback/link-local address, which is not allowed",
                url=url,
            )
        return addresses[0]

    async def _read(self, url: str, response: httpx.Response) -> bytes:
        announced = response.headers.get("content-length", "")
        if announced.isdigit() and int(announced) > self.max_bytes:
            raise self._too_large(url)
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise self._too_large(url)
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise InvalidParamError(
                f"Could not fetch {url}: {_describe_error(exc)}", url=url
            ) from None
        return b"".join(chunks)

    def _too_large(self, url: str) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"The file at {url} is larger than {self.max_bytes} bytes",
            url=url,
            max_bytes=self.max_bytes,
        )


def _parse_url(original: str, url: httpx.URL | str | None = None) -> httpx.URL:
    """``url`` (the original by default) if it is an absolute http(s) URL with a host."""
    try:
        parsed = httpx.URL(original if url is None else url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise InvalidParamError(f"Invalid URL {original}: {exc}", url=original) from None
    if parsed.scheme not in ("http", "https"):
        where = "" if url is None else f" (redirected to {parsed})"
        raise InvalidParamError(
            f"Invalid URL {original}{where}: only http and https URLs can be fetched",
            url=original,
        )
    if not parsed.host:
        raise InvalidParamError(f"Invalid URL {original}: it has no host", url=original)
    return parsed


def _describe_error(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed ({exc or type(exc).__name__})"
    return f"{type(exc).__name__} ({exc})" if str(exc) else type(exc).__name__


def _mimetype(content_type: str | None) -> str | None:
    if not content_type:
        return None
    value = content_type.split(";", 1)[0].strip().lower()
    return value or None


def _filename(disposition: str | None, url: httpx.URL) -> str | None:
    name: str | None = None
    if disposition:
        message = Message()
        message["content-disposition"] = disposition
        name = message.get_filename()
    if not name:
        name = unquote(url.path.rsplit("/", 1)[-1])
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().strip("\0")
    return name if name not in ("", ".", "..") else None


def decode_base64(data: str, *, max_bytes: int) -> bytes:
    """The bytes of plain base64 or a ``data:<mime>;base64,...`` URI.

    The size is checked on the encoded text, before anything is decoded. Whitespace
    (line breaks) and the URL-safe alphabet are accepted; missing padding is added.
    """
    payload = data.strip()
    if payload[:5].lower() == "data:":
        match = _DATA_URI.match(payload)
        if match is None or ";base64" not in match.group("params").lower():
            raise InvalidParamError("Invalid data URI: only ;base64 data URIs are accepted")
        payload = payload[match.end() :]
    limit = (max_bytes + 2) // 3 * 4
    if len(payload) > 2 * limit + 64:  # hopeless even if half of it were whitespace
        raise _base64_too_large(max_bytes)
    payload = _WHITESPACE.sub("", payload)
    if len(payload) - _padding(payload) > limit + 1:
        raise _base64_too_large(max_bytes)
    if "-" in payload or "_" in payload:
        payload = payload.replace("-", "+").replace("_", "/")
    payload += "=" * (-len(payload) % 4)
    try:
        decoded = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParamError("Invalid base64 data") from None
    if len(decoded) > max_bytes:
        raise _base64_too_large(max_bytes)
    return decoded


def data_uri_mimetype(data: str) -> str | None:
    """The type a ``data:`` URI declares (``None`` for plain base64 or none declared)."""
    match = _DATA_URI.match(data.strip())
    if match is None:
        return None
    return match.group("mime").strip().lower() or None


def _padding(payload: str) -> int:
    return len(payload) - len(payload.rstrip("="))


def _base64_too_large(max_bytes: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"The file is larger than {max_bytes} bytes", max_bytes=max_bytes)
