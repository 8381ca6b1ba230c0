"""OpenAPI of routes that read their parameters themselves."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request
from pydantic import Field

from wagate.http.openapi import error_responses, install, openapi_extra
from wagate.http.params import InstanceParams, StrList, WawpModel


class Media(WawpModel):
    url: str = Field(description="Where to download the file from.")


class SendParams(InstanceParams):
    chat_id: str = Field(alias="chatId", description="The chat to send to.")
    file: Media
    ids: StrList = Field(default_factory=list)


class StatusParams(InstanceParams):
    pass


def _app() -> FastAPI:
    app = FastAPI()

    async def send(request: Request) -> dict[str, Any]:
        return {}

    async def status(request: Request) -> dict[str, Any]:
        return {}

    app.add_api_route(
        "/v1/send",
        send,
        methods=["POST"],
        openapi_extra=openapi_extra(SendParams, ["POST"]),
        responses=error_responses(400, 401, 404, 502),
    )
    app.add_api_route(
        "/v1/status",
        status,
        methods=["GET"],
        openapi_extra=openapi_extra(StatusParams, ["GET"]),
        responses=error_responses(400, 401, 404, 418),
    )
    install(app, [SendParams])
    install(app, [StatusParams, SendParams])
    return app


async def _document(app: FastAPI) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_query_parameters_and_body() -> None:
    document = await _document(_app())
    post = document["paths"]["/v1/send"]["post"]
    params = {param["name"]: param for param in post["parameters"]}
    assert list(params) == ["access_token", "instance_id", "chatId", "file", "ids"]
    assert params["access_token"]["in"] == "query"
    assert params["access_token"]["required"] is True
    assert params["access_token"]["description"] == "The API access token."
    assert params["access_token"]["schema"]["type"] == "string"
    assert params["chatId"]["description"] == "The chat to send to."
    assert params["ids"]["required"] is False
    assert params["file"]["schema"] == {"$ref": "#/components/schemas/Media"}
    assert params["file"]["style"] == "deepObject"
    content = post["requestBody"]["content"]
    assert set(content) == {"application/json", "application/x-www-form-urlencoded"}
    for media in content.values():
        assert media["schema"] == {"$ref": "#/components/schemas/SendParams"}

    get = document["paths"]["/v1/status"]["get"]
    assert "requestBody" not in get
    assert [param["name"] for param in get["parameters"]] == ["access_token", "instance_id"]


async def test_component_schemas() -> None:
    document = await _document(_app())
    schemas = document["components"]["schemas"]
    assert schemas["SendParams"]["required"] == ["access_token", "instance_id", "chatId", "file"]
    assert "$defs" not in schemas["SendParams"]
    assert schemas["SendParams"]["properties"]["file"] == {"$ref": "#/components/schemas/Media"}
    assert schemas["Media"]["properties"]["url"]["type"] == "string"
    assert "StatusParams" in schemas
    error = schemas["Error"]
    assert error["properties"]["code"]["type"] == "string"
    assert error["properties"]["message"]["type"] == "string"
    assert error["properties"]["data"]["properties"]["status"]["type"] == "integer"


async def test_error_responses() -> None:
    document = await _document(_app())
    responses = document["paths"]["/v1/send"]["post"]["responses"]
    assert set(responses) >= {"400", "401", "404", "502"}
    assert responses["401"]["description"] == "Missing or invalid access token"
    assert responses["404"]["description"] == "Unknown instance"
    assert responses["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    teapot = document["paths"]["/v1/status"]["get"]["responses"]["418"]
    assert teapot["description"] == "I'm a Teapot"


def test_error_responses_descriptions() -> None:
    described = error_responses(400, 401, 404, 409, 413, 422, 429, 502)
    assert described[409]["description"] == "Illegal in the current session status"
    assert described[422]["description"] == "Not supported by this engine"
    assert all(response["description"] for response in described.values())


async def test_install_is_per_app_and_cached() -> None:
    app = _app()
    first = app.openapi()
    assert app.openapi() is first
    other = FastAPI()
    assert "SendParams" not in other.openapi().get("components", {}).get("schemas", {})
    install(app, [Media])  # invalidates the cached document
    assert app.openapi() is not first
    assert "Media" in app.openapi()["components"]["schemas"]
