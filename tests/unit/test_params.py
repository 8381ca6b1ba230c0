"""Request parameters: query, form and JSON merged; PHP brackets; validation errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse

from wagate.errors import InvalidParamError, MissingParamError, WagateError
from wagate.http.params import (
    MAX_DEPTH,
    Bool,
    InstanceParams,
    JsonObject,
    StrList,
    WawpModel,
    expand_brackets,
    read_params,
    validate,
)

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, UploadFile):
        return {"filename": value.filename, "content_type": value.content_type}
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


async def _params(request: Request) -> JSONResponse:
    try:
        params = await read_params(request, max_body_bytes=1024)
    except WagateError as exc:
        return JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.http_status)
    files = {
        key: (await value.read()).decode()
        for key, value in params.items()
        if isinstance(value, UploadFile)
    }
    again = await read_params(request)  # cached: the body is read only once
    assert again.keys() == params.keys()
    return JSONResponse({"params": _jsonable(params), "files": files})


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # A FastAPI app: under FastAPI, read_params closes the uploaded files after the response.
    app = FastAPI()
    app.add_api_route("/p", _params, methods=METHODS)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    params: dict[str, Any] = response.json()["params"]
    return params


# --------------------------------------------------------------------------- sources


async def test_query_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/p", params={"a": "1", "b": ""})
    assert await _ok(response) == {"a": "1", "b": ""}


async def test_form_only(client: httpx.AsyncClient) -> None:
    response = await client.post("/p", data={"a": "1", "text": "héllo wörld & more"})
    assert await _ok(response) == {"a": "1", "text": "héllo wörld & more"}


async def test_json_only(client: httpx.AsyncClient) -> None:
    response = await client.post("/p", json={"a": 1, "file": {"url": "x"}, "ok": True})
    assert await _ok(response) == {"a": 1, "file": {"url": "x"}, "ok": True}


async def test_json_without_content_type(client: httpx.AsyncClient) -> None:
    response = await client.post("/p", content=b' {"a": "1"}')
    assert await _ok(response) == {"a": "1"}


async def test_body_of_other_type_is_ignored(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/p?a=1", content=b'{"a": "2"}', headers={"content-type": "text/plain"}
    )
    assert await _ok(response) == {"a": "1"}


async def test_empty_json_body(client: httpx.AsyncClient) -> None:
    response = await client.get("/p?a=1", headers={"content-type": "application/json"})
    assert await _ok(response) == {"a": "1"}


@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT", "GET"])
async def test_precedence_json_over_form_over_query(client: httpx.AsyncClient, method: str) -> None:
    query = {"a": "q", "b": "q", "c": "q"}
    form = await client.request(method, "/p", params=query, data={"b": "f", "c": "f"})
    assert await _ok(form) == {"a": "q", "b": "f", "c": "f"}
    body = await client.request(method, "/p", params=query, json={"c": "j"})
    assert await _ok(body) == {"a": "q", "b": "q", "c": "j"}


async def test_json_merges_at_top_level_only(client: httpx.AsyncClient) -> None:
    response = await client.post("/p?file[url]=x&file[name]=n", json={"file": {"url": "y"}})
    assert await _ok(response) == {"file": {"url": "y"}}


async def test_invalid_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/p", content=b'{"a": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_param",
        "message": "The request body is not valid JSON",
    }


async def test_json_array_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/p", json=["a", "b"])
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_param"


async def test_body_too_large(client: httpx.AsyncClient) -> None:
    response = await client.post("/p", json={"a": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_streamed_body_too_large(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"a": "'
        for _ in range(10):
            yield b"x" * 200
        yield b'"}'

    response = await client.post(
        "/p", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_multipart_with_file(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/p?instance_id=q",
        data={"caption": "hi", "ids[]": ["a", "b"]},
        files={"file": ("a.txt", b"hello", "text/plain")},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "params": {
            "instance_id": "q",
            "caption": "hi",
            "ids": ["a", "b"],
            "file": {"filename": "a.txt", "content_type": "text/plain"},
        },
        "files": {"file": "hello"},
    }


async def test_multipart_too_large(client: httpx.AsyncClient) -> None:
    response = await client.post("/p", files={"file": ("a.bin", b"x" * 4096)})
    assert response.status_code == 413


async def test_malformed_multipart(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/p",
        content=b"garbage",
        headers={"content-type": "multipart/form-data; boundary=zzz"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_param"


# --------------------------------------------------------------------------- brackets


async def test_brackets_in_query(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/p?file[url]=x&file[mimetype]=image/png&ids[]=a&ids[]=b&a[0]=x&a[1]=y"
        "&n[b][c]=1&m[0][b]=2&m[1][b]=3&g[0]=x&g[2]=z"
    )
    assert await _ok(response) == {
        "file": {"url": "x", "mimetype": "image/png"},
        "ids": ["a", "b"],
        "a": ["x", "y"],
        "n": {"b": {"c": "1"}},
        "m": [{"b": "2"}, {"b": "3"}],
        "g": {"0": "x", "2": "z"},
    }


async def test_brackets_in_form(client: httpx.AsyncClient) -> None:
    response = await client.delete(
        "/p",
        params={"file[url]": "q", "other": "q"},
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert await _ok(response) == {"file": {"url": "q"}, "other": "q"}
    response = await client.post("/p?file[url]=q", data={"file[url]": "f", "ids[]": ["a", "b"]})
    assert await _ok(response) == {"file": {"url": "f"}, "ids": ["a", "b"]}


async def test_depth_cap(client: httpx.AsyncClient) -> None:
    ok = "a" + "[x]" * MAX_DEPTH
    response = await client.get("/p", params={ok: "1"})
    value: Any = await _ok(response)
    for _ in range(MAX_DEPTH + 1):
        value = value["x" if isinstance(value, dict) and "x" in value else "a"]
    assert value == "1"
    response = await client.get("/p", params={"a" + "[x]" * (MAX_DEPTH + 1): "1"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_param"


async def test_malformed_brackets_are_literal(client: httpx.AsyncClient) -> None:
    response = await client.get("/p", params={"a[": "1", "b]c": "2", "d[e]f": "3", "[g]": "4"})
    assert await _ok(response) == {"a[": "1", "b]c": "2", "d[e]f": "3", "[g]": "4"}


def test_expand_brackets_rules() -> None:
    assert expand_brackets([("a", "1"), ("a", "2")]) == {"a": "2"}
    assert expand_brackets([("a", "1"), ("a[b]", "2")]) == {"a": {"b": "2"}}
    assert expand_brackets([("a[b]", "2"), ("a", "1")]) == {"a": "1"}
    assert expand_brackets([("a[1]", "y"), ("a[0]", "x")]) == {"a": ["x", "y"]}
    assert expand_brackets([("a[]", "x"), ("a[5]", "y"), ("a[]", "z")]) == {
        "a": {"0": "x", "5": "y", "6": "z"}
    }
    assert expand_brackets([("a[][b]", "1"), ("a[][b]", "2")]) == {"a": [{"b": "1"}, {"b": "2"}]}
    assert expand_brackets([("a[01]", "x")]) == {"a": {"01": "x"}}
    assert expand_brackets([("a[x][]", "1"), ("a[x][]", "2")]) == {"a": {"x": ["1", "2"]}}
    with pytest.raises(InvalidParamError):
        expand_brackets([("a" + "[]" * (MAX_DEPTH + 1), "1")])


# --------------------------------------------------------------------------- validation


class FileParams(WawpModel):
    url: str
    mimetype: str = "application/octet-stream"


class SendParams(InstanceParams):
    chat_id: str = Field(alias="chatId")
    file: FileParams
    link_preview: bool = False
    silent: Bool = False
    options: JsonObject = Field(default_factory=dict)
    ids: StrList = Field(default_factory=list)
    items: list[FileParams] = Field(default_factory=list)


BASE = {"access_token": "t", "instance_id": "i", "chatId": "1@c.us", "file": {"url": "u"}}


def test_validate_ok() -> None:
    params = validate(SendParams, {**BASE, "chatId": "  1@c.us ", "extra": "ignored"})
    assert params.chat_id == "1@c.us"
    assert params.file == FileParams(url="u")
    assert params.link_preview is False
    assert params.ids == []


def test_missing_top_level() -> None:
    with pytest.raises(MissingParamError) as info:
        validate(SendParams, {"instance_id": "i"})
    assert info.value.details == {"param": "access_token"}
    assert info.value.message == "Missing parameter: access_token"


def test_missing_nested_named_by_path() -> None:
    with pytest.raises(MissingParamError) as info:
        validate(SendParams, {**BASE, "file": {"mimetype": "x"}})
    assert info.value.details == {"param": "file.url"}
    with pytest.raises(MissingParamError) as info:
        validate(SendParams, {**BASE, "items": [{"url": "a"}, {}]})
    assert info.value.details == {"param": "items[1].url"}


def test_missing_alias() -> None:
    with pytest.raises(MissingParamError) as info:
        validate(SendParams, {key: value for key, value in BASE.items() if key != "chatId"})
    assert info.value.details == {"param": "chatId"}


def test_invalid_named_by_path() -> None:
    with pytest.raises(InvalidParamError) as info:
        validate(SendParams, {**BASE, "file": {"url": ["x"]}})
    assert info.value.details == {"param": "file.url"}
    assert info.value.message.startswith("Invalid parameter file.url: ")
    with pytest.raises(InvalidParamError) as info:
        validate(SendParams, {**BASE, "file": "nope"})
    assert info.value.details == {"param": "file"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("True", True),
        ("false", False),
        ("0", False),
        ("1", True),
        ("yes", True),
        ("NO", False),
        ("on", True),
        ("off", False),
        (True, True),
        (0, False),
    ],
)
def test_bool_coercion(raw: Any, expected: bool) -> None:
    params = validate(SendParams, {**BASE, "link_preview": raw, "silent": raw})
    assert params.link_preview is expected
    assert params.silent is expected


def test_bool_helper_is_lenient() -> None:
    assert validate(SendParams, {**BASE, "silent": " TRUE "}).silent is True
    assert validate(SendParams, {**BASE, "silent": ""}).silent is False
    with pytest.raises(InvalidParamError) as info:
        validate(SendParams, {**BASE, "silent": "maybe"})
    assert info.value.details == {"param": "silent"}


def test_json_object() -> None:
    params = validate(SendParams, {**BASE, "options": '{"a": [1]}'})
    assert params.options == {"a": [1]}
    assert validate(SendParams, {**BASE, "options": {"b": "2"}}).options == {"b": "2"}
    for bad in ["{nope", "[1, 2]", "3"]:
        with pytest.raises(InvalidParamError) as info:
            validate(SendParams, {**BASE, "options": bad})
        assert info.value.details == {"param": "options"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a@c.us", ["a@c.us"]),
        ('["a", "b"]', ["a", "b"]),
        ("[not json", ["[not json"]),
        (["a", " b "], ["a", "b"]),
        ([447700900000], ["447700900000"]),
        ({"0": "a", "2": "b"}, ["a", "b"]),
    ],
)
def test_str_list(raw: Any, expected: list[str]) -> None:
    assert validate(SendParams, {**BASE, "ids": raw}).ids == expected


def test_str_list_invalid() -> None:
    with pytest.raises(InvalidParamError) as info:
        validate(SendParams, {**BASE, "ids": '["a", {"b": 1}]'})
    assert info.value.details == {"param": "ids[1]"}


def test_union_member_names_are_left_out() -> None:
    class Union(WawpModel):
        value: int | FileParams

    with pytest.raises(MissingParamError) as info:
        validate(Union, {"value": {}})
    assert info.value.details == {"param": "value.url"}


def test_not_a_dict_never_raises_500() -> None:
    class Strict(BaseModel):
        n: int

    with pytest.raises(InvalidParamError) as info:
        validate(Strict, {"n": "x"})
    assert info.value.message.startswith("Invalid parameter n: ")
    assert json.dumps(info.value.details) == '{"param": "n"}'


async def test_read_and_validate_end_to_end(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/p?access_token=t&instance_id=i",
        data={"chatId": "1@c.us", "file[url]": "u", "link_preview": "true", "ids[]": "a"},
    )
    params = validate(SendParams, await _ok(response))
    assert params.file.url == "u"
    assert params.link_preview is True
    assert params.ids == ["a"]


def test_json_text_parses_objects_and_lists_and_passes_the_rest() -> None:
    from wagate.http.params import json_text

    assert json_text('{"a": 1}') == {"a": 1}
    assert json_text(' [1, "x"]') == [1, "x"]
    assert json_text("plain") == "plain"
    assert json_text({"already": "parsed"}) == {"already": "parsed"}
    with pytest.raises(ValueError, match="must be valid JSON"):
        json_text("{not json")
