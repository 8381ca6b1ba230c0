"""The whole whatsmeow chain without WhatsApp: HTTP → server → engine worker process →
neonize backend → a fake client at the neonize boundary emitting recorded neonize events
→ store and webhooks. The worker is killed and comes back."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from wagate.config import Settings
from wagate.engines.whatsmeow import recorded
from wagate.engines.whatsmeow.engine import WhatsmeowEngine
from wagate.engines.whatsmeow.fake import control_path
from wagate_receiver import Receiver
from wagate_testing import Api, events_of, make_settings, wait_event

ME_PHONE = "447441429001"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path,
        default_engine="whatsmeow",
        whatsmeow_backend="wagate.engines.whatsmeow.fake:create",
    )


def engine_of(api: Api) -> WhatsmeowEngine:
    engine = api.services.sessions.engine("whatsmeow")
    assert isinstance(engine, WhatsmeowEngine)
    return engine


def control(api: Api, instance_id: str, **command: Any) -> None:
    """Tell the fake client (inside the worker process) what the phone does."""
    path = control_path(engine_of(api).device_store_of(instance_id), instance_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps(command) + "\n")


async def status_becomes(api: Api, ids: dict[str, str], wanted: str) -> dict[str, Any]:
    async with asyncio.timeout(20):
        while True:
            info: dict[str, Any] = await api.ok("GET", "session/info", **ids)
            if info["status"] == wanted:
                return info
            await asyncio.sleep(0.05)


async def test_link_send_receive_and_survive_a_worker_crash(api: Api, receiver: Receiver) -> None:
    created = await api.new_session(config={"webhooks": [{"url": receiver.url}]})
    assert created["engine"] == "whatsmeow"
    ids = {"access_token": api.tenant, "instance_id": created["instance_id"]}
    info = await status_becomes(api, ids, "SCAN_QR_CODE")
    assert info["me"] is None
    qr = await api.ok("GET", "getQr", format="raw", **ids)
    assert qr["value"]

    control(api, ids["instance_id"], op="scan", phone=ME_PHONE)
    linked = await status_becomes(api, ids, "WORKING")
    assert linked["me"]["id"] == f"{ME_PHONE}@c.us"

    sent = await api.ok("POST", "send", chatId="+1 555 000 1111", message="hi there", **ids)
    assert sent["id"].startswith("true_15550001111@c.us_")
    assert sent["fromMe"] is True

    control(api, ids["instance_id"], op="incoming", kind="text", body="hello from a phone")
    incoming = await wait_event(receiver, ids["instance_id"], "message", body="hello from a phone")
    assert incoming["payload"]["fromMe"] is False
    assert incoming["engine"] == "whatsmeow"
    raw = incoming["payload"]["_data"]["raw"]  # neonize's event as JSON
    assert raw["Message"]["conversation"] == "hello from a phone"
    assert raw["Info"]["ID"] == incoming["payload"]["id"].rsplit("_", 1)[1]

    # History the phone shares after linking fills the store, without webhook events.
    control(
        api,
        ids["instance_id"],
        op="incoming",
        kind="history_sync",
        texts=["old one"],
        phone="447700900555",
    )
    stored = api.services.database.messages
    async with asyncio.timeout(10):
        while True:
            history = await stored.list_chat(ids["instance_id"], "447700900555@c.us")
            if history:
                break
            await asyncio.sleep(0.05)
    (old,) = history
    assert old.body == "old one"
    assert not [e for e in receiver.envelopes() if e["payload"].get("body") == "old one"]

    # A Go fault kills the whole worker process; the supervisor starts a new one and the
    # session comes back from its device store, without a new scan.
    worker = engine_of(api).supervisor.worker_of(ids["instance_id"])
    assert worker is not None
    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGKILL)

    def lost(r: Receiver) -> list[dict[str, Any]]:
        return [
            e
            for e in events_of(r, ids["instance_id"], "session.status")
            if e["payload"]["status"] == "STARTING" and e["payload"]["reason"]
        ]

    await receiver.wait_for(lambda r: bool(lost(r)))
    assert "engine worker stopped" in lost(receiver)[0]["payload"]["reason"]
    await receiver.wait_for(
        lambda r: (
            events_of(r, ids["instance_id"], "session.status")[-1]["payload"]["status"] == "WORKING"
        )
    )
    back = await status_becomes(api, ids, "WORKING")
    assert back["me"]["id"] == f"{ME_PHONE}@c.us"
    restarted = engine_of(api).supervisor.worker_of(ids["instance_id"])
    assert restarted is not None
    assert restarted.pid != worker.pid
    again = await api.ok("POST", "send", chatId="15550001111", message="still here", **ids)
    assert again["body"] == "still here"


async def test_group_and_channel_events_reach_webhooks(api: Api, receiver: Receiver) -> None:
    created = await api.new_session(config={"webhooks": [{"url": receiver.url}]})
    ids = {"access_token": api.tenant, "instance_id": created["instance_id"]}
    instance = ids["instance_id"]
    await status_becomes(api, ids, "SCAN_QR_CODE")
    control(api, instance, op="scan", phone=ME_PHONE)
    await status_becomes(api, ids, "WORKING")
    group = f"{recorded.GROUP}@g.us"
    contact = f"{recorded.CONTACT_PHONE}@c.us"

    # Someone adds us to a group: Wawp's chatId and participants, plus the group itself.
    control(api, instance, op="incoming", kind="joined_group", subject="Shop team", me=ME_PHONE)
    joined = (await wait_event(receiver, instance, "group.v2.join", chatId=group))["payload"]
    assert joined["participants"] == [f"{ME_PHONE}@c.us"]
    assert (joined["action"], joined["by"]) == ("join", contact)
    assert joined["group"]["subject"] == "Shop team"
    assert {"id": contact, "lid": f"{recorded.CONTACT_LID}@lid", "role": "admin"} in joined[
        "group"
    ]["participants"]

    control(api, instance, op="incoming", kind="group_info", promote=["447700900555"])
    promoted = await wait_event(receiver, instance, "group.v2.participants", action="promote")
    assert promoted["payload"]["participants"] == ["447700900555@c.us"]
    assert promoted["payload"]["participantsInfo"][0]["role"] == "admin"

    control(api, instance, op="incoming", kind="group_info", leave=["447700900555"])
    await wait_event(receiver, instance, "group.v2.leave", participants=["447700900555@c.us"])

    control(api, instance, op="incoming", kind="group_info", subject="Renamed")
    update = (await wait_event(receiver, instance, "group.v2.update", chatId=group))["payload"]
    assert update["group"] == {"id": group, "subject": "Renamed"}
    assert update["_data"]["Name"]["Name"] == "Renamed"

    # A post of a followed channel is a message from the channel.
    control(api, instance, op="incoming", kind="channel_post", body="channel news")
    post = await wait_event(receiver, instance, "message", body="channel news")
    assert post["payload"]["from"] == f"{recorded.CHANNEL}@newsletter"


async def test_chats_on_whatsmeow(api: Api, receiver: Receiver) -> None:
    created = await api.new_session(config={"webhooks": [{"url": receiver.url}]})
    ids = {"access_token": api.tenant, "instance_id": created["instance_id"]}
    instance = ids["instance_id"]
    await status_becomes(api, ids, "SCAN_QR_CODE")
    control(api, instance, op="scan", phone=ME_PHONE)
    await status_becomes(api, ids, "WORKING")
    contact = f"{recorded.CONTACT_PHONE}@c.us"

    control(api, instance, op="incoming", kind="text", body="hello there", push_name="Alice")
    await wait_event(receiver, instance, "message", body="hello there")
    sent = await api.ok("POST", "send", chatId=contact, message="typo", **ids)

    (chat,) = await api.ok("GET", "chats", **ids)
    assert (chat["id"], chat["name"], chat["unreadCount"]) == (contact, "Alice", 1)
    assert chat["lastMessage"]["body"] == "typo"

    path = f"chats/{contact}/messages/{sent['id']}"
    assert (await api.ok("PUT", path, text="fixed", **ids))["body"] == "fixed"
    assert await api.ok("POST", f"{path}/pin", **ids) == {"success": True}
    assert await api.ok("DELETE", path, **ids) == {"success": True}
    assert (await api.ok("GET", path, **ids))["_data"]["type"] == "revoked"

    picture = await api.ok("GET", f"chats/{contact}/picture", **ids)
    assert picture == {"url": f"https://pps.whatsapp.net/fake/{recorded.CONTACT_PHONE}.jpg"}
    archived = await api.call("POST", f"chats/{contact}/archive", **ids)
    assert archived.status_code == 422
    assert "app state" in archived.json()["message"]
    assert chat_state(await api.ok("GET", "chats", **ids)) == (False, False)

    # The contact deletes their message for everyone: the store keeps it as revoked.
    (theirs,) = await api.ok("GET", f"chats/{contact}/messages", **{"filter.fromMe": False}, **ids)
    wa_id = theirs["id"].rsplit("_", 1)[1]
    control(api, instance, op="incoming", kind="revoke", target_id=wa_id)
    await wait_event(receiver, instance, "message.revoked", id=theirs["id"])
    gone = await api.ok("GET", f"chats/{contact}/messages/{wa_id}", **ids)
    assert (gone["body"], gone["_data"]["type"]) == ("", "revoked")


async def test_profile_and_contacts_on_whatsmeow(api: Api) -> None:
    created = await api.new_session()
    ids = {"access_token": api.tenant, "instance_id": created["instance_id"]}
    await status_becomes(api, ids, "SCAN_QR_CODE")
    control(api, ids["instance_id"], op="scan", phone=ME_PHONE)
    await status_becomes(api, ids, "WORKING")

    await api.ok("PUT", "profile/status", status="At work", **ids)
    profile = await api.ok("GET", "profile", **ids)
    assert (profile["id"], profile["status"]) == (f"{ME_PHONE}@c.us", "At work")
    contact = f"{recorded.CONTACT_PHONE}@c.us"
    exists = await api.ok("GET", "contacts/check-exists", phone=recorded.CONTACT_PHONE, **ids)
    assert exists == {"numberExists": True, "chatId": contact}
    saved = [c for c in await api.ok("GET", "contacts/all", **ids) if c["id"] == contact]
    assert saved[0]["isMyContact"] is True
    await api.ok("POST", "contacts/block", contactId=contact, **ids)
    assert (await api.ok("GET", "contacts", contactId=contact, **ids))["isBlocked"] is True
    for method, route, params in (
        ("PUT", f"contacts/{contact}", {"firstName": "Al"}),
        ("DELETE", "profile/picture", {}),
        ("GET", "labels", {}),
        ("POST", "labels", {"name": "VIP"}),
    ):
        response = await api.call(method, route, **params, **ids)
        assert response.status_code == 422, (route, response.text)


async def test_groups_on_whatsmeow(api: Api) -> None:
    created = await api.new_session()
    ids = {"access_token": api.tenant, "instance_id": created["instance_id"]}
    await status_becomes(api, ids, "SCAN_QR_CODE")
    control(api, ids["instance_id"], op="scan", phone=ME_PHONE)
    await status_becomes(api, ids, "WORKING")

    known = f"{recorded.GROUP}@g.us"
    assert [g["id"] for g in await api.ok("GET", "groups", **ids)] == [known]
    contact = f"{recorded.CONTACT_PHONE}@c.us"
    group = await api.ok("POST", "groups", name="Orders", participants=[{"id": contact}], **ids)
    assert group["subject"] == "Orders"
    assert {p["id"] for p in group["participants"]} == {f"{ME_PHONE}@c.us", contact}
    gid = group["id"]
    await api.ok("PUT", f"groups/{gid}/subject", subject="Orders 2", **ids)
    assert (await api.ok("GET", f"groups/{gid}", **ids))["subject"] == "Orders 2"
    invite = await api.ok("GET", f"groups/{gid}/invite-code", **ids)
    assert invite["link"].endswith(invite["code"])
    assert await api.ok("GET", "groups/count", **ids) == {"count": 2}
    refused = await api.call("DELETE", f"groups/{gid}/picture", **ids)
    assert refused.status_code == 422


async def test_channels_on_whatsmeow(api: Api) -> None:
    created = await api.new_session()
    ids = {"access_token": api.tenant, "instance_id": created["instance_id"]}
    await status_becomes(api, ids, "SCAN_QR_CODE")
    control(api, ids["instance_id"], op="scan", phone=ME_PHONE)
    await status_becomes(api, ids, "WORKING")

    followed = f"{recorded.CHANNEL}@newsletter"
    assert [c["id"] for c in await api.ok("GET", "channels", **ids)] == [followed]
    mine = await api.ok("POST", "channels", name="Wagate news", **ids)
    assert mine["role"] == "OWNER"
    assert (await api.ok("GET", f"channels/{mine['id']}", **ids))["name"] == "Wagate news"
    await api.ok("POST", f"channels/{followed}/mute", **ids)
    posts = await api.ok("GET", f"channels/{followed}/messages/preview", limit=2, **ids)
    assert all(post["from"] == followed for post in posts)
    for method, route, params in (
        ("DELETE", f"channels/{mine['id']}", {}),
        ("GET", "channels/search", {"text": "news"}),
    ):
        response = await api.call(method, route, **params, **ids)
        assert response.status_code == 422, (route, response.text)


def chat_state(chats: list[dict[str, Any]]) -> tuple[bool, bool]:
    (chat,) = chats
    return chat["archived"], chat["markedUnread"]


async def test_what_neonize_cannot_do_is_422(api: Api) -> None:
    created = await api.new_session()
    ids = {"access_token": api.tenant, "instance_id": created["instance_id"]}
    await status_becomes(api, ids, "SCAN_QR_CODE")
    control(api, ids["instance_id"], op="scan", phone=ME_PHONE)
    await status_becomes(api, ids, "WORKING")
    sent = await api.ok("POST", "send", chatId="15550001111", message="star me", **ids)
    response = await api.call(
        "PUT", "star", chatId="15550001111@c.us", messageId=sent["id"], star=True, **ids
    )
    assert response.status_code == 422
    assert "app state" in response.json()["message"]


async def test_pairing_code_and_logout(api: Api) -> None:
    created = await api.new_session()
    ids = {"access_token": api.tenant, "instance_id": created["instance_id"]}
    await status_becomes(api, ids, "SCAN_QR_CODE")
    code = await api.ok("POST", "requestCode", phone_number=ME_PHONE, **ids)
    assert code["code"]
    await status_becomes(api, ids, "WORKING")  # the fake links a moment after pairing

    out = await api.ok("POST", "session/logout", **ids)
    assert out["me"] is None
    await status_becomes(api, ids, "SCAN_QR_CODE")
    assert not engine_of(api).device_store_path(ids["instance_id"]).exists()


async def test_the_real_engine_is_refused_under_pytest(tmp_path: Path) -> None:
    from wagate.app import create_app
    from wagate_testing import ADMIN_TOKEN

    settings = make_settings(tmp_path, default_engine="whatsmeow")
    app = create_app(settings, announce=lambda line: None)
    import httpx

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://w.test") as http:
            response = await http.post(
                "/wp-json/awp/v1/createSession", json={"access_token": ADMIN_TOKEN, "name": "x"}
            )
    assert response.status_code == 502
    assert "WAGATE_ALLOW_REAL_ENGINE" in response.json()["message"]
