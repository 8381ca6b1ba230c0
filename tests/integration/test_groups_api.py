"""Groups between sandbox sessions, with their events at a real webhook receiver."""

from __future__ import annotations

from typing import Any

from wagate_receiver import Receiver
from wagate_testing import Api, events_of, linked_with_webhook, wait_event

A_PHONE, B_PHONE, C_PHONE, D_PHONE = "447441429001", "447441429002", "447441429003", "447441429004"
A_ID, B_ID, C_ID, D_ID = (f"{p}@c.us" for p in (A_PHONE, B_PHONE, C_PHONE, D_PHONE))


def roles(group: dict[str, Any]) -> dict[str, str]:
    return {p["id"]: p["role"] for p in group["participants"]}


async def test_a_group_from_creation_to_its_end(api: Api, receiver: Receiver) -> None:
    a, b, c, d = [
        await linked_with_webhook(api, receiver, p) for p in (A_PHONE, B_PHONE, C_PHONE, D_PHONE)
    ]

    group = await api.ok(
        "POST", "groups", name="Shop team", participants=[{"id": B_ID}, C_PHONE], **a
    )
    gid = group["id"]
    assert gid.endswith("@g.us")
    assert group["subject"] == "Shop team"
    assert roles(group) == {A_ID: "superadmin", B_ID: "participant", C_ID: "participant"}

    joined = await wait_event(receiver, b["instance_id"], "group.v2.join", chatId=gid)
    assert joined["payload"]["group"]["subject"] == "Shop team"
    assert joined["payload"]["by"] == A_ID
    chats = await api.ok("GET", "chats", **b)
    assert [(c["id"], c["name"]) for c in chats] == [(gid, "Shop team")]
    assert [g["id"] for g in await api.ok("GET", "groups", **b)] == [gid]
    assert await api.ok("GET", "groups/count", **c) == {"count": 1}
    assert await api.ok("POST", "groups/refresh", **c) == {"success": True, "count": 1}

    # A message to the group reaches every other member, from its author.
    await api.ok("POST", "send", chatId=gid, message="hello team", **a)
    for member in (b, c):
        got = await wait_event(receiver, member["instance_id"], "message", body="hello team")
        assert (got["payload"]["from"], got["payload"]["participant"]) == (gid, A_ID)

    # Admins: promote B, who then renames the group.
    promoted = await api.ok("POST", f"groups/{gid}/admin/promote", participants=[B_ID], **a)
    assert promoted == [{"id": B_ID, "status": 200}]
    await wait_event(receiver, c["instance_id"], "group.v2.participants", action="promote")
    await api.ok("PUT", f"groups/{gid}/subject", subject="Shop staff", **b)
    update = await wait_event(receiver, a["instance_id"], "group.v2.update", chatId=gid)
    assert (update["payload"]["group"]["subject"], update["payload"]["by"]) == ("Shop staff", B_ID)
    await api.ok("PUT", f"groups/{gid}/description", description="Who works when", **a)
    assert (await api.ok("GET", f"groups/{gid}", **c))["description"] == "Who works when"

    # Only admins send.
    setting = f"groups/{gid}/settings/security/messages-admin-only"
    assert await api.ok("GET", setting, **a) == {"adminsOnly": False}
    await api.ok("PUT", setting, adminsOnly=True, **a)
    assert await api.ok("GET", setting, **c) == {"adminsOnly": True}
    muted = await api.call("POST", "send", chatId=gid, message="may I?", **c)
    assert muted.status_code == 400, muted.text
    info_only = f"groups/{gid}/settings/security/info-admin-only"
    await api.ok("PUT", info_only, adminsOnly="true", **a)
    assert await api.ok("GET", info_only, **b) == {"adminsOnly": True}

    # Invites: D looks, joins; a revoked code stops working.
    invite = await api.ok("GET", f"groups/{gid}/invite-code", **a)
    assert invite["link"] == f"https://chat.whatsapp.com/{invite['code']}"
    seen = await api.ok("GET", "groups/join-info", code=invite["link"], **d)
    assert seen["subject"] == "Shop staff"
    assert await api.ok("POST", "groups/join", code=invite["code"], **d) == {"id": gid}
    await wait_event(receiver, a["instance_id"], "group.v2.join", participants=[D_ID])
    fresh = await api.ok("POST", f"groups/{gid}/invite-code/revoke", **a)
    assert fresh["code"] != invite["code"]
    stale = await api.call("GET", "groups/join-info", code=invite["code"], **d)
    assert stale.status_code in (400, 404), stale.text

    members = await api.ok("GET", f"groups/{gid}/participants", **a)
    assert {m["id"]: (m["isAdmin"], m["isSuperAdmin"]) for m in members} == {
        A_ID: (True, True),
        B_ID: (True, False),
        C_ID: (False, False),
        D_ID: (False, False),
    }

    removed = await api.ok("POST", f"groups/{gid}/participants/remove", participants=[C_ID], **a)
    assert removed == [{"id": C_ID, "status": 200}]
    await wait_event(receiver, c["instance_id"], "group.v2.leave", participants=[C_ID])
    gone = await api.call("GET", f"groups/{gid}", **c)
    assert gone.status_code == 404
    assert await api.ok("POST", f"groups/{gid}/leave", **d) == {"success": True}

    # Deleting: A removes everyone else, then leaves.
    ended = await api.ok("DELETE", f"groups/{gid}", **a)
    assert ended["removed"] == [{"id": B_ID, "status": 200}]
    assert await api.ok("GET", "groups", **a) == []
    assert await api.ok("GET", "groups", **b) == []
    assert events_of(receiver, b["instance_id"], "group.v2.leave")


async def test_bad_group_requests(api: Api, receiver: Receiver) -> None:
    a = await linked_with_webhook(api, receiver, A_PHONE)
    group = await api.ok("POST", "groups", name="Solo", **a)
    for method, route, params, status in (
        ("POST", "groups", {"name": " "}, 400),
        ("POST", "groups", {"name": "x", "participants": [{"id": "120363000000000009@g.us"}]}, 400),
        ("GET", "groups/447441429002@c.us", {}, 400),
        ("GET", "groups/120363000000000009@g.us", {}, 404),
        ("GET", "groups/join-info", {"code": "not a code!"}, 400),
        ("POST", f"groups/{group['id']}/participants/add", {"participants": []}, 400),
        ("PUT", f"groups/{group['id']}/subject", {"subject": "x" * 101}, 400),
        ("PUT", f"groups/{group['id']}/settings/security/info-admin-only", {}, 400),
    ):
        response = await api.call(method, route, **params, **a)
        assert response.status_code == status, (route, params, response.text)
    added = await api.ok(
        "POST", f"groups/{group['id']}/participants/add", participants=["15550100000"], **a
    )
    assert added == [{"id": "15550100000@c.us", "status": 404}]  # no WhatsApp in the sandbox
