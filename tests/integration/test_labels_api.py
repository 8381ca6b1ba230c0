"""Labels on a sandbox session, their events at a real receiver; the legacy status."""

from __future__ import annotations

from wagate_receiver import Receiver
from wagate_testing import Api, events_of, linked_with_webhook, wait_event

A_PHONE = "447441429001"
ALICE, BOB = "447700900123@c.us", "447700900124@c.us"


async def test_labels_and_the_chats_they_are_on(api: Api, receiver: Receiver) -> None:
    a = await linked_with_webhook(api, receiver, A_PHONE)
    assert await api.ok("GET", "labels", **a) == []

    new = await api.ok("POST", "labels", name="New customer", colorHex="#FF9485", **a)
    assert new == {"id": "1", "name": "New customer", "color": 0, "colorHex": "#ff9485"}
    paid = await api.ok("POST", "labels", name="Paid", color=5, **a)
    assert (paid["id"], paid["colorHex"]) == ("2", "#55ccb3")
    near = await api.ok("POST", "labels", name="Almost red", colorHex="#f74849", **a)
    assert near["color"] == 13  # the nearest palette colour
    upserted = await wait_event(receiver, a["instance_id"], "label.upsert")
    assert upserted["payload"] == {"label": new}

    renamed = await api.ok("PUT", "labels/2", name="Paid in full", color=5, **a)
    assert renamed["name"] == "Paid in full"
    assert [label["name"] for label in await api.ok("GET", "labels", **a)] == [
        "New customer",
        "Paid in full",
        "Almost red",
    ]

    on_alice = await api.ok("PUT", f"labels/chats/{ALICE}", labels=[{"id": "1"}, {"id": "2"}], **a)
    assert [label["id"] for label in on_alice] == ["1", "2"]
    await api.ok("PUT", f"labels/chats/{BOB}", labels=["2"], **a)
    added = await wait_event(receiver, a["instance_id"], "label.chat.added", chatId=BOB)
    assert added["payload"]["labelId"] == "2"
    assert await api.ok("GET", "labels/2/chats", **a) == [{"id": ALICE}, {"id": BOB}]

    # Replacing the set: 1 taken off, 3 put on.
    await api.ok("PUT", f"labels/chats/{ALICE}", labels=[{"id": "2"}, {"id": "3"}], **a)
    taken = await wait_event(receiver, a["instance_id"], "label.chat.deleted", chatId=ALICE)
    assert taken["payload"]["labelId"] == "1"
    labels = await api.ok("GET", f"labels/chats/{ALICE}", **a)
    assert [label["id"] for label in labels] == ["2", "3"]

    await api.ok("DELETE", "labels/2", **a)
    deleted = await wait_event(receiver, a["instance_id"], "label.deleted")
    assert deleted["payload"]["label"]["id"] == "2"
    assert [label["id"] for label in await api.ok("GET", f"labels/chats/{ALICE}", **a)] == ["3"]
    assert len(events_of(receiver, a["instance_id"], "label.upsert")) == 4


async def test_bad_label_requests(api: Api, receiver: Receiver) -> None:
    a = await linked_with_webhook(api, receiver, A_PHONE)
    await api.ok("POST", "labels", name="One", **a)
    for method, route, params, status in (
        ("POST", "labels", {"name": " "}, 400),
        ("POST", "labels", {"name": "x", "colorHex": "red"}, 400),
        ("POST", "labels", {"name": "x", "color": 20}, 400),
        ("PUT", "labels/9", {"name": "x"}, 404),
        ("DELETE", "labels/9", {}, 404),
        ("GET", "labels/9/chats", {}, 404),
        ("PUT", f"labels/chats/{ALICE}", {"labels": [{"id": "9"}]}, 404),
    ):
        response = await api.call(method, route, **params, **a)
        assert response.status_code == status, (route, params, response.text)
    for n in range(19):
        await api.ok("POST", "labels", name=f"L{n}", **a)
    too_many = await api.call("POST", "labels", name="Twenty-first", **a)
    assert too_many.status_code == 400


async def test_the_legacy_status(api: Api) -> None:
    session = await api.new_session()
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}
    waiting = await api.ok("GET", "status", **ids)
    assert waiting == {
        "status": "Offline",
        "instance_id": ids["instance_id"],
        "sessionStatus": "SCAN_QR_CODE",
    }
    await api.ok("POST", "sandbox/scan", phone=A_PHONE, **ids)
    assert (await api.ok("GET", "status", **ids))["status"] == "Online"
