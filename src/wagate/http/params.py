"""Wawp request parameters: where they come from, how they nest, how they are validated.

Wawp clients send parameters in the query string, in a form body (urlencoded or
multipart) or in a JSON body — on any method, GET and DELETE included — and nest them
with PHP's bracket notation (``file[url]=…``, ``ids[]=…``). :func:`read_params` merges all
three sources into one dict (JSON over form over query, at the top level only) and
:func:`validate` turns it into a parameter model, reporting failures as
:class:`~wagate.errors.MissingParamError` / :class:`~wagate.errors.InvalidParamError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Iterable, Mapping
from contextlib import AsyncExitStack
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

import pydantic
from pydantic import BeforeValidator, ConfigDict, Field
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from wagate.errors import InvalidParamError, MissingParamError, PayloadTooLargeError

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "MAX_DEPTH",
    "Bool",
    "InstanceParams",
    "JsonObject",
    "StrList",
    "WawpModel",
    "expand_brackets",
    "json_text",
    "read_params",
    "validate",
]

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
"""The default cap on a request body, in bytes."""

MAX_DEPTH = 20
"""How many ``[…]`` segments a bracketed key may have."""

_STATE_KEY = "wagate_params"
_KEY_RE = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_SEGMENT_RE = re.compile(r"\[([^\[\]]*)\]")
_INDEX_RE = re.compile(r"0|[1-9][0-9]*")
_JSON_TYPES = frozenset({"application/json", "text/json"})
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

M = TypeVar("M", bound=pydantic.BaseModel)


# --------------------------------------------------------------------------- brackets


class _Builder:
    """Builds the nested structure of PHP bracketed keys (lists come later)."""

    def __init__(self) -> None:
        self.root: dict[str, Any] = {}
        # The next automatic index (``[]``) of each container, by ``id``; the
        # containers live as long as the builder, so their ids are stable.
        self._next: dict[int, int] = {}

    def _key(self, node: dict[str, Any], segment: str) -> str:
        nxt = self._next.get(id(node), 0)
        if segment == "":
            self._next[id(node)] = nxt + 1
            return str(nxt)
        if _INDEX_RE.fullmatch(segment) and int(segment) >= nxt:
            self._next[id(node)] = int(segment) + 1
        return segment

    def add(self, key: str, value: Any) -> None:
        match = _KEY_RE.fullmatch(key)
        if match is None or not match.group(2):
            self.root[key] = value  # a plain or malformed key: literal, last wins
            return
        segments = _SEGMENT_RE.findall(match.group(2))
        if len(segments) > MAX_DEPTH:
            raise InvalidParamError(
                f"Parameter {match.group(1)} is nested deeper than {MAX_DEPTH} levels",
                param=match.group(1),
            )
        node = self.root
        name = match.group(1)
        for segment in segments:
            child = node.get(name)
            if not isinstance(child, dict):
                child = {}  # a later bracketed key replaces an earlier scalar
                node[name] = child
            node = child
            name = self._key(node, segment)
        node[name] = value


def _listify(value: Any) -> Any:
    """Turn every dict whose keys are exactly ``"0"…"n-1"`` into a list."""
    if not isinstance(value, dict):
        return value
    items = {key: _listify(item) for key, item in value.items()}
    if items and all(_INDEX_RE.fullmatch(key) for key in items):
        indexes = sorted(int(key) for key in items)
        if indexes == list(range(len(indexes))):
            return [items[str(index)] for index in indexes]
    return items


def expand_brackets(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Nest ``(key, value)`` pairs written in PHP bracket notation.

    ``file[url]=x`` gives ``{"file": {"url": "x"}}``; ``ids[]=a&ids[]=b`` and
    ``a[0]=x&a[1]=y`` give lists (a container becomes a list when its keys are exactly
    ``0…n-1``, otherwise it stays a dict with string keys); a repeated key keeps its last
    value; malformed keys (``a[``, ``a]b``) are kept literally. More than
    :data:`MAX_DEPTH` bracket segments raise :class:`InvalidParamError`.
    """
    builder = _Builder()
    for key, value in pairs:
        builder.add(key, value)
    return {key: _listify(value) for key, value in builder.root.items()}


# --------------------------------------------------------------------------- bodies


def _media_type(request: Request) -> str | None:
    header = request.headers.get("content-type")
    if header is None:
        return None
    return header.split(";", 1)[0].strip().lower()


def _check_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"The request body is larger than {limit} bytes")


class _CappedBody:
    """The request body as a stream that stops once it exceeds ``limit`` bytes."""

    def __init__(self, request: Request, limit: int) -> None:
        self.request = request
        self.limit = limit
        self.exceeded = False

    async def stream(self) -> AsyncGenerator[bytes, None]:
        total = 0
        async for chunk in self.request.stream():
            total += len(chunk)
            if total > self.limit:
                self.exceeded = True
                return
            yield chunk

    def too_large(self) -> PayloadTooLargeError:
        return PayloadTooLargeError(f"The request body is larger than {self.limit} bytes")

    async def read(self) -> bytes:
        chunks = [chunk async for chunk in self.stream()]
        if self.exceeded:
            raise self.too_large()
        return b"".join(chunks)


async def _read_multipart(request: Request, body: _CappedBody) -> FormData:
    parser = MultiPartParser(request.headers, body.stream())
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        if body.exceeded:
            raise body.too_large() from None
        raise InvalidParamError(f"The multipart body is malformed: {exc.message}") from None
    if body.exceeded:
        await form.close()
        raise body.too_large()
    # Under FastAPI, close the uploaded files once the response has been sent.
    stack = request.scope.get("fastapi_inner_astack")
    if isinstance(stack, AsyncExitStack):
        stack.push_async_callback(form.close)
    return form


async def _read_form(request: Request, media_type: str, body: _CappedBody) -> dict[str, Any]:
    if media_type == "multipart/form-data":
        form = await _read_multipart(request, body)
        return expand_brackets(form.multi_items())
    text = (await body.read()).decode("utf-8", errors="replace")
    return expand_brackets(parse_qsl(text, keep_blank_values=True))


def _parse_json_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidParamError("The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidParamError("The JSON request body must be an object")
    return data


async def _read_body(request: Request, limit: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``(form, json)`` parameters of the body."""
    media_type = _media_type(request)
    if media_type is not None and media_type not in _FORM_TYPES and not _is_json(media_type):
        return {}, {}  # a body we do not read (text/plain, application/octet-stream, …)
    _check_declared_length(request, limit)
    body = _CappedBody(request, limit)
    if media_type in _FORM_TYPES:
        return await _read_form(request, media_type, body), {}
    raw = await body.read()
    if media_type is None and not raw.lstrip().startswith(b"{"):
        return {}, {}  # no content type and not a JSON object: ignore the body
    return {}, _parse_json_body(raw)


def _is_json(media_type: str) -> bool:
    return media_type in _JSON_TYPES or media_type.endswith("+json")


async def read_params(
    request: Request, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> dict[str, Any]:
    """All parameters of a Wawp request: query string, form body and JSON body merged.

    The query string and a form body (``application/x-www-form-urlencoded`` or
    ``multipart/form-data``) are expanded from PHP bracket notation; a JSON body is
    read when the content type says JSON, or when there is no content type and the
    body looks like a JSON object. At the top level a JSON key overrides the same form
    key, which overrides the query key. Uploaded files are :class:`UploadFile` values.

    The result is computed once per request (the body can only be read once); later
    calls return a shallow copy of it.

    Under FastAPI the uploaded files are closed once the response has been sent.

    Raises :class:`InvalidParamError` (bad JSON, a JSON body that is not an object, a
    malformed multipart body, keys nested too deep) and :class:`PayloadTooLargeError`
    (a body over ``max_body_bytes``).
    """
    cached = getattr(request.state, _STATE_KEY, None)
    if isinstance(cached, dict):
        return dict(cached)
    query = expand_brackets(request.query_params.multi_items())
    form, body_json = await _read_body(request, max_body_bytes)
    params = {**query, **form, **body_json}
    setattr(request.state, _STATE_KEY, params)
    return dict(params)


# --------------------------------------------------------------------------- validation


def _loc_name(loc: tuple[int | str, ...], data: Any) -> str:
    """The parameter a pydantic error location points at: ``file.url``, ``ids[0]``.

    The location is walked along the input so that the names pydantic inserts for
    union members and validators (which are not in the input) are left out.
    """
    unknown = object()
    current: Any = data
    name = ""
    for position, part in enumerate(loc):
        if isinstance(part, int):
            name += f"[{part}]"
            ok = isinstance(current, list) and 0 <= part < len(current)
            current = current[part] if ok else unknown
            continue
        if isinstance(current, Mapping):
            if part in current:
                current = current[part]
            elif position < len(loc) - 1:
                continue  # a union member or validator name, not a parameter
            else:
                current = unknown
        elif current is not unknown:
            continue  # a scalar cannot have named children: a union member name
        name = f"{name}.{part}" if name else part
    return name


def validate(model: type[M], params: dict[str, Any]) -> M:
    """Validate ``params`` into ``model``, failing with Wawp's parameter errors.

    The first missing field raises :class:`MissingParamError` (named by its dotted alias
    path, e.g. ``file.url`` or ``items[0].id``); otherwise the first error raises
    :class:`InvalidParamError` ``"Invalid parameter <name>: <reason>"``.
    """
    try:
        return model.model_validate(params)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        missing = next((error for error in errors if error["type"] == "missing"), None)
        if missing is not None:
            raise MissingParamError(_loc_name(missing["loc"], params) or "?") from None
        first = errors[0] if errors else None
        if first is None:  # pragma: no cover - pydantic always reports an error
            raise InvalidParamError("Invalid parameters") from None
        name = _loc_name(first["loc"], params)
        reason = first["msg"].removeprefix("Value error, ")
        if not name:
            raise InvalidParamError(f"Invalid parameters: {reason}") from None
        raise InvalidParamError(f"Invalid parameter {name}: {reason}", param=name) from None


# --------------------------------------------------------------------------- types

_TRUE = frozenset({"true", "1", "yes", "on", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "off", "n", "f", ""})


def _to_bool(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return value


def _to_json_object(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        raise ValueError("must be a JSON object") from None
    if not isinstance(data, dict):
        raise ValueError("must be a JSON object")
    return data


def json_text(value: Any) -> Any:
    """Objects and lists may arrive as JSON text (a query string or a form field):
    a string starting with ``{`` or ``[`` is parsed; anything else passes through."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            raise ValueError("must be valid JSON") from None
    return value


def to_str_list(value: Any) -> Any:
    if isinstance(value, str):
        if value.lstrip().startswith("["):
            try:
                data = json.loads(value)
            except (ValueError, RecursionError):
                return [value]
            if isinstance(data, list):
                value = data
            else:  # pragma: no cover - a JSON text starting with "[" is an array
                return [value]
        else:
            return [value]
    if isinstance(value, dict) and value and all(_INDEX_RE.fullmatch(str(k)) for k in value):
        # ``ids[0]=a&ids[2]=b``: PHP would still call this a list.
        value = [value[key] for key in sorted(value, key=int)]
    if isinstance(value, list):
        # Phone numbers and ids often arrive as JSON numbers.
        return [str(item) if type(item) is int else item for item in value]
    return value


Bool = Annotated[bool, BeforeValidator(_to_bool)]
"""A boolean that also accepts ``true/false``, ``1/0``, ``yes/no``, ``on/off`` (any case,
surrounding spaces ignored) and ``""`` (false, as WordPress does)."""

JsonObject = Annotated[dict[str, Any], BeforeValidator(_to_json_object)]
"""A JSON object, given as an object or as a string holding one."""

StrList = Annotated[list[str], BeforeValidator(to_str_list)]
"""A list of strings; also accepts one string (a one-item list, or a JSON array when it
is one), an index-keyed dict from bracket notation, and numbers (as strings)."""


# --------------------------------------------------------------------------- models


class WawpModel(pydantic.BaseModel):
    """Base of the Wawp parameter models: unknown parameters are ignored."""

    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        str_strip_whitespace=True,
        coerce_numbers_to_str=True,  # phone numbers and ids sent as JSON numbers
    )


class InstanceParams(WawpModel):
    """Parameters of every route that acts on one instance."""

    access_token: str = Field(description="The API access token.")
    instance_id: str = Field(description="The instance (WhatsApp session) to act on.")
