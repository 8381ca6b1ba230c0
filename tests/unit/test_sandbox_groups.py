"""The sandbox network: groups, their members and roles, settings, invite codes, and
what is said in them."""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from sandbox_support import (
    Linked,
    Recorder,
    link,
    settle,
    wait_for,
)
from wagate.domain.events import (
    AckChanged,
    GroupParticipantsChanged,
    GroupUpdated,
    LoggedIn,
    MessageEdited,
    MessageRevoked,
    MessageSeen,
    ReactionReceived,
)
from wagate.domain.groups import GroupInfo, GroupSetting, ParticipantAction, ParticipantResult
from wagate.domain.messages import Ack, MessageKey
from wagate.engines.sandbox import SandboxEngine
from wagate.errors import InvalidParamError, NotFoundError, SessionNotReadyError

ID_A = "AAAAAAAAAAAA"
ID_A2 = "AAAAAAAAAAA2"
ID_B = "BBBBBBBBBBBB"
ID_D = "DDDDDDDDDDDD"
PHONE_A = "447441429001"
PHONE_B = "447441429002"
PHONE_C = "447441429003"  # a virtual contact: no session is linked to it
PHONE_D = "447441429004"
MISSING = "15550100000"  # ends in 0000: no WhatsApp account, by the sandbox's convention
A, B, C, D = (f"{p}@c.us" for p in (PHONE_A, PHONE_B, PHONE_C, PHONE_D))
UNKNOWN_GROUP = "120363000000000009@g.us"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(64)) + b"\xff\xd9"
JPEG_URI = "data:image/jpeg;base64," + base64.b64encode(JPEG).decode("ascii")


@pytest.fixture
async def people(engine: SandboxEngine) -> list[Linked]:
    """Alice on two devices (A, A2), Bob (B) and Dave (D), all linked and online."""
    return [
        await link(engine, ID_A, PHONE_A, "Alice"),
        await link(engine, ID_A2, PHONE_A),
        await link(engine, ID_B, PHONE_B, "Bob"),
        await link(engine, ID_D, PHONE_D, "Dave"),
    ]


async def team(people: list[Linked]) -> GroupInfo:
    """Alice creates "Shop team" with Bob and Carol; returns once every session of a
    member was told, sinks emptied."""
    (a, sink_a), (_, sink_a2), (_, sink_b), _ = people
    info = await a.create_group("Shop team", [B, C])
    sinks = (sink_a, sink_a2, sink_b)
    await wait_for(lambda: all(s.of(GroupParticipantsChanged) for s in sinks))
    for _, sink in people:
        sink.events.clear()
    return info


def roles(group: GroupInfo) -> dict[str, str]:
    return {p.id: p.role for p in group.participants}


async def told(sink: Recorder, kind: type[Any], count: int = 1) -> list[Any]:
    await wait_for(lambda: len(sink.of(kind)) >= count)
    return sink.of(kind)


# --- creating and reading ------------------------------------------------------------


async def test_creating_a_group_tells_every_members_sessions(
    engine: SandboxEngine, people: list[Linked]
) -> None:
    (a, sink_a), (_, sink_a2), (_, sink_b), (_, sink_d) = people
    info = await a.create_group("  Shop team ", [B, C, MISSING + "@c.us", A])
    assert re.fullmatch(r"120363\d{12}@g\.us", info.id)
    assert (info.subject, info.description, info.owner) == ("Shop team", "", A)
    assert info.created > 0
    assert not info.announce
    assert not info.locked
    # the creator is its super-admin; a number without WhatsApp is left out
    assert roles(info) == {A: "superadmin", B: "participant", C: "participant"}
    assert info.participants[1].lid == engine.network.phone(PHONE_B).lid
    for sink in (sink_a, sink_a2, sink_b):
        (joined,) = await told(sink, GroupParticipantsChanged)
        assert joined.group_id == info.id
        assert joined.action == "join"
        assert joined.by == A
        assert joined.group == info
        assert joined.participants == info.participants
    await settle()
    assert not sink_d.events  # not a member


async def test_only_members_see_a_group(people: list[Linked]) -> None:
    (a, _), (a2, _), (b, _), (d, _) = people
    info = await team(people)
    assert await a.groups() == [info]
    assert await a2.group(info.id) == info
    assert await b.group(info.id) == info
    assert await d.groups() == []
    with pytest.raises(NotFoundError):
        await d.group(info.id)
    with pytest.raises(NotFoundError):
        await a.group(UNKNOWN_GROUP)


async def test_a_group_needs_a_subject_and_people(people: list[Linked]) -> None:
    (a, _), *_ = people
    with pytest.raises(InvalidParamError, match="subject"):
        await a.create_group("  ", [B])
    with pytest.raises(InvalidParamError, match="subject"):
        await a.create_group("x" * 101, [B])
    with pytest.raises(InvalidParamError, match="person"):
        await a.create_group("Teams", [UNKNOWN_GROUP])
    assert await a.groups() == []


# --- what members say --------------------------------------------------------------


async def test_a_message_reaches_every_member_and_comes_back_delivered(
    people: list[Linked],
) -> None:
    (a, sink_a), (_, sink_a2), (_, sink_b), (_, sink_d) = people
    info = await team(people)
    sent = await a.send_text(info.id, "hello team")
    assert (sent.ack, sent.participant, sent.recipient) == (Ack.SERVER, A, info.id)

    (seen,) = [e.message for e in await told(sink_b, MessageSeen)]
    assert seen.key == MessageKey(chat_id=info.id, id=sent.key.id, from_me=False)
    assert (seen.participant, seen.sender, seen.recipient) == (A, A, info.id)
    assert (seen.body, seen.ack, seen.push_name) == ("hello team", Ack.DEVICE, "Alice")
    # Alice's other device sees it as sent from there
    (own_copy,) = [e.message for e in await told(sink_a2, MessageSeen)]
    assert own_copy.key == sent.key
    assert own_copy.participant == A
    # Bob got it (Carol, a virtual contact, at once): Alice's devices see DEVICE
    for sink in (sink_a, sink_a2):
        (ack,) = await told(sink, AckChanged)
        assert ack == AckChanged(key=sent.key, ack=Ack.DEVICE)
    await settle()
    assert not sink_a.of(MessageSeen)
    assert not sink_d.events


async def test_a_reply_names_the_quoted_message_as_each_member_does(
    people: list[Linked],
) -> None:
    (a, sink_a), _, (b, sink_b), _ = people
    info = await team(people)
    sent = await a.send_text(info.id, "who opens tomorrow?")
    (seen,) = [e.message for e in await told(sink_b, MessageSeen)]
    await b.send_text(info.id, "me", reply_to=seen.key)
    (reply,) = [e.message for e in await told(sink_a, MessageSeen)]
    assert (reply.body, reply.participant, reply.key.from_me) == ("me", B, False)
    assert reply.reply_to == sent.key.serialized  # from_me for Alice, who wrote it


async def test_delivered_waits_for_an_offline_member(
    engine: SandboxEngine, people: list[Linked]
) -> None:
    (a, sink_a), _, (b, _), _ = people
    info = await team(people)
    await b.disconnect()
    sent = await a.send_text(info.id, "are you there?")
    await settle()
    assert not sink_a.of(AckChanged)
    assert engine.network.pending(ID_B) == 1

    sink_b = Recorder()
    b = await engine.open_session(ID_B, sink_b)
    await b.connect()
    await wait_for(lambda: len(sink_b.events) == 2)
    logged_in, seen = sink_b.events
    assert isinstance(logged_in, LoggedIn)
    assert isinstance(seen, MessageSeen)
    assert seen.message.key.id == sent.key.id
    (ack,) = await told(sink_a, AckChanged)
    assert ack.ack is Ack.DEVICE


async def test_group_messages_reach_members_who_block_the_author(people: list[Linked]) -> None:
    (a, _), _, (b, sink_b), _ = people
    info = await team(people)
    await b.block(A, True)
    await a.send_text(info.id, "still here")
    assert [e.message.body for e in await told(sink_b, MessageSeen)] == ["still here"]


async def test_only_members_send_to_a_group(people: list[Linked]) -> None:
    (a, sink_a), _, (_, sink_b), (d, _) = people
    info = await team(people)
    with pytest.raises(InvalidParamError, match="not a member"):
        await d.send_text(info.id, "let me in")
    # a group the network does not know (e.g. of a previous run) keeps it at SERVER
    kept = await a.send_text(UNKNOWN_GROUP, "anyone?")
    assert kept.ack is Ack.SERVER
    await settle()
    assert not sink_a.events
    assert not sink_b.events


async def test_reactions_edits_and_deletions_reach_the_members(people: list[Linked]) -> None:
    (a, sink_a), (_, sink_a2), (b, sink_b), _ = people
    info = await team(people)
    sent = await a.send_text(info.id, "opening at 9")
    (seen,) = [e.message for e in await told(sink_b, MessageSeen)]

    await b.react(seen.key, "👍")
    (reaction,) = await told(sink_a, ReactionReceived)
    assert (reaction.key, reaction.sender, reaction.reaction) == (sent.key, B, "👍")

    await a.edit(sent.key, "opening at 10")
    (edited,) = await told(sink_b, MessageEdited)
    assert (edited.key, edited.new_body, edited.sender) == (seen.key, "opening at 10", A)
    (own_edit,) = await told(sink_a2, MessageEdited)
    assert own_edit.key == sent.key

    # a member may not delete another's message; an admin may
    with pytest.raises(InvalidParamError, match="admins"):
        await b.revoke(seen.key)
    mine = await b.send_text(info.id, "oops")
    theirs = next(e.message for e in await told(sink_a, MessageSeen) if e.message.body == "oops")
    await a.revoke(theirs.key, author=B)
    (revoked,) = await told(sink_b, MessageRevoked)
    assert (revoked.key, revoked.by) == (mine.key, A)


# --- settings ------------------------------------------------------------------------


async def test_with_announce_only_admins_send(people: list[Linked]) -> None:
    (a, _), _, (b, sink_b), _ = people
    info = await team(people)
    with pytest.raises(InvalidParamError, match="admins"):
        await b.set_group_setting(info.id, GroupSetting.ANNOUNCE, True)
    await a.set_group_setting(info.id, GroupSetting.ANNOUNCE, True)
    (update,) = await told(sink_b, GroupUpdated)
    assert (update.group_id, update.changes, update.by) == (info.id, {"announce": True}, A)
    assert (await b.group(info.id)).announce
    with pytest.raises(InvalidParamError, match="send messages"):
        await b.send_text(info.id, "may I?")
    await a.send_text(info.id, "only admins now")
    await told(sink_b, MessageSeen)
    await a.change_participants(info.id, ParticipantAction.PROMOTE, [B])
    await b.send_text(info.id, "an admin now")


async def test_with_locked_only_admins_edit_the_info(people: list[Linked]) -> None:
    (a, sink_a), _, (b, sink_b), _ = people
    info = await team(people)
    await b.set_group_subject(info.id, "Shop staff")  # anyone may, while unlocked
    (renamed,) = await told(sink_a, GroupUpdated)
    assert (renamed.changes, renamed.by) == ({"subject": "Shop staff"}, B)

    await a.set_group_setting(info.id, GroupSetting.LOCKED, True)
    own_rename, locked = await told(sink_b, GroupUpdated, 2)  # its own rename first
    assert own_rename == renamed
    assert locked.changes == {"restrict": True}
    assert (await b.group(info.id)).locked
    edits: list[Callable[[], Awaitable[None]]] = [
        lambda: b.set_group_subject(info.id, "Bob's shop"),
        lambda: b.set_group_description(info.id, "mine"),
        lambda: b.set_group_picture(info.id, JPEG),
    ]
    for edit in edits:
        with pytest.raises(InvalidParamError, match="edit its info"):
            await edit()
    await a.set_group_subject(info.id, "Shop")
    assert (await b.group(info.id)).subject == "Shop"


async def test_subject_description_and_picture_are_told(people: list[Linked]) -> None:
    (a, sink_a), _, (b, sink_b), (d, _) = people
    info = await team(people)
    await a.set_group_subject(info.id, "Shop staff")
    await a.set_group_description(info.id, "Who works when")
    await a.set_group_picture(info.id, JPEG)
    await a.set_group_picture(info.id, None)
    await a.set_group_picture(info.id, JPEG)
    updates = await told(sink_b, GroupUpdated, 5)
    assert [u.changes for u in updates] == [
        {"subject": "Shop staff"},
        {"description": "Who works when"},
        {"picture": True},
        {"picture": False},
        {"picture": True},
    ]
    assert {u.by for u in updates} == {A}
    assert len(await told(sink_a, GroupUpdated, 5)) == 5  # the author's sessions too
    group = await b.group(info.id)
    assert (group.subject, group.description) == ("Shop staff", "Who works when")
    assert await b.chat_picture(info.id) == JPEG_URI
    assert await d.chat_picture(info.id) is None  # not a member
    with pytest.raises(InvalidParamError, match="JPEG"):
        await a.set_group_picture(info.id, b"GIF89a")
    with pytest.raises(InvalidParamError, match="subject"):
        await a.set_group_subject(info.id, " ")
    with pytest.raises(NotFoundError):
        await d.set_group_subject(info.id, "mine")


# --- participants --------------------------------------------------------------------


async def test_admins_add_people_one_status_each(people: list[Linked]) -> None:
    (a, _), _, (b, sink_b), (d, sink_d) = people
    info = await team(people)
    with pytest.raises(InvalidParamError, match="admins can add"):
        await b.change_participants(info.id, ParticipantAction.ADD, [D])
    results = await a.change_participants(info.id, ParticipantAction.ADD, [D, B, f"{MISSING}@c.us"])
    assert results == [
        ParticipantResult(id=D, status=200),
        ParticipantResult(id=B, status=409),  # already a member
        ParticipantResult(id=f"{MISSING}@c.us", status=404),  # no WhatsApp
    ]
    for sink in (sink_b, sink_d):
        (joined,) = await told(sink, GroupParticipantsChanged)
        assert (joined.action, joined.by) == ("join", A)
        assert [p.id for p in joined.participants] == [D]
        assert joined.group is not None
        assert D in roles(joined.group)
    assert roles(await d.group(info.id))[D] == "participant"


async def test_promoting_and_demoting(people: list[Linked]) -> None:
    (a, _), _, (b, sink_b), _ = people
    info = await team(people)
    results = await a.change_participants(info.id, ParticipantAction.PROMOTE, [B, A, D])
    assert [r.status for r in results] == [200, 403, 404]  # super-admin, not a member
    (promoted,) = await told(sink_b, GroupParticipantsChanged)
    assert (promoted.action, promoted.by) == ("promote", A)
    assert [(p.id, p.role) for p in promoted.participants] == [(B, "admin")]
    assert roles(await b.group(info.id))[B] == "admin"
    # an admin adds, but cannot demote the super-admin
    assert [r.status for r in await b.change_participants(info.id, ParticipantAction.ADD, [D])] == [
        200
    ]
    demoted = await b.change_participants(info.id, ParticipantAction.DEMOTE, [A, B])
    assert [r.status for r in demoted] == [403, 200]
    (demote,) = [e for e in await told(sink_b, GroupParticipantsChanged, 3) if e.action == "demote"]
    assert [(p.id, p.role) for p in demote.participants] == [(B, "participant")]
    with pytest.raises(InvalidParamError, match="admins"):
        await b.change_participants(info.id, ParticipantAction.PROMOTE, [B])


async def test_removing_members(people: list[Linked]) -> None:
    (a, sink_a), (_, sink_a2), (b, sink_b), _ = people
    info = await team(people)
    results = await a.change_participants(info.id, ParticipantAction.REMOVE, [B, A, D])
    assert [r.status for r in results] == [200, 403, 404]
    for sink in (sink_a, sink_a2, sink_b):  # the removed member is told too
        (left,) = await told(sink, GroupParticipantsChanged)
        assert (left.action, left.by) == ("leave", A)
        assert [p.id for p in left.participants] == [B]
    assert await b.groups() == []
    with pytest.raises(NotFoundError):
        await b.group(info.id)
    with pytest.raises(InvalidParamError, match="not a member"):
        await b.send_text(info.id, "let me back")
    assert roles(await a.group(info.id)) == {A: "superadmin", C: "participant"}


async def test_leaving(people: list[Linked]) -> None:
    (_, sink_a), _, (b, sink_b), _ = people
    info = await team(people)
    await b.leave_group(info.id)
    for sink in (sink_a, sink_b):
        (left,) = await told(sink, GroupParticipantsChanged)
        assert (left.action, left.by, [p.id for p in left.participants]) == ("leave", None, [B])
    assert await b.groups() == []
    with pytest.raises(NotFoundError):
        await b.leave_group(info.id)


async def test_the_last_admin_leaving_makes_another_member_admin(people: list[Linked]) -> None:
    (a, sink_a), _, (b, sink_b), _ = people
    info = await team(people)
    await a.leave_group(info.id)
    left, promoted = await told(sink_b, GroupParticipantsChanged, 2)
    assert (left.action, [p.id for p in left.participants]) == ("leave", [A])
    assert (promoted.action, [(p.id, p.role) for p in promoted.participants]) == (
        "promote",
        [(B, "admin")],
    )
    assert roles(await b.group(info.id)) == {B: "admin", C: "participant"}
    assert await a.groups() == []
    assert len(await told(sink_a, GroupParticipantsChanged)) == 1  # only its leaving
    # the last admin stepping down hands over to another member
    assert [r.status for r in await b.change_participants(info.id, "demote", [B])] == [200]
    *_, demoted, promoted = await told(sink_b, GroupParticipantsChanged, 4)
    assert (demoted.action, demoted.by) == ("demote", B)
    assert (promoted.action, [p.id for p in promoted.participants]) == ("promote", [C])
    assert roles(await b.group(info.id)) == {B: "participant", C: "admin"}


# --- invites -------------------------------------------------------------------------


async def test_invite_codes_lead_non_members_in(people: list[Linked]) -> None:
    (a, _), (_, sink_a2), (b, sink_b), (d, sink_d) = people
    info = await team(people)
    code = await a.group_invite_code(info.id)
    assert re.fullmatch(r"[A-Za-z0-9]{22}", code)
    assert await a.group_invite_code(info.id) == code  # stable until reset
    with pytest.raises(InvalidParamError, match="admins"):
        await b.group_invite_code(info.id)

    assert await d.group_invite_info(code) == info  # without joining
    assert await d.groups() == []
    assert await d.join_group(f"https://chat.whatsapp.com/{code}") == info.id
    for sink in (sink_a2, sink_b, sink_d):
        (joined,) = await told(sink, GroupParticipantsChanged)
        assert (joined.action, joined.by, [p.id for p in joined.participants]) == (
            "join",
            None,
            [D],
        )
        assert joined.group is not None
        assert joined.group.id == info.id
    assert roles(await d.group(info.id))[D] == "participant"


async def test_a_reset_invite_code_stops_working(people: list[Linked]) -> None:
    (a, sink_a), (_, sink_a2), (_, sink_b), (d, _) = people
    info = await team(people)
    old = await a.group_invite_code(info.id)
    new = await a.group_invite_code(info.id, revoke=True)
    assert new != old
    assert await a.group_invite_code(info.id) == new
    for sink in (sink_a, sink_a2):
        (update,) = await told(sink, GroupUpdated)
        assert update.changes == {"inviteLink": f"https://chat.whatsapp.com/{new}"}
    await settle()
    assert not sink_b.of(GroupUpdated)  # only admins may see the link
    with pytest.raises(NotFoundError):
        await d.group_invite_info(old)
    with pytest.raises(NotFoundError):
        await d.join_group(old)
    assert await d.join_group(new) == info.id


# --- the session must be linked and connected ---------------------------------------


async def test_group_calls_need_a_linked_connected_session(engine: SandboxEngine) -> None:
    sink = Recorder()
    session = await engine.open_session(ID_A, sink)
    group = UNKNOWN_GROUP
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: session.groups(),
        lambda: session.group(group),
        lambda: session.create_group("Shop team", [B]),
        lambda: session.group_invite_info("A" * 22),
        lambda: session.join_group("A" * 22),
        lambda: session.leave_group(group),
        lambda: session.set_group_subject(group, "x"),
        lambda: session.set_group_description(group, "x"),
        lambda: session.set_group_picture(group, None),
        lambda: session.set_group_setting(group, GroupSetting.ANNOUNCE, True),
        lambda: session.group_invite_code(group),
        lambda: session.change_participants(group, ParticipantAction.ADD, [B]),
    ]

    async def refused() -> None:
        for call in calls:
            with pytest.raises(SessionNotReadyError, match="The session is not connected"):
                await call()

    await refused()  # not connected
    await session.connect()
    await wait_for(lambda: session.waiting_for_link)
    await refused()  # waiting for a scan
    await engine.scan(ID_A, PHONE_A)
    created = await session.create_group("Shop team", [B])
    await session.disconnect()
    group = created.id
    await refused()  # disconnected
