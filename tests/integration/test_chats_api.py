"""Chats and their messages between two sandbox sessions, events at a real receiver."""

from __future__ import annotations

import time
from typing import Any

from wagate_receiver import Receiver
from wagate_testing import Api, events_of, linked_with_webhook, wait_event

A_PHONE, B_PHONE = "447441429001", "447441429002"
A_ID, B_ID = f"{A_PHONE}@c.us", f"{B_PHONE}@c.us"


async def conversation(api: Api, receiver: Receiver) -> tuple[dict[str, str], dict[str, str]]:
    """A sends B "one", "two", "three"; B has all three."""
    a = await linked_with_webhook(api, receiver, A_PHONE)
    b = await linked_with_webhook(api, receiver, B_PHONE)
    for text in ("one", "two", "three"):
        await api.ok("POST", "send", chatId=B_ID, message=text, **a)
    await wait_event(receiver, b["instance_id"], "message", body="three")
    return a, b


def chat_of(chats: list[dict[str, Any]], chat_id: str) -> dict[str, Any]:
    (found,) = [chat for chat in chats if chat["id"] == chat_id]
    return found


async def test_chats_list_their_newest_message_and_unread_count(
    api: Api, receiver: Receiver
) -> None:
    a, b = await conversation(api, receiver)
    await api.ok("POST", "sandbox/message", **{"from": "15550002222"}, message="hi", **b)

    chats = await api.ok("GET", "chats", **b)
    assert [chat["id"] for chat in chats] == ["15550002222@c.us", A_ID]  # newest first
    with_a = chat_of(chats, A_ID)
    assert with_a["name"] == "Sandbox 9001"  # the contact's push name
    assert (with_a["unreadCount"], with_a["archived"], with_a["isGroup"]) == (3, False, False)
    assert with_a["lastMessage"]["body"] == "three"
    assert with_a["lastMessage"]["fromMe"] is False
    assert with_a["lastMessage"]["fromLid"].endswith("@lid")  # both ids, as in events
    mine = chat_of(await api.ok("POST", "chats", **a), B_ID)
    assert (mine["unreadCount"], mine["lastMessage"]["fromMe"]) == (0, True)

    by_id = await api.ok("GET", "chats", sortBy="id", sortOrder="asc", limit=1, **b)
    assert [chat["id"] for chat in by_id] == ["15550002222@c.us"]
    assert [c["id"] for c in await api.ok("GET", "chats", offset=1, **b)] == [A_ID]

    overview = await api.ok("GET", "chats/overview", ids=[A_ID], **b)
    assert [(o["id"], o["name"], o["picture"]) for o in overview] == [(A_ID, "Sandbox 9001", None)]
    assert overview[0]["lastMessage"]["body"] == "three"
    assert overview[0]["_chat"]["unreadCount"] == 3


async def test_messages_of_a_chat_newest_first_with_filters(api: Api, receiver: Receiver) -> None:
    _a, b = await conversation(api, receiver)
    await api.ok("POST", "send", chatId=A_ID, message="reply", **b)

    listed = await api.ok("GET", f"chats/{A_ID}/messages", **b)
    assert [m["body"] for m in listed] == ["reply", "three", "two", "one"]
    received = await api.ok("GET", f"chats/{A_ID}/messages", **{"filter.fromMe": "false"}, **b)
    assert [m["body"] for m in received] == ["three", "two", "one"]
    # the PHP spelling of the dotted names, and paging
    page = await api.ok(
        "GET", f"chats/{A_ID}/messages", filter_fromMe="true", limit=1, offset=0, **b
    )
    assert [m["body"] for m in page] == ["reply"]
    later = int(time.time()) + 3600
    assert (
        await api.ok("GET", f"chats/{A_ID}/messages", **{"filter.timestamp.gte": later}, **b) == []
    )
    assert len(await api.ok("GET", f"chats/{A_ID}/messages", **{"filter.ack": 2}, **b)) >= 1

    one = listed[-1]
    assert one["fromLid"] == listed[1]["fromLid"]
    by_id = await api.ok("GET", f"chats/{A_ID}/messages/{one['id']}", **b)
    assert by_id["body"] == "one"
    assert by_id["fromLid"] == one["fromLid"]
    bare = one["id"].rsplit("_", 1)[1]  # WhatsApp's own id works too
    assert (await api.ok("POST", f"chats/{A_ID}/messages/{bare}", **b))["id"] == one["id"]
    missing = await api.call("GET", f"chats/{A_ID}/messages/false_{A_ID}_3EB0NOPE", **b)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    elsewhere = await api.call("GET", f"chats/15550009999@c.us/messages/{one['id']}", **b)
    assert elsewhere.status_code == 404


async def test_reading_a_chat_sends_read_receipts(api: Api, receiver: Receiver) -> None:
    a, b = await conversation(api, receiver)
    read = await api.ok("POST", f"chats/{A_ID}/messages/read", messages=2, **b)
    assert len(read["ids"]) == 2
    await receiver.wait_for(
        lambda r: (
            len(
                [
                    e
                    for e in events_of(r, a["instance_id"], "message.ack")
                    if e["payload"]["ackName"] == "READ"
                ]
            )
            == 2
        )
    )
    chat = chat_of(await api.ok("GET", "chats", **b), A_ID)
    assert (chat["unreadCount"], chat["markedUnread"]) == (0, False)

    await api.ok("POST", f"chats/{A_ID}/unread", **b)
    assert chat_of(await api.ok("GET", "chats", **b), A_ID)["markedUnread"] is True
    everything = await api.ok("POST", f"chats/{A_ID}/messages/read", **b)
    assert len(everything["ids"]) == 1  # nothing unread: the newest
    assert chat_of(await api.ok("GET", "chats", **b), A_ID)["markedUnread"] is False


async def test_edit_and_delete_for_everyone(api: Api, receiver: Receiver) -> None:
    a, b = await conversation(api, receiver)
    sent = await api.ok("GET", f"chats/{B_ID}/messages", **a)
    two = next(m for m in sent if m["body"] == "two")
    one = next(m for m in sent if m["body"] == "one")

    edited = await api.ok("PUT", f"chats/{B_ID}/messages/{two['id']}", text="two (edited)", **a)
    assert edited["body"] == "two (edited)"
    event = await wait_event(receiver, b["instance_id"], "message.edited")
    assert (event["payload"]["newBody"], event["payload"]["prevBody"]) == ("two (edited)", "two")
    theirs = event["payload"]["id"]
    assert (await api.ok("GET", f"chats/{A_ID}/messages/{theirs}", **b))["body"] == ("two (edited)")

    await api.ok("DELETE", f"chats/{B_ID}/messages/{one['id']}", **a)
    revoked = await wait_event(receiver, b["instance_id"], "message.revoked")
    assert revoked["payload"]["revokedBy"] == A_ID
    gone = await api.ok("GET", f"chats/{A_ID}/messages/{revoked['payload']['id']}", **b)
    assert (gone["body"], gone["_data"]["type"]) == ("", "revoked")
    mine = await api.ok("GET", f"chats/{B_ID}/messages/{one['id']}", **a)
    assert mine["_data"]["type"] == "revoked"
    refused = await api.call("PUT", f"chats/{B_ID}/messages/{one['id']}", text="x", **a)
    assert refused.status_code == 400

    # B cannot edit or delete what A wrote
    for method, extra in (("PUT", {"text": "mine now"}), ("DELETE", {})):
        response = await api.call(method, f"chats/{A_ID}/messages/{theirs}", **extra, **b)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_param"
    empty = await api.call("PUT", f"chats/{B_ID}/messages/{two['id']}", text=" ", **a)
    assert empty.status_code == 400


async def test_pin_archive_picture_clear_and_delete(api: Api, receiver: Receiver) -> None:
    a, b = await conversation(api, receiver)
    newest = (await api.ok("GET", f"chats/{A_ID}/messages", limit=1, **b))[0]
    path = f"chats/{A_ID}/messages/{newest['id']}"
    assert await api.ok("POST", f"{path}/pin", duration=604800, **b) == {"success": True}
    assert await api.ok("POST", f"{path}/unpin", **b) == {"success": True}
    too_long = await api.call("POST", f"{path}/pin", duration=99_999_999, **b)
    assert too_long.status_code == 400

    await api.ok("POST", f"chats/{A_ID}/archive", **b)
    archived = await wait_event(receiver, b["instance_id"], "chat.archive")
    assert (archived["payload"]["chatId"], archived["payload"]["archived"]) == (A_ID, True)
    assert chat_of(await api.ok("GET", "chats", **b), A_ID)["archived"] is True
    await api.ok("POST", f"chats/{A_ID}/unarchive", **b)
    await wait_event(receiver, b["instance_id"], "chat.archive", archived=False)
    assert chat_of(await api.ok("GET", "chats", **b), A_ID)["archived"] is False

    assert await api.ok("GET", f"chats/{A_ID}/picture", **b) == {"url": None}

    cleared = await api.ok("DELETE", f"chats/{A_ID}/messages", **b)
    assert cleared == {"success": True, "deleted": 3}
    assert await api.ok("GET", f"chats/{A_ID}/messages", **b) == []
    assert chat_of(await api.ok("GET", "chats", **b), A_ID)["lastMessage"] is None

    await api.ok("DELETE", f"chats/{A_ID}", **b)
    assert [c["id"] for c in await api.ok("GET", "chats", **b)] == []
    assert [c["id"] for c in await api.ok("GET", "chats", **a)] == [B_ID]


async def test_the_store_answers_when_the_session_is_stopped(api: Api, receiver: Receiver) -> None:
    _a, b = await conversation(api, receiver)
    await api.ok("POST", "session/stop", **b)
    assert [c["id"] for c in await api.ok("GET", "chats", **b)] == [A_ID]
    assert len(await api.ok("GET", f"chats/{A_ID}/messages", **b)) == 3
    for method, route in (
        ("POST", f"chats/{A_ID}/messages/read"),
        ("POST", f"chats/{A_ID}/archive"),
        ("GET", f"chats/{A_ID}/picture"),
    ):
        response = await api.call(method, route, **b)
        assert response.status_code == 409, (route, response.text)
        assert response.json()["code"] == "session_not_ready"


async def test_bad_chat_parameters_are_400(api: Api) -> None:
    session = await api.linked_session()
    ids = {"access_token": api.tenant, "instance_id": session["instance_id"]}
    for route, params in (
        ("chats", {"sortBy": "colour"}),
        ("chats", {"sortOrder": "sideways"}),
        ("chats", {"limit": 0}),
        (f"chats/{A_ID}/messages", {"filter.fromMe": "maybe"}),
        (f"chats/{A_ID}/messages", {"filter.ack": 9}),
        ("chats/not a chat/messages", {}),
    ):
        response = await api.call("GET", route, **params, **ids)
        assert response.status_code == 400, (route, params, response.text)
        assert response.json()["code"] == "invalid_param"
