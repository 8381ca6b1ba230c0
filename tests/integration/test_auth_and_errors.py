"""Who may call what, and how every failure is reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from wagate.app import create_app
from wagate_testing import ADMIN_TOKEN, API, Api, make_settings

INSTANCE_ROUTES = [
    ("POST", "session/start"),
    ("POST", "session/stop"),
    ("POST", "session/restart"),
    ("POST", "session/logout"),
    ("GET", "session/logout"),
    ("DELETE", "session/delete"),
    ("GET", "session/info"),
    ("GET", "session/me"),
    ("GET", "getQr"),
    ("POST", "requestCode"),
    ("GET", "getScreenshot"),
    ("POST", "sandbox/scan"),
    ("POST", "sandbox/confirm-code"),
    ("POST", "sandbox/unlink"),
]


@pytest.mark.parametrize(("method", "route"), [*INSTANCE_ROUTES, ("GET", "sessions")])
async def test_missing_and_wrong_tokens_are_401(api: Api, method: str, route: str) -> None:
    missing = await api.call(method, route, instance_id="ABCDEFGHIJKL")
    assert missing.status_code == 401
    assert missing.json() == {
        "code": "invalid_access_token",
        "message": "Missing access_token",
        "data": {"status": 401},
    }
    wrong = await api.call(method, route, access_token="nope", instance_id="ABCDEFGHIJKL")
    assert wrong.status_code == 401
    assert wrong.json()["message"] == "Invalid access_token"


@pytest.mark.parametrize(("method", "route"), INSTANCE_ROUTES)
async def test_unknown_and_foreign_instances_look_the_same(
    api: Api, method: str, route: str
) -> None:
    theirs = await api.new_session(api.other_tenant)

    unknown = await api.call(method, route, access_token=api.tenant, instance_id="ABCDEFGHIJKL")
    foreign = await api.call(
        method, route, access_token=api.tenant, instance_id=theirs["instance_id"]
    )
    missing = await api.call(method, route, access_token=api.tenant)

    assert unknown.status_code == foreign.status_code == 404
    assert (
        unknown.json()
        == foreign.json()
        == {
            "code": "invalid_instance",
            "message": "Invalid instance_id",
            "data": {"status": 404},
        }
    )
    assert missing.status_code == 400
    assert missing.json()["code"] == "missing_param"
    assert missing.json()["data"]["param"] == "instance_id"
    # ... and the other tenant's session is untouched.
    info = await api.ok(
        "GET", "session/info", access_token=api.other_tenant, instance_id=theirs["instance_id"]
    )
    assert info["status"] == "SCAN_QR_CODE"


async def test_admin_token_reaches_every_instance(api: Api) -> None:
    theirs = await api.new_session(api.other_tenant)
    info = await api.ok(
        "GET", "session/info", access_token=api.admin, instance_id=theirs["instance_id"]
    )
    assert info["instance_id"] == theirs["instance_id"]


async def test_revoked_token_is_refused(api: Api) -> None:
    token, secret = await api.services.tokens.create("short-lived")
    assert (await api.call("GET", "sessions", access_token=secret)).status_code == 200
    await api.services.tokens.revoke(token.id)
    assert (await api.call("GET", "sessions", access_token=secret)).status_code == 401


async def test_parameters_merge_json_over_form_over_query(api: Api) -> None:
    session = await api.new_session()
    # The query names a wrong instance; the JSON body wins.
    response = await api.http.request(
        "GET",
        f"{API}/session/info",
        params={"access_token": api.tenant, "instance_id": "ABCDEFGHIJKL"},
        json={"instance_id": session["instance_id"]},
    )
    assert response.status_code == 200, response.text
    # The form beats the query.
    response = await api.http.post(
        f"{API}/session/stop",
        params={"access_token": api.tenant, "instance_id": "ABCDEFGHIJKL"},
        data={"instance_id": session["instance_id"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "STOPPED"


MALFORMED: list[tuple[str, dict[str, Any]]] = [
    ("invalid json", {"content": b"{nope", "headers": {"content-type": "application/json"}}),
    ("json array", {"content": b"[1, 2]", "headers": {"content-type": "application/json"}}),
    ("json scalar", {"content": b"42", "headers": {"content-type": "application/json"}}),
    ("bad utf-8", {"content": b'{"a": "\xff"}', "headers": {"content-type": "application/json"}}),
    ("deep brackets", {"params": {"instance_id" + "[a]" * 30: "x"}}),
    ("list instance", {"params": {"instance_id[]": "x"}}),
    ("object instance", {"params": {"instance_id[a]": "x"}}),
    ("nul bytes", {"params": {"instance_id": "AB\x00CD"}}),
    (
        "garbage form",
        {"content": b"%%%&&&==", "headers": {"content-type": "application/x-www-form-urlencoded"}},
    ),
    (
        "bad multipart",
        {
            "content": b"--x\r\nbroken",
            "headers": {"content-type": "multipart/form-data; boundary=x"},
        },
    ),
]


@pytest.mark.parametrize(("method", "route"), [*INSTANCE_ROUTES, ("POST", "createSession")])
@pytest.mark.parametrize(("label", "request_args"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_malformed_requests_get_a_4xx_envelope(
    api: Api, method: str, route: str, label: str, request_args: dict[str, Any]
) -> None:
    args = dict(request_args)
    args["params"] = {"access_token": api.tenant, **args.get("params", {})}
    response = await api.http.request(method, f"{API}/{route}", **args)

    assert 400 <= response.status_code < 500, (label, response.text)
    body = response.json()
    assert set(body) == {"code", "message", "data"}
    assert body["data"]["status"] == response.status_code


async def test_token_given_as_a_list_is_401_not_500(api: Api) -> None:
    response = await api.http.get(f"{API}/sessions", params={"access_token[]": api.tenant})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{API}/nope"),
        ("GET", f"{API}/session/start"),  # the wrong method
        ("POST", f"{API}/session/info"),
        ("GET", "/nowhere"),
    ],
)
async def test_unknown_routes_and_methods_are_rest_no_route(
    api: Api, method: str, path: str
) -> None:
    response = await api.http.request(method, path)
    assert response.status_code == 404
    assert response.json()["code"] == "rest_no_route"


async def test_health_reports_sessions_by_status(api: Api) -> None:
    await api.new_session()
    await api.new_session(start=False)
    response = await api.http.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["sessions"] == {"SCAN_QR_CODE": 1, "STOPPED": 1}
    assert body["restoring"] is False


async def test_health_is_503_when_the_store_is_gone(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Disposing the live store would race the dispatcher's queries; that ping() reports
    # a disposed or unreachable store is the store contract's test. Here: the HTTP side.
    async def unreachable() -> bool:
        return False

    monkeypatch.setattr(api.services.database, "ping", unreachable)
    response = await api.http.get("/health")
    assert response.status_code == 503
    assert response.json()["store"] == "unreachable"


async def test_openapi_documents_every_route_and_its_parameters(api: Api) -> None:
    document = (await api.http.get("/openapi.json")).json()
    paths = document["paths"]
    for method, route in [*INSTANCE_ROUTES, ("POST", "createSession"), ("GET", "createSession")]:
        operation = paths[f"{API}/{route}"][method.lower()]
        names = {p["name"] for p in operation.get("parameters", [])}
        assert "access_token" in names, route
        if route != "createSession":
            assert "instance_id" in names, route
    create = paths[f"{API}/createSession"]["post"]
    assert {"name", "config", "engine", "start"} <= {p["name"] for p in create["parameters"]}
    assert "Error" in document["components"]["schemas"]
    assert (await api.http.get("/docs")).status_code == 200


async def test_without_the_sandbox_its_routes_are_gone(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, default_engine="whatsmeow", sandbox_enabled=False)
    app = create_app(settings, announce=lambda line: None)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://w.test") as http:
            scan = await http.post(f"{API}/sandbox/scan", json={"access_token": ADMIN_TOKEN})
            sandbox = await http.post(
                f"{API}/createSession",
                json={"access_token": ADMIN_TOKEN, "name": "x", "engine": "sandbox"},
            )
    assert scan.status_code == 404
    assert sandbox.status_code == 400
    assert "whatsmeow" in sandbox.json()["message"]
