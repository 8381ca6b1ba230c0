"""The profile and contacts routes, on two sandbox sessions."""

from __future__ import annotations

import base64

from media_samples import pdf, png
from wagate_receiver import Receiver
from wagate_testing import Api, linked_with_webhook, wait_event

A_PHONE, B_PHONE = "447441429001", "447441429002"
A_ID, B_ID = f"{A_PHONE}@c.us", f"{B_PHONE}@c.us"


async def test_the_profile_others_see(api: Api, receiver: Receiver) -> None:
    a = await linked_with_webhook(api, receiver, A_PHONE)
    b = await linked_with_webhook(api, receiver, B_PHONE)

    profile = await api.ok("GET", "profile", **a)
    assert (profile["id"], profile["name"], profile["picture"]) == (A_ID, "Sandbox 9001", None)
    assert profile["status"]

    assert await api.ok("PUT", "profile/name", name="Alice's shop", **a) == {"success": True}
    await api.ok("PUT", "profile/nameRequest", name="Alice's Shop", **a)
    await api.ok("PUT", "profile/status", status="Open 9 to 5", **a)
    picture_data = base64.b64encode(png()).decode()
    await api.ok(
        "PUT", "profile/picture", file={"data": picture_data, "mimetype": "image/png"}, **a
    )
    profile = await api.ok("GET", "profile", **a)
    assert (profile["name"], profile["status"]) == ("Alice's Shop", "Open 9 to 5")
    assert profile["picture"].startswith("data:image/jpeg;base64,")

    # B sees it: the new push name comes with A's messages, About and picture on request
    await api.ok("POST", "send", chatId=B_ID, message="hello", **a)
    received = await wait_event(receiver, b["instance_id"], "message", body="hello")
    assert received["payload"]["_data"]["notifyName"] == "Alice's Shop"
    assert await api.ok("GET", "contacts/about", contactId=A_PHONE, **b) == {"about": "Open 9 to 5"}
    picture = await api.ok("GET", "contacts/profile-picture", contactId=A_ID, **b)
    assert picture["profilePictureURL"] == profile["picture"]

    await api.ok("DELETE", "profile/picture", **a)
    assert (await api.ok("GET", "profile", **a))["picture"] is None

    for route, params in (
        ("profile/name", {"name": ""}),
        ("profile/name", {"name": "x" * 26}),
        ("profile/status", {"status": "x" * 140}),
        ("profile/picture", {"file": {"data": base64.b64encode(pdf()).decode()}}),
    ):
        response = await api.call("PUT", route, **params, **a)
        assert response.status_code in (400, 415), (route, response.text)


async def test_contacts_of_a_session(api: Api, receiver: Receiver) -> None:
    a = await linked_with_webhook(api, receiver, A_PHONE)
    b = await linked_with_webhook(api, receiver, B_PHONE)
    await api.ok("POST", "send", chatId=B_ID, message="hi", **a)
    await wait_event(receiver, b["instance_id"], "message", body="hi")

    exists = await api.ok("GET", "contacts/check-exists", phone="+44 7441 429002", **a)
    assert exists == {"numberExists": True, "chatId": B_ID}
    missing = await api.ok("GET", "contacts/check-exists", phone="15550100000", **a)
    assert missing == {"numberExists": False, "chatId": None}

    bob = await api.ok("GET", "contacts", contactId=B_PHONE, **a)
    assert (bob["id"], bob["number"], bob["pushname"], bob["isMyContact"]) == (
        B_ID,
        B_PHONE,
        "Sandbox 9002",
        False,
    )
    assert bob["lid"].endswith("@lid")

    await api.ok("PUT", f"contacts/{B_ID}", firstName="Bob", lastName="Builder", **a)
    await api.ok("POST", "contacts/block", contactId=B_ID, **a)
    (saved,) = await api.ok("GET", "contacts/all", **a)
    assert (saved["id"], saved["name"], saved["shortName"]) == (B_ID, "Bob Builder", "Bob")
    assert (saved["isMyContact"], saved["isBlocked"]) == (True, True)
    await api.ok("POST", "contacts/unblock", contactId=B_ID, **a)
    assert (await api.ok("GET", "contacts", contactId=B_ID, **a))["isBlocked"] is False

    for route, params in (
        ("contacts", {"contactId": "120363000000000001@g.us"}),
        ("contacts/check-exists", {"phone": "00447441429002"}),
        ("contacts/all", {"sortBy": "age"}),
    ):
        response = await api.call("GET", route, **params, **a)
        assert response.status_code == 400, (route, response.text)
    refused = await api.call("PUT", f"contacts/{B_ID}", firstName=" ", **a)
    assert refused.status_code == 400


async def test_a_stopped_session_is_409(api: Api, receiver: Receiver) -> None:
    a = await linked_with_webhook(api, receiver, A_PHONE)
    await api.ok("POST", "session/stop", **a)
    for method, route, params in (
        ("GET", "profile", {}),
        ("GET", "contacts/all", {}),
        ("GET", "contacts/check-exists", {"phone": B_PHONE}),
        ("DELETE", "profile/picture", {}),
    ):
        response = await api.call(method, route, **params, **a)
        assert response.status_code == 409, (route, response.text)
