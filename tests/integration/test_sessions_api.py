"""The session and login routes, through the ASGI app, on a real SQLite file."""

from __future__ import annotations

import base64
import re

import pytest

from wagate_testing import API, Api

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_of_data_uri(uri: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri.removeprefix(prefix))


async def test_create_session_starts_and_waits_for_a_scan(api: Api) -> None:
    session = await api.new_session(name="Shop", config={"metadata": {"crm": "42"}})

    assert re.fullmatch(r"[A-Z0-9]{12}", session["instance_id"])
    assert session == {
        "name": "Shop",
        "instance_id": session["instance_id"],
        "status": "SCAN_QR_CODE",
        "reason": None,
        "config": {"metadata": {"crm": "42"}, "webhooks": []},
        "me": None,
        "engine": "sandbox",
    }
    info = await api.ok(
        "GET", "session/info", access_token=api.tenant, instance_id=session["instance_id"]
    )
    assert info == session


async def test_create_session_by_get_with_config_as_json_string(api: Api) -> None:
    session = await api.ok(
        "GET",
        "createSession",
        access_token=api.tenant,
        name="Desk",
        config='{"metadata":{"a":"b"}}',
    )
    assert session["config"] == {"metadata": {"a": "b"}, "webhooks": []}


async def test_create_session_from_a_form_with_brackets(api: Api) -> None:
    response = await api.http.post(
        f"{API}/createSession",
        data={"access_token": api.tenant, "name": "Form", "config[metadata][team]": "sales"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["config"] == {"metadata": {"team": "sales"}, "webhooks": []}


async def test_create_session_without_start_stays_stopped(api: Api) -> None:
    session = await api.new_session(start="false")
    assert session["status"] == "STOPPED"


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({}, "missing_param", "name"),
        ({"name": ""}, "invalid_param", "name"),
        ({"name": "x" * 201}, "invalid_param", "name"),
        ({"name": "A", "engine": "whatsapp-web"}, "invalid_param", "engine"),
        ({"name": "A", "config": "{not json"}, "invalid_param", "config"),
        ({"name": "A", "config": '["list"]'}, "invalid_param", "config"),
        ({"name": "A", "config": {"webhook": "x"}}, "invalid_param", "config.webhook"),
        ({"name": "A", "config": {"metadata": {"n": 1}}}, "invalid_param", "config.metadata.n"),
        ({"name": "A", "start": "maybe"}, "invalid_param", "start"),
    ],
)
async def test_create_session_refuses_bad_parameters_and_creates_nothing(
    api: Api, params: dict[str, object], code: str, param: str
) -> None:
    response = await api.call("POST", "createSession", access_token=api.tenant, **params)

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == code
    assert body["data"]["status"] == 400
    assert param in body["message"]
    assert await api.ok("GET", "sessions", access_token=api.tenant) == []


async def test_sessions_lists_only_the_tokens_own(api: Api) -> None:
    mine = await api.new_session(name="Mine")
    theirs = await api.new_session(api.other_tenant, name="Theirs")

    listed = await api.ok("GET", "sessions", access_token=api.tenant)
    assert [s["instance_id"] for s in listed] == [mine["instance_id"]]
    every = await api.ok("GET", "sessions", access_token=api.admin)
    assert {s["instance_id"] for s in every} == {mine["instance_id"], theirs["instance_id"]}


async def test_qr_code_as_image_and_as_raw_value(api: Api) -> None:
    session = await api.new_session()
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}

    image = await api.call("GET", "getQr", **ids)
    assert image.status_code == 200
    assert image.headers["cache-control"] == "no-store"
    assert png_of_data_uri(image.json()["qr"]).startswith(PNG_MAGIC)
    raw = await api.ok("GET", "getQr", format="raw", **ids)
    assert raw["value"].startswith("2@")
    assert len(raw["value"].split(",")) == 4

    bad = await api.call("GET", "getQr", format="svg", **ids)
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_param"


async def test_scan_links_the_session(api: Api) -> None:
    session = await api.linked_session(phone="+44 7441 429009")

    assert session["status"] == "WORKING"
    assert session["me"]["id"] == "447441429009@c.us"
    assert session["me"]["lid"].endswith("@lid")
    assert session["me"]["pushName"] == "Sandbox 9009"
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}
    assert await api.ok("GET", "session/me", **ids) == session["me"]

    qr = await api.call("GET", "getQr", **ids)
    assert qr.status_code == 409
    assert qr.json()["code"] == "invalid_session_status"
    assert "WORKING" in qr.json()["message"]


async def test_session_me_before_linking_is_409(api: Api) -> None:
    session = await api.new_session()
    response = await api.call(
        "GET", "session/me", access_token=api.tenant, instance_id=session["instance_id"]
    )
    assert response.status_code == 409
    assert response.json()["code"] == "session_not_ready"


async def test_pairing_code_login(api: Api) -> None:
    session = await api.new_session()
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}

    # The Wawp docs send everything in the query string, even on POST.
    response = await api.http.post(
        f"{API}/requestCode", params={**ids, "phone_number": "+1 (555) 010-7777"}
    )
    assert response.status_code == 200, response.text
    code = response.json()["code"]
    assert re.fullmatch(r"[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}", code)

    wrong = await api.call("POST", "sandbox/confirm-code", code="AAAA-AAAA", **ids)
    assert wrong.status_code == 400
    linked = await api.ok("POST", "sandbox/confirm-code", code=code, **ids)
    assert linked["status"] == "WORKING"
    assert linked["me"]["id"] == "15550107777@c.us"


@pytest.mark.parametrize("phone", ["", "abc", "0044 7441 429009", "12345", "1" * 16])
async def test_request_code_validates_the_phone_number(api: Api, phone: str) -> None:
    session = await api.new_session()
    response = await api.call(
        "POST",
        "requestCode",
        access_token=api.tenant,
        instance_id=session["instance_id"],
        phone_number=phone,
    )
    assert response.status_code == 400
    assert "phone_number" in response.json()["message"]


async def test_lifecycle_stop_start_restart_logout_delete(api: Api) -> None:
    session = await api.linked_session()
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}

    stopped = await api.ok("POST", "session/stop", **ids)
    assert stopped["status"] == "STOPPED"
    assert stopped["me"] is not None  # the link survives a stop
    assert (await api.call("GET", "getQr", **ids)).status_code == 409

    started = await api.ok("POST", "session/start", **ids)
    assert started["status"] == "WORKING"  # resumed from the stored device, no scan
    assert (await api.ok("POST", "session/start", **ids))["status"] == "WORKING"

    restarted = await api.ok("POST", "session/restart", **ids)
    assert restarted["status"] == "WORKING"

    logged_out = await api.ok("GET", "session/logout", **ids)
    assert logged_out["status"] == "SCAN_QR_CODE"
    assert logged_out["me"] is None

    deleted = await api.ok("DELETE", "session/delete", **ids)
    assert deleted == {"instance_id": session["instance_id"], "deleted": True}
    gone = await api.call("GET", "session/info", **ids)
    assert gone.status_code == 404
    assert gone.json()["code"] == "invalid_instance"


async def test_unlink_on_the_phone_fails_the_session_until_logout(api: Api) -> None:
    session = await api.linked_session()
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}

    failed = await api.ok("POST", "sandbox/unlink", **ids)
    assert failed["status"] == "FAILED"
    assert failed["reason"] == "The linked device was removed on the phone"
    assert failed["me"] is None

    again = await api.ok("POST", "session/logout", **ids)
    assert again["status"] == "SCAN_QR_CODE"
    assert again["reason"] is None
    relinked = await api.ok("POST", "sandbox/scan", phone="447441429010", **ids)
    assert relinked["status"] == "WORKING"


async def test_restart_after_unlink_shows_a_new_qr(api: Api) -> None:
    session = await api.linked_session()
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}
    await api.ok("POST", "sandbox/unlink", **ids)

    assert (await api.ok("POST", "session/restart", **ids))["status"] == "SCAN_QR_CODE"


async def test_screenshot_is_the_qr_while_pairing_and_not_supported_after(api: Api) -> None:
    session = await api.new_session()
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}

    shot = await api.ok("GET", "getScreenshot", **ids)
    assert shot["mimetype"] == "image/png"
    assert base64.b64decode(shot["data"]).startswith(PNG_MAGIC)

    await api.ok("POST", "sandbox/scan", phone="447441429009", **ids)
    refused = await api.call("GET", "getScreenshot", **ids)
    assert refused.status_code == 422
    assert refused.json()["code"] == "not_supported"


async def test_sandbox_control_refuses_other_engines(api: Api) -> None:
    session = await api.new_session(engine="other")
    assert session["engine"] == "other"

    response = await api.call(
        "POST",
        "sandbox/scan",
        access_token=api.tenant,
        instance_id=session["instance_id"],
        phone="447441429009",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "not_supported"


async def test_scan_when_not_waiting_is_409(api: Api) -> None:
    session = await api.new_session(start=False)
    response = await api.call(
        "POST",
        "sandbox/scan",
        access_token=api.tenant,
        instance_id=session["instance_id"],
        phone="447441429009",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_session_status"


async def test_a_session_stuck_starting_can_be_restarted_and_logged_out(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("wagate.services.sessions.QR_WAIT_SECONDS", 0.05)
    session = await api.new_session(engine="silent")
    assert session["status"] == "STARTING"
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}

    assert (await api.ok("POST", "session/restart", **ids))["status"] == "STARTING"
    assert (await api.ok("POST", "session/logout", **ids))["status"] == "STARTING"
    assert (await api.ok("POST", "session/start", **ids))["status"] == "STARTING"
    assert (await api.ok("POST", "session/stop", **ids))["status"] == "STOPPED"
