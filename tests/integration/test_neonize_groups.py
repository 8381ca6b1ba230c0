"""Groups on NeonizeBackend over the fake neonize client (in-process and through a worker)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from neonize_support import backend_config, calls_of, worker_session
from neonize_support import linked as linked_to
from wagate.domain.groups import (
    GroupInfo,
    GroupParticipant,
    GroupSetting,
    ParticipantAction,
    ParticipantResult,
)
from wagate.engines.whatsmeow import echo_backend, fake, fake_groups, recorded
from wagate.engines.whatsmeow.backend import BackendConfig
from wagate.engines.whatsmeow.neonize_groups import (
    UNANSWERED,
    invite_code,
    participant_results,
)
from wagate.errors import (
    InvalidParamError,
    NotFoundError,
    NotSupportedError,
    SessionNotReadyError,
    UpstreamError,
)

PHONE = recorded.ME_PHONE
ME = f"{PHONE}@c.us"
ME_LID = f"{recorded.ME_LID}@lid"
CONTACT = f"{recorded.CONTACT_PHONE}@c.us"
CONTACT_LID = f"{recorded.CONTACT_LID}@lid"
STRANGER = "447700900999@c.us"
PRIVATE = "447700900000@c.us"  # the fake refuses to add numbers ending in 0000 (403)
GROUP = f"{recorded.GROUP}@g.us"
NOWHERE = "120363999999999999@g.us"
LINK = "https://chat.whatsapp.com/"
SHOP_TEAM = GroupInfo(
    id=GROUP,
    subject="Shop team",
    description="Orders and questions",
    owner=CONTACT,
    created=recorded.TS,
    announce=True,
    participants=(
        GroupParticipant(id=CONTACT, lid=CONTACT_LID, role="admin"),
        GroupParticipant(id=ME, lid=ME_LID),
    ),
)


@pytest.fixture
def config(tmp_path: Path) -> BackendConfig:
    return backend_config(tmp_path, "GROUPS000001")


@pytest.fixture
async def backend(config: BackendConfig) -> Any:
    linked, _ = await linked_to(config, PHONE)
    yield linked
    await linked.disconnect()


def ids(jids: Any) -> list[tuple[str, str]]:
    return [(j.User, j.Server) for j in jids]


async def club(backend: fake.FakeNeonizeBackend, *people: str) -> GroupInfo:
    """A group we create (so we are its super-admin)."""
    return await backend.create_group("Book club", list(people or [CONTACT]))


# --- reading ------------------------------------------------------------------------------


async def test_groups_and_one_group_as_whatsapp_describes_them(
    backend: fake.FakeNeonizeBackend,
) -> None:
    assert await backend.groups() == [SHOP_TEAM]
    assert calls_of(backend, "get_joined_groups") == [()]
    assert await backend.group(GROUP) == SHOP_TEAM
    (jid,) = calls_of(backend, "get_group_info")[0]
    assert (jid.User, jid.Server) == (recorded.GROUP, "g.us")

    backend.fake.fail["get_joined_groups"] = "websocket not connected"
    with pytest.raises(UpstreamError, match="Reading the groups failed: websocket not"):
        await backend.groups()


async def test_a_group_we_are_not_in_is_not_found(backend: fake.FakeNeonizeBackend) -> None:
    with pytest.raises(NotFoundError, match="not in that group"):
        await backend.group(NOWHERE)  # whatsmeow: "that group does not exist"
    await backend.leave_group(GROUP)
    with pytest.raises(NotFoundError, match="not in that group") as raised:
        await backend.group(GROUP)  # whatsmeow: "you're not participating in that group"
    assert raised.value.details == {"group_id": GROUP}
    assert await backend.groups() == []

    backend.fake.fail["get_group_info"] = "info query timed out"
    with pytest.raises(UpstreamError, match="Reading the group failed: info query timed out"):
        await backend.group(NOWHERE)


async def test_only_group_ids_are_taken(backend: fake.FakeNeonizeBackend) -> None:
    for bad in (CONTACT, "120363000000000001", "abc@g.us", "@g.us", "status@broadcast"):
        with pytest.raises(InvalidParamError, match="<digits>@g"):
            await backend.group(bad)
        with pytest.raises(InvalidParamError):
            await backend.set_group_subject(bad, "x")
    assert calls_of(backend, "get_group_info") == []
    assert calls_of(backend, "set_group_name") == []
    with pytest.raises(NotFoundError):
        await backend.group("447700900123-1500000000@g.us")  # an old-style id is a group id


# --- creating and editing -------------------------------------------------------------------


async def test_create_group_makes_us_its_super_admin(backend: fake.FakeNeonizeBackend) -> None:
    created = await backend.create_group("Book club", [CONTACT, PRIVATE])
    name, jids, *_ = calls_of(backend, "create_group")[0]
    assert name == "Book club"
    assert ids(jids) == [
        (recorded.CONTACT_PHONE, "s.whatsapp.net"),
        ("447700900000", "s.whatsapp.net"),
    ]
    assert created.id.endswith("@g.us")
    assert created.id != GROUP
    assert (created.subject, created.description, created.owner) == ("Book club", "", ME)
    assert abs(created.created - time.time()) < 60
    # WhatsApp could not add PRIVATE (403): it is not a member
    assert created.participants == (
        GroupParticipant(id=ME, lid=ME_LID, role="superadmin"),
        GroupParticipant(id=CONTACT),
    )
    assert await backend.group(created.id) == created
    assert [g.id for g in await backend.groups()] == [GROUP, created.id]

    with pytest.raises(InvalidParamError, match="subject"):
        await backend.create_group("  ", [CONTACT])
    with pytest.raises(InvalidParamError, match="person's chat id"):
        await backend.create_group("Book club", [GROUP])
    assert len(calls_of(backend, "create_group")) == 1


async def test_subject_and_settings_change(backend: fake.FakeNeonizeBackend) -> None:
    created = await club(backend)
    await backend.set_group_subject(created.id, "Book club 2")
    await backend.set_group_setting(created.id, GroupSetting.ANNOUNCE, True)
    await backend.set_group_setting(created.id, GroupSetting.LOCKED, True)
    jid, name = calls_of(backend, "set_group_name")[0]
    assert (jid.User, jid.Server, name) == (created.id.split("@")[0], "g.us", "Book club 2")
    assert [args[1] for args in calls_of(backend, "set_group_announce")] == [True]
    assert [args[1] for args in calls_of(backend, "set_group_locked")] == [True]
    group = await backend.group(created.id)
    assert (group.subject, group.announce, group.locked) == ("Book club 2", True, True)

    await backend.set_group_setting(created.id, GroupSetting.ANNOUNCE, False)
    assert not (await backend.group(created.id)).announce
    with pytest.raises(InvalidParamError, match="subject"):
        await backend.set_group_subject(created.id, "")
    # in the Shop team we are no admin: WhatsApp refuses
    with pytest.raises(UpstreamError, match=r"Changing the group setting failed: .*403"):
        await backend.set_group_setting(GROUP, GroupSetting.LOCKED, True)


async def test_description_names_the_current_description_id(
    backend: fake.FakeNeonizeBackend,
) -> None:
    # The Shop team is not locked, so members may edit it; its description id is "T1"
    await backend.set_group_description(GROUP, "Orders, questions and returns")
    jid, previous, new, topic = calls_of(backend, "set_group_topic")[0]
    assert (jid.User, previous, topic) == (recorded.GROUP, "T1", "Orders, questions and returns")
    assert new.startswith("3EB0")
    assert len(new) == 22
    assert (await backend.group(GROUP)).description == "Orders, questions and returns"

    await backend.set_group_description(GROUP, "")  # whatsmeow deletes on empty
    _, second_previous, second_new, _ = calls_of(backend, "set_group_topic")[1]
    assert (second_previous, second_new != new) == (new, True)
    assert (await backend.group(GROUP)).description == ""

    with pytest.raises(NotFoundError):
        await backend.set_group_description(NOWHERE, "x")
    assert len(calls_of(backend, "set_group_topic")) == 2
    backend.fake.fail["set_group_topic"] = "info query returned status 409: conflict"
    with pytest.raises(UpstreamError, match="Changing the group description failed"):
        await backend.set_group_description(GROUP, "late")


async def test_group_picture_is_set_but_cannot_be_removed(
    backend: fake.FakeNeonizeBackend,
) -> None:
    created = await club(backend)
    jpeg = b"\xff\xd8\xff\xe0 a square jpeg"
    await backend.set_group_picture(created.id, jpeg)
    jid, data = calls_of(backend, "set_group_photo")[0]
    assert (jid.Server, data) == ("g.us", jpeg)
    assert backend.fake.group_photos[jid.User] == jpeg

    with pytest.raises(NotSupportedError, match="cannot remove a group picture"):
        await backend.set_group_picture(created.id, None)
    with pytest.raises(InvalidParamError, match="empty"):
        await backend.set_group_picture(created.id, b"")
    assert len(calls_of(backend, "set_group_photo")) == 1
    backend.fake.fail["set_group_photo"] = "the given data is not a valid image"
    with pytest.raises(UpstreamError, match="Setting the group picture failed"):
        await backend.set_group_picture(created.id, b"not a jpeg")


# --- invites --------------------------------------------------------------------------------


def test_invite_codes_and_links_are_one_code() -> None:
    assert invite_code("AbC123xyz") == "AbC123xyz"
    assert invite_code(f"{LINK}AbC123xyz") == "AbC123xyz"
    assert invite_code(" http://chat.whatsapp.com/invite/AbC123xyz/?lang=en ") == "AbC123xyz"
    assert invite_code("chat.whatsapp.com/AbC123xyz") == "AbC123xyz"
    for bad in ("", LINK, "not a code", f"{LINK}a/b"):
        with pytest.raises(InvalidParamError, match="invite"):
            invite_code(bad)


async def test_invite_code_is_bare_and_revoking_makes_a_new_one(
    backend: fake.FakeNeonizeBackend,
) -> None:
    created = await club(backend)
    code = await backend.group_invite_code(created.id)
    assert code
    assert not code.startswith("http")
    assert await backend.group_invite_code(created.id) == code
    new = await backend.group_invite_code(created.id, revoke=True)
    assert new != code
    assert [args[1] for args in calls_of(backend, "get_group_invite_link")] == [
        False,
        False,
        True,
    ]

    info = await backend.group_invite_info(f"{LINK}{new}")
    assert (info.id, info.subject) == (created.id, "Book club")
    assert calls_of(backend, "get_group_info_from_link")[-1] == (new,)
    with pytest.raises(NotFoundError, match="revoked or is not valid"):
        await backend.group_invite_info(code)  # whatsmeow: "... has been revoked"
    with pytest.raises(NotFoundError):
        await backend.group_invite_info("NoSuchCode")  # "... is not valid"
    # members who are no admins may not see the link
    with pytest.raises(UpstreamError, match="permission to get the group's invite link"):
        await backend.group_invite_code(GROUP)


async def test_leave_then_join_by_link(backend: fake.FakeNeonizeBackend) -> None:
    await backend.leave_group(GROUP)
    (jid,) = calls_of(backend, "leave_group")[0]
    assert (jid.User, jid.Server) == (recorded.GROUP, "g.us")
    with pytest.raises(UpstreamError, match="Leaving the group failed"):
        await backend.leave_group(GROUP)

    assert await backend.join_group(f"{LINK}{fake_groups.FAKE_GROUP_INVITE}") == GROUP
    assert calls_of(backend, "join_group_with_link") == [(fake_groups.FAKE_GROUP_INVITE,)]
    assert ME in [p.id for p in (await backend.group(GROUP)).participants]
    with pytest.raises(NotFoundError):
        await backend.join_group("NoSuchCode")
    with pytest.raises(InvalidParamError):
        await backend.join_group("https://example.com/?x")


# --- participants ---------------------------------------------------------------------------


async def test_participants_are_added_promoted_demoted_and_removed(
    backend: fake.FakeNeonizeBackend,
) -> None:
    created = await club(backend)
    added = await backend.change_participants(
        created.id, ParticipantAction.ADD, [STRANGER, PRIVATE, CONTACT, "447700900777"]
    )
    assert added == [
        ParticipantResult(id=STRANGER),
        ParticipantResult(id=PRIVATE, status=403),  # privacy: needs an invite
        ParticipantResult(id=CONTACT, status=409),  # already in
        ParticipantResult(id="447700900777@c.us"),
    ]
    jid, jids, change = calls_of(backend, "update_group_participants")[0]
    assert (jid.User, change.value) == (created.id.split("@")[0], "add")
    assert ids(jids)[0] == ("447700900999", "s.whatsapp.net")

    assert await backend.change_participants(created.id, ParticipantAction.PROMOTE, [STRANGER]) == [
        ParticipantResult(id=STRANGER)
    ]
    roles = {p.id: p.role for p in (await backend.group(created.id)).participants}
    assert roles == {
        ME: "superadmin",
        CONTACT: "participant",
        STRANGER: "admin",
        "447700900777@c.us": "participant",
    }
    await backend.change_participants(created.id, ParticipantAction.DEMOTE, [STRANGER])
    removed = await backend.change_participants(
        created.id, ParticipantAction.REMOVE, [STRANGER, "447700900555@c.us"]
    )
    assert removed == [
        ParticipantResult(id=STRANGER),
        ParticipantResult(id="447700900555@c.us", status=404),
    ]
    assert [c.value for *_, c in calls_of(backend, "update_group_participants")] == [
        "add",
        "promote",
        "demote",
        "remove",
    ]
    assert STRANGER not in [p.id for p in (await backend.group(created.id)).participants]


async def test_participant_changes_are_refused_clearly(
    backend: fake.FakeNeonizeBackend,
) -> None:
    with pytest.raises(UpstreamError, match=r"Changing the participants failed: .*403"):
        await backend.change_participants(GROUP, ParticipantAction.REMOVE, [CONTACT])
    with pytest.raises(InvalidParamError, match="at least one"):
        await backend.change_participants(GROUP, ParticipantAction.ADD, [])
    with pytest.raises(InvalidParamError, match="person's chat id"):
        await backend.change_participants(GROUP, ParticipantAction.ADD, [NOWHERE])
    assert len(calls_of(backend, "update_group_participants")) == 1


def test_results_match_whatsapps_answer_by_any_id() -> None:
    """WhatsApp may answer a phone number with its lid (and the phone beside it)."""
    by_lid = recorded.group_participant(recorded.jid(recorded.CONTACT_LID, "lid"), error=403)
    by_lid.PhoneNumber.CopyFrom(recorded.jid(recorded.CONTACT_PHONE))
    done = recorded.group_participant(recorded.jid("447700900999"))
    assert participant_results([CONTACT, STRANGER, "447700900555@c.us"], [done, by_lid]) == [
        ParticipantResult(id=CONTACT, status=403),
        ParticipantResult(id=STRANGER, status=200),
        ParticipantResult(id="447700900555@c.us", status=UNANSWERED),
    ]


async def test_groups_need_a_login(config: BackendConfig) -> None:
    backend = fake.FakeNeonizeBackend(config, lambda _: None, client_factory=fake.FakeNeonizeClient)
    with pytest.raises(SessionNotReadyError):
        await backend.groups()
    with pytest.raises(SessionNotReadyError):
        await backend.change_participants(GROUP, ParticipantAction.ADD, [CONTACT])


async def test_the_echo_backend_has_no_groups(config: BackendConfig) -> None:
    echo = echo_backend.create(config, lambda _: None)
    with pytest.raises(NotSupportedError, match="no groups"):
        await echo.groups()
    with pytest.raises(NotSupportedError, match="participants"):
        await echo.change_participants(GROUP, ParticipantAction.ADD, [CONTACT])


# --- through a worker process ---------------------------------------------------------------


async def test_groups_through_a_worker_process(tmp_path: Path) -> None:
    """engine → worker → NeonizeBackend's group ops on the fake client, and back."""
    async with worker_session(tmp_path, "WORKER000002", PHONE) as session:
        assert await session.groups() == [SHOP_TEAM]
        created = await session.create_group("Book club", [CONTACT])
        await session.set_group_subject(created.id, "Readers")
        await session.set_group_setting(created.id, GroupSetting.LOCKED, True)
        results = await session.change_participants(
            created.id, ParticipantAction.ADD, [STRANGER, PRIVATE]
        )
        assert results == [
            ParticipantResult(id=STRANGER),
            ParticipantResult(id=PRIVATE, status=403),
        ]
        group = await session.group(created.id)
        assert (group.subject, group.locked, len(group.participants)) == ("Readers", True, 3)
        code = await session.group_invite_code(created.id, revoke=True)
        assert (await session.group_invite_info(f"{LINK}{code}")).id == created.id
        await session.leave_group(GROUP)
        with pytest.raises(NotFoundError, match="not in that group"):
            await session.group(GROUP)
        assert await session.join_group(fake_groups.FAKE_GROUP_INVITE) == GROUP
        with pytest.raises(NotSupportedError, match="cannot remove a group picture"):
            await session.set_group_picture(created.id, None)
        with pytest.raises(InvalidParamError, match="<digits>@g"):
            await session.leave_group(CONTACT)
