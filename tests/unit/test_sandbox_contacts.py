"""The sandbox network: the account's profile, its address book, number checks, About
texts, pictures and blocking."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from sandbox_support import (
    Linked,
    MemoryDeviceStore,
    Recorder,
    link,
    settle,
    wait_for,
)
from wagate.domain.contacts import Contact, Profile
from wagate.domain.events import AckChanged, LoggedIn, MessageSeen
from wagate.domain.messages import Ack
from wagate.domain.models import Me
from wagate.engines.sandbox import SandboxEngine
from wagate.errors import InvalidParamError, SessionNotReadyError

ID_A = "AAAAAAAAAAAA"
ID_A2 = "AAAAAAAAAAA2"
ID_B = "BBBBBBBBBBBB"
PHONE_A = "447441429001"
PHONE_B = "447441429002"
CONTACT = "447441429003"
MISSING = "15550100000"  # ends in 0000: no WhatsApp account, by the sandbox's convention
A = f"{PHONE_A}@c.us"
B = f"{PHONE_B}@c.us"
C = f"{CONTACT}@c.us"
GROUP = "120363000000000001@g.us"
NEWSLETTER = "120363000000000002@newsletter"
UNKNOWN_LID = "123456789012345@lid"
DEFAULT_ABOUT = "Hey there! I am using WhatsApp."
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(64)) + b"\xff\xd9"
JPEG_URI = "data:image/jpeg;base64," + base64.b64encode(JPEG).decode("ascii")


@pytest.fixture
async def trio(engine: SandboxEngine) -> list[Linked]:
    """Alice on two devices (A, A2) and Bob (B), all linked and online."""
    return [
        await link(engine, ID_A, PHONE_A, "Alice"),
        await link(engine, ID_A2, PHONE_A),
        await link(engine, ID_B, PHONE_B, "Bob"),
    ]


async def exchange(trio: list[Linked]) -> None:
    """A sends B a text, B answers; returns once both are delivered, sinks emptied."""
    (a, sink_a), _, (b, sink_b) = trio
    await a.send_text(B, "hello Bob")
    await b.send_text(A, "hello Alice")
    await wait_for(lambda: bool(sink_a.of(AckChanged)) and bool(sink_b.of(AckChanged)))
    await settle()
    for _, sink in trio:
        sink.events.clear()


# --- the profile ---------------------------------------------------------------------


async def test_the_default_profile(trio: list[Linked]) -> None:
    (a, _), _, (b, _) = trio
    assert await a.profile() == Profile(id=A, name="Alice", status=DEFAULT_ABOUT, picture=None)
    assert await b.profile() == Profile(id=B, name="Bob", status=DEFAULT_ABOUT, picture=None)


async def test_every_session_of_the_account_sees_the_new_profile(
    store: MemoryDeviceStore, trio: list[Linked]
) -> None:
    (a, _), (a2, _), _ = trio
    await a.set_profile_name("Alice's Shop")
    await a.set_profile_status("Open 9 to 5")
    await a.set_profile_picture(JPEG)
    expected = Profile(id=A, name="Alice's Shop", status="Open 9 to 5", picture=JPEG_URI)
    assert await a.profile() == expected
    assert await a2.profile() == expected
    for session in (a, a2):
        assert session.me is not None
        assert session.me.push_name == "Alice's Shop"
    # each linked device keeps the name for a restart
    assert store.devices[ID_A][1]["push_name"] == "Alice's Shop"
    assert store.devices[ID_A2][1]["push_name"] == "Alice's Shop"


async def test_a_partner_sees_the_new_name_about_and_picture(trio: list[Linked]) -> None:
    (a, _), _, (b, sink_b) = trio
    await a.set_profile_name("Alice's Shop")
    await a.set_profile_status("Open 9 to 5")
    await a.set_profile_picture(JPEG)
    await a.send_text(B, "new name")
    await wait_for(lambda: bool(sink_b.of(MessageSeen)))
    (seen,) = [e.message for e in sink_b.of(MessageSeen)]
    assert seen.push_name == "Alice's Shop"
    assert await b.about(A) == "Open 9 to 5"
    assert await b.chat_picture(A) == JPEG_URI
    assert (await b.contact(A)).push_name == "Alice's Shop"

    await a.set_profile_picture(None)
    await a.set_profile_status("")
    assert await a.profile() == Profile(id=A, name="Alice's Shop", status=None, picture=None)
    assert await b.chat_picture(A) is None
    assert await b.about(A) is None


async def test_the_new_name_survives_a_restart(
    store: MemoryDeviceStore, trio: list[Linked]
) -> None:
    (a, _), _, _ = trio
    await a.set_profile_name("Alice's Shop")
    engine = SandboxEngine(store, qr_rotate_seconds=0)  # a restarted server
    try:
        sink = Recorder()
        session = await engine.open_session(ID_A2, sink)
        await session.connect()
        await wait_for(lambda: bool(sink.events))
        lid = engine.network.phone(PHONE_A).lid
        assert sink.events == [LoggedIn(me=Me(id=A, lid=lid, push_name="Alice's Shop"))]
    finally:
        await engine.close()


async def test_profile_changes_are_checked(trio: list[Linked]) -> None:
    (a, _), _, _ = trio
    for blank in ("", "   "):
        with pytest.raises(InvalidParamError, match="needs a text"):
            await a.set_profile_name(blank)
    with pytest.raises(InvalidParamError, match="at most 139 characters"):
        await a.set_profile_status("x" * 140)
    for not_jpeg in (b"", b"\x89PNG\r\n\x1a\n", b"%PDF-1.7"):
        with pytest.raises(InvalidParamError, match="JPEG"):
            await a.set_profile_picture(not_jpeg)
    assert await a.profile() == Profile(id=A, name="Alice", status=DEFAULT_ABOUT, picture=None)
    await a.set_profile_status("x" * 139)
    assert (await a.profile()).status == "x" * 139


# --- numbers, About texts, pictures ---------------------------------------------------


async def test_check_exists(engine: SandboxEngine, trio: list[Linked]) -> None:
    (a, _), _, _ = trio
    assert await a.check_exists(PHONE_B) == B
    assert await a.check_exists(CONTACT) == C  # any number is a virtual phone
    assert await a.check_exists(MISSING) is None
    assert await a.check_exists("4915112340000") is None
    with pytest.raises(InvalidParamError, match="only digits"):
        await a.check_exists("+44 7441 429002")
    # an account linked to such a number exists all the same
    await link(engine, "CCCCCCCCCCCC", MISSING)
    assert await a.check_exists(MISSING) == f"{MISSING}@c.us"


async def test_about_and_pictures_of_others(engine: SandboxEngine, trio: list[Linked]) -> None:
    (a, _), _, _ = trio
    assert await a.about(C) == DEFAULT_ABOUT  # a virtual contact
    assert await a.about(engine.network.phone(PHONE_B).lid) == DEFAULT_ABOUT
    assert await a.about(A) == DEFAULT_ABOUT
    for chat_id in (GROUP, NEWSLETTER, UNKNOWN_LID):
        assert await a.about(chat_id) is None
        assert await a.chat_picture(chat_id) is None
    assert await a.chat_picture(B) is None  # Bob has none
    assert await a.chat_picture(C) is None


# --- contacts -------------------------------------------------------------------------


async def test_contacts_are_the_chats_and_the_saved(
    engine: SandboxEngine, trio: list[Linked]
) -> None:
    (a, _), (a2, _), (b, _) = trio
    assert await a.contacts() == []
    await exchange(trio)
    bob = Contact(id=B, lid=engine.network.phone(PHONE_B).lid, push_name="Bob")
    assert await a.contacts() == [bob]

    await a.save_contact(C, " Carol ", "Smith")
    await a.save_contact(B, "Bob", "")
    carol = Contact(
        id=C,
        lid=engine.network.phone(CONTACT).lid,
        name="Carol Smith",
        push_name="Sandbox 9003",
        is_my_contact=True,
    )
    saved_bob = Contact(id=B, lid=bob.lid, name="Bob", push_name="Bob", is_my_contact=True)
    assert await a.contacts() == [saved_bob, carol]
    assert await a2.contacts() == [saved_bob, carol]  # the account's address book
    assert await b.contacts() == [
        Contact(id=A, lid=engine.network.phone(PHONE_A).lid, push_name="Alice")
    ]

    await a.save_contact(C, "Caroline", "Smith")  # renamed
    assert (await a.contact(C)).name == "Caroline Smith"


async def test_one_contact(engine: SandboxEngine, trio: list[Linked]) -> None:
    (a, _), _, _ = trio
    bob_lid = engine.network.phone(PHONE_B).lid
    bob = Contact(id=B, lid=bob_lid, push_name="Bob")
    assert await a.contact(B) == bob
    assert await a.contact(bob_lid) == bob
    never_talked = await a.contact("4915112345678@c.us")
    assert never_talked == Contact(
        id="4915112345678@c.us",
        lid=engine.network.phone("4915112345678").lid,
        push_name="Sandbox 5678",
    )
    assert await a.contact(UNKNOWN_LID) == Contact(id=UNKNOWN_LID, lid=UNKNOWN_LID)
    for chat_id in (GROUP, NEWSLETTER):
        with pytest.raises(InvalidParamError, match="a person"):
            await a.contact(chat_id)


async def test_saving_a_contact_is_checked(trio: list[Linked]) -> None:
    (a, _), _, _ = trio
    for blank in ("", "  "):
        with pytest.raises(InvalidParamError, match="first name"):
            await a.save_contact(C, blank, "Smith")
    for chat_id in (GROUP, NEWSLETTER, UNKNOWN_LID):
        with pytest.raises(InvalidParamError, match="a person"):
            await a.save_contact(chat_id, "Carol", "Smith")
    assert await a.contacts() == []


# --- blocking ---------------------------------------------------------------------------


async def test_blocking_is_reported_and_undone(trio: list[Linked]) -> None:
    (a, _), (a2, _), _ = trio
    await exchange(trio)
    await a.block(B, True)
    assert [c.is_blocked for c in await a.contacts()] == [True]
    assert (await a2.contact(B)).is_blocked
    await a.block(B, False)
    assert not (await a.contact(B)).is_blocked
    await a.block(B, False)  # unblocking twice is harmless
    assert not (await a.contact(B)).is_blocked


async def test_what_a_blocked_person_sends_is_never_delivered(trio: list[Linked]) -> None:
    (a, sink_a), (_, sink_a2), (b, sink_b) = trio
    await exchange(trio)
    await a.block(B, True)
    sent = await b.send_text(A, "are you there?")
    assert sent.ack is Ack.SERVER
    await settle()
    assert not sink_a.events
    assert not sink_a2.events
    assert not sink_b.events  # no DEVICE ack: sent only
    # nor does Bob see Alice's About and picture any more
    await a.set_profile_picture(JPEG)
    assert await b.about(A) is None
    assert await b.chat_picture(A) is None
    assert await a.about(B) == DEFAULT_ABOUT  # the blocker still sees them

    await a.block(B, False)
    await b.send_text(A, "now?")
    await wait_for(lambda: bool(sink_a.of(MessageSeen)) and bool(sink_b.of(AckChanged)))
    (seen,) = [e.message for e in sink_a.of(MessageSeen)]
    assert seen.body == "now?"
    assert [e.ack for e in sink_b.of(AckChanged)] == [Ack.DEVICE]
    assert await b.chat_picture(A) == JPEG_URI


async def test_only_other_people_can_be_blocked(trio: list[Linked]) -> None:
    (a, _), _, _ = trio
    for chat_id in (GROUP, NEWSLETTER, UNKNOWN_LID):
        with pytest.raises(InvalidParamError, match="a person"):
            await a.block(chat_id, True)
    with pytest.raises(InvalidParamError, match="block yourself"):
        await a.block(A, True)


# --- readiness -----------------------------------------------------------------------


async def test_profile_and_contacts_need_a_linked_connected_session(
    engine: SandboxEngine,
) -> None:
    session = await engine.open_session(ID_A, Recorder())
    calls: list[Callable[[], Any]] = [
        lambda: session.profile(),
        lambda: session.set_profile_name("Alice"),
        lambda: session.set_profile_status("Busy"),
        lambda: session.set_profile_picture(None),
        lambda: session.contacts(),
        lambda: session.contact(B),
        lambda: session.check_exists(PHONE_B),
        lambda: session.about(B),
        lambda: session.block(B, True),
        lambda: session.save_contact(B, "Bob", ""),
        lambda: session.chat_picture(B),
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
    for call in calls:
        await call()
    await session.disconnect()
    await refused()  # disconnected
