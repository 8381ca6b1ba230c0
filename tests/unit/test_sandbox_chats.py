"""The sandbox network: deleting and editing messages, pins, chat pictures and chat
changes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from sandbox_support import (
    Linked,
    Recorder,
    link,
    settle,
    wait_for,
)
from wagate.domain.chats import ChatChange
from wagate.domain.events import (
    AckChanged,
    LoggedIn,
    MessageEdited,
    MessageRevoked,
    MessageSeen,
)
from wagate.domain.messages import Message, MessageKey
from wagate.engines.sandbox import SandboxEngine
from wagate.errors import InvalidParamError, SessionNotReadyError

ID_A = "AAAAAAAAAAAA"
ID_A2 = "AAAAAAAAAAA2"
ID_B = "BBBBBBBBBBBB"
PHONE_A = "447441429001"
PHONE_B = "447441429002"
CONTACT = "15550100000"
A = f"{PHONE_A}@c.us"
B = f"{PHONE_B}@c.us"
C = f"{CONTACT}@c.us"
GROUP = "120363000000000001@g.us"
NEWSLETTER = "120363000000000002@newsletter"
UNKNOWN_LID = "123456789012345@lid"


@pytest.fixture
async def trio(engine: SandboxEngine) -> list[Linked]:
    """Alice on two devices (A, A2) and Bob (B), all linked and online."""
    return [
        await link(engine, ID_A, PHONE_A, "Alice"),
        await link(engine, ID_A2, PHONE_A),
        await link(engine, ID_B, PHONE_B, "Bob"),
    ]


async def exchange(trio: list[Linked]) -> tuple[Message, Message]:
    """A sends B a text; returns (as sent by A, as received by B) once every device has
    it, with the sinks emptied."""
    (a, sink_a), (_, sink_a2), (_, sink_b) = trio
    sent = await a.send_text(B, "hello Bob")
    await wait_for(lambda: len(sink_a.of(AckChanged)) == 1 and len(sink_a2.of(AckChanged)) == 1)
    (seen,) = [e.message for e in sink_b.of(MessageSeen)]
    for _, sink in trio:
        sink.events.clear()
    return sent, seen


def recent(timestamp: int) -> bool:
    return abs(timestamp - time.time()) < 5


# --- revoke and edit -----------------------------------------------------------------


async def test_a_revoke_reaches_the_partner_and_our_other_device(
    engine: SandboxEngine, trio: list[Linked]
) -> None:
    (a, sink_a), (_, sink_a2), (_, sink_b) = trio
    sent, seen = await exchange(trio)
    await a.revoke(sent.key)
    await wait_for(lambda: bool(sink_b.events) and bool(sink_a2.events))
    (theirs,) = sink_b.events
    assert theirs == MessageRevoked(key=seen.key, by=A, timestamp=theirs.timestamp)
    assert theirs.key == MessageKey(chat_id=A, id=sent.key.id, from_me=False)
    assert recent(theirs.timestamp)
    assert sink_a2.events == [MessageRevoked(key=sent.key, by=A, timestamp=theirs.timestamp)]
    await settle()
    assert not sink_a.events  # the device that revoked it is not told
    alice = engine.network.phone(PHONE_A)
    assert sink_b.lids[-1] == (alice.chat_id, alice.lid)


async def test_an_edit_reaches_the_partner_and_our_other_device(trio: list[Linked]) -> None:
    (a, sink_a), (_, sink_a2), (_, sink_b) = trio
    sent, seen = await exchange(trio)
    await a.edit(sent.key, "hello Bob, edited")
    await wait_for(lambda: bool(sink_b.events) and bool(sink_a2.events))
    (theirs,) = sink_b.events
    assert theirs == MessageEdited(
        key=seen.key, new_body="hello Bob, edited", sender=A, timestamp=theirs.timestamp
    )
    assert recent(theirs.timestamp)
    assert sink_a2.events == [
        MessageEdited(
            key=sent.key, new_body="hello Bob, edited", sender=A, timestamp=theirs.timestamp
        )
    ]
    await settle()
    assert not sink_a.events


async def test_edits_and_revokes_keep_their_order(trio: list[Linked]) -> None:
    (a, _), _, (_, sink_b) = trio
    sent, _ = await exchange(trio)
    await a.edit(sent.key, "one")
    await a.edit(sent.key, "two")
    await a.revoke(sent.key)
    await wait_for(lambda: len(sink_b.events) == 3)
    one, two, revoked = sink_b.events
    assert [one.new_body, two.new_body] == ["one", "two"]
    assert isinstance(revoked, MessageRevoked)


async def test_an_offline_partner_is_told_on_its_return(
    engine: SandboxEngine, trio: list[Linked]
) -> None:
    (a, _), _, (b, _) = trio
    sent, seen = await exchange(trio)
    await b.disconnect()
    await a.edit(sent.key, "edited while away")
    await a.revoke(sent.key)
    await settle()
    assert engine.network.pending(ID_B) == 2

    sink_b = Recorder()
    b = await engine.open_session(ID_B, sink_b)
    await b.connect()
    await wait_for(lambda: len(sink_b.events) == 3)
    logged_in, edited, revoked = sink_b.events
    assert isinstance(logged_in, LoggedIn)
    assert isinstance(edited, MessageEdited)
    assert (edited.key, edited.new_body) == (seen.key, "edited while away")
    assert isinstance(revoked, MessageRevoked)
    assert revoked.key == seen.key


async def test_only_our_own_messages_can_be_revoked_or_edited(trio: list[Linked]) -> None:
    (a, _), _, (b, _) = trio
    sent, seen = await exchange(trio)
    with pytest.raises(InvalidParamError, match="Only your own messages"):
        await b.revoke(seen.key)
    with pytest.raises(InvalidParamError, match="Only your own messages"):
        await b.edit(seen.key, "not mine")
    with pytest.raises(InvalidParamError, match="Only your own messages"):
        await a.revoke(MessageKey(chat_id=C, id="3EB00000000000000001", from_me=False))
    for blank in ("", "  "):
        with pytest.raises(InvalidParamError, match="needs a text"):
            await a.edit(sent.key, blank)
    await settle()
    for _, sink in trio:
        assert not sink.events


async def test_with_a_virtual_contact_only_our_other_device_is_told(
    trio: list[Linked],
) -> None:
    (a, sink_a), (_, sink_a2), (_, sink_b) = trio
    sent = await a.send_text(C, "hello Carol")
    await wait_for(lambda: bool(sink_a2.of(AckChanged)))
    sink_a.events.clear()
    sink_a2.events.clear()
    await a.edit(sent.key, "hello Carol!")
    await a.revoke(sent.key)
    await wait_for(lambda: len(sink_a2.events) == 2)
    edited, revoked = sink_a2.events
    assert isinstance(edited, MessageEdited)
    assert isinstance(revoked, MessageRevoked)
    assert edited.key == revoked.key == sent.key
    await settle()
    assert not sink_a.events
    assert not sink_b.events


@pytest.mark.parametrize("chat_id", [GROUP, NEWSLETTER, UNKNOWN_LID, A])
async def test_chats_without_anyone_to_tell_accept_silently(
    trio: list[Linked], chat_id: str
) -> None:
    (a, _), _, _ = trio
    own = MessageKey(chat_id=chat_id, id="3EB00000000000000001", from_me=True)
    await a.edit(own, "edited")
    await a.revoke(own)
    if chat_id != A:  # a group admin deletes a member's message
        member = MessageKey(chat_id=chat_id, id="3EB00000000000000002", from_me=False)
        await a.revoke(member, author=B)
    await settle()
    for _, sink in trio:
        assert not sink.events


# --- pins, pictures, chat changes ----------------------------------------------------


async def test_pins_are_accepted_but_not_negative(trio: list[Linked]) -> None:
    (a, _), _, (b, _) = trio
    sent, seen = await exchange(trio)
    await a.pin(sent.key, 7 * 24 * 3600)
    await a.pin(sent.key, 0)
    await b.pin(seen.key, 86400, author=A)
    with pytest.raises(InvalidParamError, match="0 seconds"):
        await a.pin(sent.key, -1)
    await settle()
    for _, sink in trio:
        assert not sink.events


async def test_chats_have_no_picture(trio: list[Linked]) -> None:
    (a, _), _, _ = trio
    for chat_id in (B, C, GROUP, NEWSLETTER, A):
        assert await a.chat_picture(chat_id) is None


@pytest.mark.parametrize("change", list(ChatChange))
async def test_every_chat_change_is_accepted(trio: list[Linked], change: ChatChange) -> None:
    (a, _), _, _ = trio
    await exchange(trio)
    await a.change_chat(B, change)
    await a.change_chat(GROUP, change)
    await settle()
    for _, sink in trio:
        assert not sink.events


# --- readiness -----------------------------------------------------------------------


async def test_chat_operations_need_a_linked_connected_session(engine: SandboxEngine) -> None:
    session = await engine.open_session(ID_A, Recorder())
    key = MessageKey(chat_id=B, id="3EB00000000000000001", from_me=True)
    calls: list[Callable[[], Any]] = [
        lambda: session.revoke(key),
        lambda: session.edit(key, "edited"),
        lambda: session.pin(key, 3600),
        lambda: session.chat_picture(B),
        lambda: session.change_chat(B, ChatChange.ARCHIVE),
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
