"""Webhook configuration, the delivery log and replay, against a real receiver."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from wagate_receiver import Receiver
from wagate_testing import API, Api


async def eventually(read: Callable[[], Awaitable[Any]], wanted: Any) -> None:
    """Poll ``read`` until it returns ``wanted`` (the dispatcher works meanwhile)."""
    async with asyncio.timeout(10):
        while True:
            if await read() == wanted:
                return
            await asyncio.sleep(0.02)


async def instance(api: Api) -> dict[str, str]:
    session = await api.linked_session()
    return {"access_token": api.tenant, "instance_id": session["instance_id"]}


async def test_webhook_crud(api: Api) -> None:
    ids = await instance(api)
    created = await api.ok(
        "POST",
        "webhooks",
        url="https://example.com/hook",
        events=["message", "message.ack"],
        hmac_key="k",
        retries={"policy": "exponential", "delaySeconds": 5, "attempts": 4},
        customHeaders=[{"name": "X-Api-Key", "value": "abc"}],
        **ids,
    )
    assert created["id"].startswith("wh_")
    assert created == {
        "id": created["id"],
        "url": "https://example.com/hook",
        "events": ["message", "message.ack"],
        "hmacConfigured": True,
        "retries": {"policy": "exponential", "delaySeconds": 5, "attempts": 4},
        "customHeaders": [{"name": "X-Api-Key", "value": "abc"}],
        "createdAt": created["createdAt"],
        "updatedAt": created["updatedAt"],
    }
    assert await api.ok("GET", "webhooks", **ids) == [created]
    info = await api.ok("GET", "session/info", **ids)
    assert info["config"]["webhooks"] == [created]

    hook = f"webhooks/{created['id']}"
    changed = await api.ok("PUT", hook, events="*", hmac_key="", **ids)
    assert changed["events"] == ["*"]
    assert changed["hmacConfigured"] is False
    assert changed["retries"] == created["retries"]  # untouched fields stay
    assert await api.ok("GET", hook, **ids) == changed

    assert await api.ok("DELETE", hook, **ids) == {"id": created["id"], "deleted": True}
    missing = await api.call("GET", hook, **ids)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


async def test_webhook_from_a_form_with_brackets(api: Api) -> None:
    ids = await instance(api)
    response = await api.http.post(
        f"{API}/webhooks",
        data={
            "url": "http://127.0.0.1:9/hook",
            "events[]": ["message", "session.status"],
            "retries[policy]": "linear",
            "retries[attempts]": "3",
            "customHeaders[0][name]": "X-Team",
            "customHeaders[0][value]": "sales",
            **ids,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["events"] == ["message", "session.status"]
    assert body["retries"] == {"policy": "linear", "delaySeconds": 2, "attempts": 3}
    assert body["customHeaders"] == [{"name": "X-Team", "value": "sales"}]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "url"),
        ({"url": "ftp://example.com"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://"}, "url"),
        ({"url": "https://x.test", "events": ["message.sent"]}, "events"),
        ({"url": "https://x.test", "events": []}, "events"),
        ({"url": "https://x.test", "retries": {"policy": "random"}}, "retries.policy"),
        ({"url": "https://x.test", "retries": {"attempts": 0}}, "retries.attempts"),
        ({"url": "https://x.test", "retries": "{oops"}, "retries"),
        (
            {"url": "https://x.test", "customHeaders": [{"name": "X-Webhook-Hmac", "value": "x"}]},
            "customHeaders[0].name",
        ),
        (
            {"url": "https://x.test", "customHeaders": [{"name": "Bad Name", "value": "x"}]},
            "customHeaders[0].name",
        ),
        (
            {"url": "https://x.test", "customHeaders": [{"name": "X-A", "value": "a\r\nb"}]},
            "customHeaders[0].value",
        ),
    ],
)
async def test_bad_webhooks_are_refused_and_nothing_is_stored(
    api: Api, params: dict[str, Any], param: str
) -> None:
    ids = await instance(api)
    response = await api.call("POST", "webhooks", **params, **ids)
    assert response.status_code == 400, response.text
    assert response.json()["data"]["param"] == param
    assert await api.ok("GET", "webhooks", **ids) == []


async def test_bad_webhook_in_create_session_creates_nothing(api: Api) -> None:
    response = await api.call(
        "POST",
        "createSession",
        access_token=api.tenant,
        name="x",
        config={"webhooks": [{"url": "https://x.test", "events": ["nope"]}]},
    )
    assert response.status_code == 400
    assert response.json()["data"]["param"] == "config.webhooks[0].events"
    assert await api.ok("GET", "sessions", access_token=api.tenant) == []


async def test_another_sessions_webhook_is_not_found(api: Api) -> None:
    mine = await instance(api)
    theirs = await instance(api)
    hook = await api.ok("POST", "webhooks", url="https://x.test/h", **theirs)
    for method in ("GET", "PUT", "DELETE"):
        response = await api.call(method, f"webhooks/{hook['id']}", **mine)
        assert response.status_code == 404
    assert len(await api.ok("GET", "webhooks", **theirs)) == 1


async def test_failed_deliveries_retry_die_and_replay(api: Api, receiver: Receiver) -> None:
    ids = await instance(api)
    await api.ok(
        "POST",
        "webhooks",
        url=receiver.url,
        events=["message"],
        retries={"policy": "constant", "delaySeconds": 0, "attempts": 2},
        **ids,
    )
    receiver.fail_next = 2  # both attempts of the first event fail
    await api.ok("POST", "sandbox/message", message="one", **{"from": "15550001111"}, **ids)

    async def status_of_only() -> str:
        log = await api.ok("GET", "webhooks/deliveries", **ids)
        return str(log[0]["status"]) if len(log) == 1 else "?"

    await receiver.wait_for(lambda r: len(r.requests) == 2)
    await eventually(lambda: status_of_only(), "dead")
    dead = await api.ok("GET", "webhooks/deliveries", status="dead", **ids)
    assert len(dead) == 1
    assert (dead[0]["attempts"], dead[0]["lastStatusCode"], dead[0]["event"]) == (2, 503, "message")
    assert dead[0]["envelope"]["payload"]["body"] == "one"

    replayed = await api.ok("POST", f"webhooks/deliveries/{dead[0]['id']}/replay", **ids)
    assert replayed["status"] == "pending"
    await receiver.wait_for(lambda r: len(r.requests) == 3)
    request_ids = {r.headers["x-webhook-request-id"] for r in receiver.requests}
    assert request_ids == {dead[0]["eventId"]}  # the same event id on every attempt

    unknown = await api.call("POST", "webhooks/deliveries/dlv_nope/replay", **ids)
    assert unknown.status_code == 404


async def test_replay_every_dead_delivery(api: Api, receiver: Receiver) -> None:
    ids = await instance(api)
    await api.ok(
        "POST", "webhooks", url=receiver.url, events="message", retries={"attempts": 1}, **ids
    )
    receiver.fail_next = 3
    for text in ("a", "b", "c"):
        await api.ok("POST", "sandbox/message", message=text, **{"from": "15550001111"}, **ids)
    await receiver.wait_for(lambda r: len(r.requests) == 3)

    async def dead_count() -> int:
        return len(await api.ok("GET", "webhooks/deliveries", status="dead", **ids))

    await eventually(dead_count, 3)
    assert await api.ok("POST", "webhooks/deliveries/replay", **ids) == {"replayed": 3}
    await receiver.wait_for(lambda r: len(r.requests) == 6)
    bodies = sorted(e["payload"]["body"] for e in receiver.envelopes()[3:])
    assert bodies == ["a", "b", "c"]


async def test_delivery_log_filters_and_pages(api: Api, receiver: Receiver) -> None:
    ids = await instance(api)
    await api.ok("POST", "webhooks", url=receiver.url, **ids)
    for text in ("1", "2", "3"):
        await api.ok("POST", "sandbox/message", message=text, **{"from": "15550001111"}, **ids)
    await receiver.wait_for(lambda r: len(r.envelopes()) >= 6)  # message + message.any each

    messages = await api.ok("GET", "webhooks/deliveries", event="message", **ids)
    assert [d["envelope"]["payload"]["body"] for d in messages] == ["3", "2", "1"]
    page = await api.ok("GET", "webhooks/deliveries", event="message", limit=1, offset=1, **ids)
    assert [d["envelope"]["payload"]["body"] for d in page] == ["2"]
    bad = await api.call("GET", "webhooks/deliveries", status="lost", **ids)
    assert bad.status_code == 400
    assert (await api.call("GET", "webhooks/deliveries", limit=0, **ids)).status_code == 400


async def test_a_changed_webhook_applies_to_the_next_event(api: Api, receiver: Receiver) -> None:
    ids = await instance(api)
    hook = await api.ok("POST", "webhooks", url=receiver.url, events="presence.update", **ids)
    await api.ok("POST", "sandbox/message", message="unseen", **{"from": "15550001111"}, **ids)
    await api.ok("PUT", f"webhooks/{hook['id']}", events="message", **ids)
    await api.ok("POST", "sandbox/message", message="seen", **{"from": "15550001111"}, **ids)
    await receiver.wait_for(lambda r: len(r.envelopes()) >= 1)
    assert [e["payload"]["body"] for e in receiver.envelopes()] == ["seen"]

    await api.ok("DELETE", f"webhooks/{hook['id']}", **ids)
    await api.ok("POST", "sandbox/message", message="gone", **{"from": "15550001111"}, **ids)
    log = await api.ok("GET", "webhooks/deliveries", event="message", **ids)
    assert [d["envelope"]["payload"]["body"] for d in log] == ["seen"]
