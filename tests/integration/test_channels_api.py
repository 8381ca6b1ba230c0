"""Channels between sandbox sessions, posts at a real webhook receiver."""

from __future__ import annotations

import base64

from media_samples import png
from wagate_receiver import Receiver
from wagate_testing import Api, linked_with_webhook, wait_event

A_PHONE, B_PHONE, C_PHONE = "447441429001", "447441429002", "447441429003"


async def test_a_channel_its_followers_and_posts(api: Api, receiver: Receiver) -> None:
    a, b, c = [await linked_with_webhook(api, receiver, p) for p in (A_PHONE, B_PHONE, C_PHONE)]
    picture = {"data": base64.b64encode(png()).decode(), "mimetype": "image/png"}
    channel = await api.ok(
        "POST", "channels", name="Daily deals", description="One deal a day", picture=picture, **a
    )
    cid = channel["id"]
    assert cid.endswith("@newsletter")
    assert (channel["role"], channel["name"]) == ("OWNER", "Daily deals")
    assert channel["invite"].startswith("https://whatsapp.com/channel/")
    assert channel["picture"].startswith("data:image/jpeg;base64,")
    assert await api.ok("GET", f"chats/{cid}/picture", **b) == {"url": channel["picture"]}

    # B finds it by its invite code and follows; C only looks.
    code = channel["invite"].rsplit("/", 1)[1]
    seen = await api.ok("GET", f"channels/{code}", **b)
    assert (seen["id"], seen["role"]) == (cid, "GUEST")
    await api.ok("POST", f"channels/{cid}/follow", **b)
    assert [ch["id"] for ch in await api.ok("GET", "channels", **b)] == [cid]
    assert [ch["role"] for ch in await api.ok("GET", "channels", role="owner", **a)] == ["OWNER"]
    assert await api.ok("GET", "channels", role="SUBSCRIBER", **a) == []

    # The owner posts: followers get it as a message from the channel.
    await api.ok("POST", "send", chatId=cid, message="50% off today", **a)
    post = await wait_event(receiver, b["instance_id"], "message", body="50% off today")
    assert (post["payload"]["from"], post["payload"]["fromMe"]) == (cid, False)
    followed = [c for c in await api.ok("GET", "chats", **b) if c["id"] == cid]
    assert followed[0]["name"] == "Daily deals"  # a channel's chat has its name
    refused = await api.call("POST", "send", chatId=cid, message="me too", **b)
    assert refused.status_code == 400

    preview = await api.ok("GET", f"channels/{cid}/messages/preview", limit=5, **c)
    assert [m["body"] for m in preview] == ["50% off today"]

    await api.ok("POST", f"channels/{cid}/mute", **b)
    assert (await api.ok("GET", "channels", **b))[0]["muted"] is True
    await api.ok("POST", f"channels/{cid}/unmute", **b)
    await api.ok("POST", f"channels/{cid}/unfollow", **b)
    assert await api.ok("GET", "channels", **b) == []

    found = await api.ok("GET", "channels/search", text="deal", **c)
    assert [ch["id"] for ch in found["channels"]] == [cid]
    by_view = await api.ok("POST", "channels/search/by-view", view="new", limit=1, **c)
    assert [ch["id"] for ch in by_view["channels"]] == [cid]
    views = await api.ok("GET", "channels/search/views", **c)
    assert [v["value"] for v in views] == ["RECOMMENDED", "TRENDING", "POPULAR", "NEW"]
    assert {"code": "US", "name": "United States"} in await api.ok(
        "GET", "channels/search/countries", **c
    )
    assert await api.ok("GET", "channels/search/categories", **c)

    await api.ok("DELETE", f"channels/{cid}", **a)
    gone = await api.call("GET", f"channels/{cid}", **c)
    assert gone.status_code == 404


async def test_bad_channel_requests(api: Api, receiver: Receiver) -> None:
    a = await linked_with_webhook(api, receiver, A_PHONE)
    channel = await api.ok("POST", "channels", name="Mine", **a)
    for method, route, params, status in (
        ("POST", "channels", {"name": " "}, 400),
        ("GET", "channels", {"role": "KING"}, 400),
        ("DELETE", "channels/447441429002@c.us", {}, 400),
        ("POST", f"channels/{channel['id']}/unfollow", {}, 400),  # the owner cannot
        ("POST", "channels/search/by-text", {}, 400),
        ("GET", "channels/search", {"view": "BORING"}, 400),
        ("GET", "channels/120363999999999998@newsletter", {}, 404),
    ):
        response = await api.call(method, route, **params, **a)
        assert response.status_code == status, (route, params, response.text)
