"""Sending and receiving between sandbox sessions, with events at a real webhook receiver."""

from __future__ import annotations

import re
from typing import Any

import pytest

from wagate_receiver import Receiver
from wagate_testing import API, KEY, Api, events_of, linked_with_webhook, wait_event

A_PHONE, B_PHONE = "447441429001", "447441429002"
A_ID, B_ID = f"{A_PHONE}@c.us", f"{B_PHONE}@c.us"


async def test_two_sessions_exchange_a_message_with_receipts(api: Api, receiver: Receiver) -> None:
    a = await linked_with_webhook(api, receiver, A_PHONE)
    b = await linked_with_webhook(api, receiver, B_PHONE)

    sent = await api.ok("POST", "send", chatId="+44 7441 429002", message="Hello B", **a)
    assert re.fullmatch(rf"true_{B_ID}_3EB0[0-9A-F]{{16}}", sent["id"])
    assert sent["fromMe"] is True
    assert (sent["from"], sent["to"], sent["body"]) == (A_ID, B_ID, "Hello B")
    assert (sent["ack"], sent["ackName"], sent["source"]) == (1, "SERVER", "api")
    wa_id = sent["id"].rsplit("_", 1)[1]

    received = await wait_event(receiver, b["instance_id"], "message", body="Hello B")
    payload = received["payload"]
    assert payload["id"] == f"false_{A_ID}_{wa_id}"
    assert (payload["from"], payload["to"], payload["fromMe"]) == (A_ID, B_ID, False)
    # both ids of every person named: the sender's @lid came with the message
    a_lid = (await api.ok("GET", "session/info", **a))["me"]["lid"]
    b_lid = (await api.ok("GET", "session/info", **b))["me"]["lid"]
    assert (payload["fromLid"], payload["toLid"]) == (a_lid, b_lid)
    assert await api.ok("GET", "lids", **b) == [{"lid": a_lid, "pn": A_ID}]
    assert await api.ok("GET", "lids/count", **b) == {"count": 1}
    assert await api.ok("GET", "lids", **a) == []
    assert payload["_data"]["notifyName"] == "Sandbox 9001"
    assert received["me"]["id"] == B_ID
    assert received["metadata"] == {"who": B_PHONE}
    assert received["session"] == "S2"
    assert received["engine"] == "sandbox"
    assert re.fullmatch(r"evt_[0-9a-z]{26}", received["id"])
    await wait_event(receiver, b["instance_id"], "message.any", body="Hello B")
    await wait_event(receiver, a["instance_id"], "message.any", id=sent["id"])
    await wait_event(receiver, a["instance_id"], "message.ack", id=sent["id"], ackName="SERVER")
    await wait_event(receiver, a["instance_id"], "message.ack", id=sent["id"], ackName="DEVICE")

    await api.ok("POST", "sendSeen", chatId=A_ID, messageIds=[payload["id"]], **b)
    read = await wait_event(receiver, a["instance_id"], "message.ack", ackName="READ")
    assert read["payload"] == {
        "id": sent["id"],
        "from": A_ID,
        "fromLid": a_lid,  # A's own; A has not heard of B's lid yet
        "to": B_ID,
        "fromMe": True,
        "chatId": B_ID,
        "participant": None,
        "ack": 3,
        "ackName": "READ",
    }

    reacted = await api.ok("PUT", "reaction", messageId=payload["id"], reaction="❤️", **b)
    reaction = await wait_event(receiver, a["instance_id"], "message.reaction", reaction="❤️")
    assert reaction["payload"]["messageId"] == sent["id"]
    assert reaction["payload"]["senderId"] == B_ID
    assert reaction["payload"]["senderIdLid"] == b_lid  # learnt with B's reaction
    assert reaction["payload"]["id"] == reacted["id"]

    await api.ok("POST", "startTyping", chatId=B_ID, **a)
    typing = await wait_event(receiver, b["instance_id"], "presence.update", type="composing")
    assert typing["payload"]["from"] == A_ID

    # Every delivery is signed with the webhook's key and names its event.
    for request in receiver.requests:
        assert receiver.signature_ok(request, KEY)
        assert request.headers["x-webhook-hmac-algorithm"] == "sha512"
    ids = {r.headers["x-webhook-request-id"] for r in receiver.requests}
    assert ids == {e["id"] for e in receiver.envelopes()}


async def test_session_status_events_from_the_first_start(api: Api, receiver: Receiver) -> None:
    ids = await linked_with_webhook(api, receiver, A_PHONE)
    await receiver.wait_for(lambda r: len(events_of(r, ids["instance_id"], "session.status")) >= 3)
    statuses = [
        e["payload"]["status"] for e in events_of(receiver, ids["instance_id"], "session.status")
    ]
    assert statuses == ["STARTING", "SCAN_QR_CODE", "WORKING"]


async def test_a_virtual_contact_writes_reads_and_reacts(api: Api, receiver: Receiver) -> None:
    ids = await linked_with_webhook(api, receiver, A_PHONE)
    contact = "15550009999"

    inbound = await api.ok(
        "POST", "sandbox/message", message="Hi there", push_name="Ann", **{"from": contact}, **ids
    )
    assert inbound["from"] == f"{contact}@c.us"
    message = await wait_event(receiver, ids["instance_id"], "message", body="Hi there")
    assert message["payload"]["_data"]["notifyName"] == "Ann"

    reply = await api.ok(
        "POST", "send", chatId=contact, message="Hello Ann", reply_to=inbound["id"], **ids
    )
    assert reply["replyTo"] == {"id": inbound["id"]}
    await wait_event(receiver, ids["instance_id"], "message.ack", id=reply["id"], ackName="DEVICE")
    read = await api.ok("POST", "sandbox/read", **{"from": contact}, **ids)
    assert read == {"read": [reply["id"]]}
    await wait_event(receiver, ids["instance_id"], "message.ack", id=reply["id"], ackName="READ")
    await api.ok(
        "POST", "sandbox/react", messageId=reply["id"], reaction="👍", **{"from": contact}, **ids
    )
    await wait_event(receiver, ids["instance_id"], "message.reaction", reaction="👍")

    assert (
        await api.ok("PUT", "star", chatId=contact, messageId=reply["id"], star="true", **ids)
    ) == {"success": True}


@pytest.mark.parametrize(
    ("params", "status", "code", "param"),
    [
        ({"chatId": A_ID}, 400, "missing_param", "message"),
        ({"message": "x"}, 400, "missing_param", "chatId"),
        ({"chatId": A_ID, "message": "x" * 4097}, 400, "invalid_param", "message"),
        ({"chatId": A_ID, "message": ""}, 400, "invalid_param", "message"),
        ({"chatId": "abc@foo", "message": "x"}, 400, "invalid_param", "chatId"),
        ({"chatId": "not a number", "message": "x"}, 400, "invalid_param", "chatId"),
        (
            {"chatId": A_ID, "message": "x", "reply_to": "nonsense"},
            400,
            "invalid_param",
            "reply_to",
        ),
        ({"chatId": A_ID, "message": "x", "mentions": ["??"]}, 400, "invalid_param", "mentions[0]"),
    ],
)
async def test_send_refuses_bad_input(
    api: Api, params: dict[str, Any], status: int, code: str, param: str
) -> None:
    ids = {"access_token": api.tenant, "instance_id": (await api.linked_session())["instance_id"]}
    response = await api.call("POST", "send", **params, **ids)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert response.json()["data"]["param"] == param


async def test_sending_needs_a_working_session(api: Api) -> None:
    session = await api.new_session()
    response = await api.call(
        "POST",
        "send",
        access_token=api.tenant,
        instance_id=session["instance_id"],
        chatId=A_ID,
        message="x",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "session_not_ready"


async def test_long_text_up_to_the_limit_is_sent(api: Api) -> None:
    ids = {"access_token": api.tenant, "instance_id": (await api.linked_session())["instance_id"]}
    sent = await api.ok("POST", "send", chatId=B_PHONE, message="x" * 4096, **ids)
    assert len(sent["body"]) == 4096


async def test_star_of_an_unknown_message_is_404(api: Api) -> None:
    ids = {"access_token": api.tenant, "instance_id": (await api.linked_session())["instance_id"]}
    response = await api.call(
        "PUT", "star", chatId=B_ID, messageId=f"true_{B_ID}_3EB00000000000000000", star=True, **ids
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_presence_set_and_read(api: Api) -> None:
    ids = {"access_token": api.tenant, "instance_id": (await api.linked_session())["instance_id"]}
    for presence in ("online", "offline", "unavailable", "available"):
        assert (await api.ok("POST", "presence", presence=presence, **ids)) == {"success": True}
    typing = await api.call("POST", "presence", presence="typing", **ids)
    assert typing.status_code == 400
    assert typing.json()["data"]["param"] == "chatId"
    assert (await api.call("POST", "presence", presence="dancing", **ids)).status_code == 400
    await api.ok("POST", "presence", presence="composing", chatId=B_ID, **ids)

    read = await api.http.get(f"{API}/presence/{B_ID.replace('@', '%40')}", params=ids)
    assert read.status_code == 200, read.text
    assert read.json() == {
        "id": B_ID,
        "presences": [{"participant": B_ID, "lastKnownPresence": "available", "lastSeen": None}],
    }


async def test_seen_accepts_bracket_lists_from_a_form(api: Api, receiver: Receiver) -> None:
    a = await linked_with_webhook(api, receiver, A_PHONE)
    b = await linked_with_webhook(api, receiver, B_PHONE)
    sent = await api.ok("POST", "send", chatId=B_ID, message="form me", **a)
    incoming = await wait_event(receiver, b["instance_id"], "message", body="form me")

    response = await api.http.post(
        f"{API}/sendSeen",
        data={"chatId[]": A_ID, "messageIds[]": incoming["payload"]["id"], **b},
    )
    assert response.status_code == 200, response.text
    await wait_event(receiver, a["instance_id"], "message.ack", id=sent["id"], ackName="READ")


async def test_lids_paging_is_checked(api: Api) -> None:
    session = await api.linked_session()
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}
    for bad in ({"limit": 0}, {"limit": "many"}, {"offset": -1}):
        response = await api.call("GET", "lids", **ids, **bad)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_param"
    assert await api.ok("GET", "lids", limit=5, offset=10, **ids) == []
