"""The sandbox network: messages, acks, reactions and presence between accounts."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from sandbox_support import MemoryDeviceStore, settle, wait_for
from wagate.domain.events import (
    AckChanged,
    EngineEvent,
    LidsLearned,
    LoggedIn,
    MessageSeen,
    PresenceChanged,
    ReactionReceived,
)
from wagate.domain.messages import Ack, Message, MessageKey, Presence
from wagate.engines.sandbox import SandboxEngine, SandboxSession
from wagate.errors import InvalidParamError, InvalidSessionStatusError, SessionNotReadyError

ID_A = "AAAAAAAAAAAA"
ID_B = "BBBBBBBBBBBB"
PHONE_A = "447441429001"
PHONE_B = "447441429002"
CONTACT = "15550100000"
A = f"{PHONE_A}@c.us"
B = f"{PHONE_B}@c.us"
C = f"{CONTACT}@c.us"
GROUP = "120363000000000001@g.us"
MESSAGE_ID = re.compile(r"^3EB0[0-9A-F]{16}$")


class Recorder:
    """An EventSink that records events, also into a journal shared by all sinks
    (what it learns of lids apart, in ``lids``)."""

    def __init__(self, journal: list[tuple[str, EngineEvent]], name: str) -> None:
        self.events: list[EngineEvent] = []
        self.lids: list[tuple[str, str]] = []
        self.journal = journal
        self.name = name
        self.active = 0
        self.overlapped = False

    async def __call__(self, event: EngineEvent, /) -> None:
        self.active += 1
        self.overlapped = self.overlapped or self.active > 1
        try:
            if isinstance(event, LidsLearned):
                self.lids.extend(event.pairs)
                return
            self.events.append(event)
            self.journal.append((self.name, event))
            await asyncio.sleep(0)
        finally:
            self.active -= 1

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def acks(self) -> list[tuple[MessageKey, Ack]]:
        return [(e.key, e.ack) for e in self.of(AckChanged)]


@pytest.fixture
def store() -> MemoryDeviceStore:
    return MemoryDeviceStore()


@pytest.fixture
def journal() -> list[tuple[str, EngineEvent]]:
    return []


@pytest.fixture
async def engine(store: MemoryDeviceStore) -> AsyncIterator[SandboxEngine]:
    engine = SandboxEngine(store, qr_rotate_seconds=0)
    yield engine
    await engine.close()


Linked = tuple[SandboxSession, Recorder]


async def link(
    engine: SandboxEngine,
    journal: list[tuple[str, EngineEvent]],
    instance_id: str,
    phone: str,
    push_name: str | None = None,
) -> Linked:
    sink = Recorder(journal, instance_id)
    session = await engine.open_session(instance_id, sink)
    await session.connect()
    await wait_for(lambda: session.waiting_for_link)
    await engine.scan(instance_id, phone, push_name)
    sink.events.clear()
    return session, sink


async def resume(
    engine: SandboxEngine, journal: list[tuple[str, EngineEvent]], instance_id: str
) -> Linked:
    """Open the session anew and resume its stored device."""
    sink = Recorder(journal, instance_id)
    session = await engine.open_session(instance_id, sink)
    await session.connect()
    await wait_for(lambda: bool(sink.of(LoggedIn)))
    return session, sink


@pytest.fixture
async def pair(engine: SandboxEngine, journal: list[tuple[str, EngineEvent]]) -> list[Linked]:
    """Two linked sessions, Alice (A) and Bob (B)."""
    return [
        await link(engine, journal, ID_A, PHONE_A, "Alice"),
        await link(engine, journal, ID_B, PHONE_B, "Bob"),
    ]


async def exchange(pair: list[Linked]) -> tuple[Message, Message]:
    """A sends B a text; returns (as sent by A, as received by B) once A has DEVICE."""
    (a, sink_a), (_, sink_b) = pair
    sent = await a.send_text(B, "hello Bob")
    await wait_for(lambda: (sent.key, Ack.DEVICE) in sink_a.acks())
    (seen,) = [e.message for e in sink_b.of(MessageSeen) if e.message.key.id == sent.key.id]
    return sent, seen


# --- two sessions --------------------------------------------------------------------


async def test_two_sessions_exchange_a_message(
    pair: list[Linked], journal: list[tuple[str, EngineEvent]]
) -> None:
    (a, sink_a), (b, sink_b) = pair
    sent = await a.send_text(B, "hello Bob", mentions=[B])
    assert MESSAGE_ID.match(sent.key.id)
    assert sent.key == MessageKey(chat_id=B, id=sent.key.id, from_me=True)
    assert (sent.sender, sent.recipient, sent.body) == (A, B, "hello Bob")
    assert sent.ack is Ack.SERVER
    assert sent.source == "api"
    assert sent.mentions == (B,)
    assert isinstance(sent.timestamp, int)
    assert not sink_b.events  # delivered after send_text returned

    await wait_for(lambda: bool(sink_a.of(AckChanged)))
    assert sink_a.events == [AckChanged(key=sent.key, ack=Ack.DEVICE)]
    (seen_event,) = sink_b.of(MessageSeen)
    seen = seen_event.message
    assert seen.key == MessageKey(chat_id=A, id=sent.key.id, from_me=False)
    assert (seen.sender, seen.recipient, seen.body) == (A, B, "hello Bob")
    assert seen.ack is Ack.DEVICE
    assert seen.source == "app"
    assert seen.push_name == "Alice"
    assert seen.timestamp == sent.timestamp
    assert seen.mentions == (B,)
    # B's sink had the message before A saw DEVICE
    assert journal.index((ID_B, seen_event)) < journal.index(
        (ID_A, AckChanged(key=sent.key, ack=Ack.DEVICE))
    )

    await b.mark_seen(A, [seen.key])
    await wait_for(lambda: len(sink_a.events) == 2)
    assert sink_a.events[-1] == AckChanged(key=sent.key, ack=Ack.READ)
    await b.mark_seen(A, [seen.key])  # once only
    await settle()
    assert len(sink_a.events) == 2
    assert not sink_a.overlapped
    assert not sink_b.overlapped


async def test_a_reply_names_the_quoted_message_from_each_side(pair: list[Linked]) -> None:
    (_, sink_a), (b, _) = pair
    sent, seen = await exchange(pair)
    reply = await b.send_text(A, "hi Alice", reply_to=seen.key)
    assert reply.reply_to == seen.key.serialized  # f"false_{A}_<id>"
    await wait_for(lambda: bool(sink_a.of(MessageSeen)))
    (got,) = sink_a.of(MessageSeen)
    assert got.message.reply_to == sent.key.serialized  # f"true_{B}_<id>"
    assert got.message.push_name == "Bob"


async def test_messages_arrive_in_order(pair: list[Linked]) -> None:
    (a, sink_a), (_, sink_b) = pair
    sent = [await a.send_text(B, f"m{i}") for i in range(20)]
    await wait_for(lambda: len(sink_a.of(AckChanged)) == 20)
    assert [e.message.body for e in sink_b.of(MessageSeen)] == [f"m{i}" for i in range(20)]
    assert [key for key, _ in sink_a.acks()] == [m.key for m in sent]
    assert len({m.key.id for m in sent}) == 20


async def test_reactions_both_ways(pair: list[Linked]) -> None:
    (a, sink_a), (b, sink_b) = pair
    sent, seen = await exchange(pair)

    reaction_id = await b.react(seen.key, "👍")
    assert MESSAGE_ID.match(reaction_id)
    await wait_for(lambda: bool(sink_a.of(ReactionReceived)))
    (got,) = sink_a.of(ReactionReceived)
    assert got.key == sent.key
    assert (got.reaction_id, got.sender, got.reaction) == (reaction_id, B, "👍")
    assert isinstance(got.timestamp, int)

    await a.react(sent.key, "❤")
    await a.react(sent.key, "")  # removes it
    await wait_for(lambda: len(sink_b.of(ReactionReceived)) == 2)
    first, removed = sink_b.of(ReactionReceived)
    assert first.key == seen.key
    assert (first.sender, first.reaction) == (A, "❤")
    assert removed.reaction == ""


async def test_typing_reaches_the_partner_before_the_message(pair: list[Linked]) -> None:
    (a, _), (_, sink_b) = pair
    await a.set_chat_presence(B, Presence.COMPOSING)
    await a.send_text(B, "typed")
    await a.set_chat_presence(B, Presence.PAUSED)
    await wait_for(lambda: len(sink_b.events) == 3)
    typing, message, paused = sink_b.events
    assert typing == PresenceChanged(chat_id=A, sender=A, presence=Presence.COMPOSING)
    assert isinstance(message, MessageSeen)
    assert paused == PresenceChanged(chat_id=A, sender=A, presence=Presence.PAUSED)
    with pytest.raises(InvalidParamError):
        await a.set_chat_presence(B, Presence.AVAILABLE)


async def test_set_and_get_presence(
    engine: SandboxEngine, pair: list[Linked], journal: list[tuple[str, EngineEvent]]
) -> None:
    (a, sink_a), (b, sink_b) = pair
    assert await b.get_presence(A) == [
        PresenceChanged(chat_id=A, sender=A, presence=Presence.AVAILABLE)
    ]
    await a.set_presence(Presence.UNAVAILABLE)
    await settle()
    assert not sink_b.events  # no chat with A yet
    (state,) = await b.get_presence(A)
    assert state.presence is Presence.UNAVAILABLE
    assert isinstance(state.last_seen, int)

    await exchange(pair)
    await a.set_presence(Presence.AVAILABLE)
    await wait_for(lambda: bool(sink_b.of(PresenceChanged)))
    assert sink_b.of(PresenceChanged) == [
        PresenceChanged(chat_id=A, sender=A, presence=Presence.AVAILABLE)
    ]
    assert await b.get_presence(A) == sink_b.of(PresenceChanged)
    # virtual contacts are always available; groups and unknown lids have none
    assert [p.presence for p in await a.get_presence(C)] == [Presence.AVAILABLE]
    assert await a.get_presence(GROUP) == []
    assert await a.get_presence("999999999999999@lid") == []
    # an offline account is unavailable
    await b.disconnect()
    assert [p.presence for p in await a.get_presence(B)] == [Presence.UNAVAILABLE]
    with pytest.raises(InvalidParamError):
        await a.set_presence(Presence.COMPOSING)
    assert not sink_a.of(PresenceChanged)


async def test_star_is_recorded(engine: SandboxEngine, pair: list[Linked]) -> None:
    (a, _), (_, sink_b) = pair
    sent, _ = await exchange(pair)
    await a.star(sent.key, True)
    assert engine.network.starred(PHONE_A) == {sent.key}
    await a.star(sent.key, False)
    assert engine.network.starred(PHONE_A) == set()
    await settle()
    assert len(sink_b.events) == 1  # just the message


async def test_who_is_behind_a_senders_lid_comes_with_what_they_send(
    engine: SandboxEngine, pair: list[Linked]
) -> None:
    (_, sink_a), (b, sink_b) = pair
    alice, bob = engine.network.phone(PHONE_A), engine.network.phone(PHONE_B)
    await exchange(pair)
    assert sink_b.lids == [(alice.chat_id, alice.lid)]
    assert sink_a.lids == []  # B has not sent A anything yet
    await b.set_chat_presence(alice.chat_id, Presence.COMPOSING)
    await wait_for(lambda: bool(sink_a.lids))
    assert sink_a.lids == [(bob.chat_id, bob.lid)]


# --- virtual contacts ----------------------------------------------------------------


async def test_virtual_contact_conversation(
    engine: SandboxEngine, journal: list[tuple[str, EngineEvent]]
) -> None:
    a, sink_a = await link(engine, journal, ID_A, PHONE_A)
    incoming = await engine.inject_message(ID_A, "+1 555 010 0000", "hi", push_name="Carol")
    # delivered before inject_message returned
    assert sink_a.events == [MessageSeen(message=incoming)]
    assert incoming.key == MessageKey(chat_id=C, id=incoming.key.id, from_me=False)
    assert MESSAGE_ID.match(incoming.key.id)
    assert (incoming.sender, incoming.recipient, incoming.body) == (C, A, "hi")
    assert incoming.push_name == "Carol"
    assert incoming.ack is Ack.DEVICE
    assert engine.network.phone(CONTACT).push_name == "Carol"
    await a.mark_seen(C, [incoming.key])  # nobody to tell

    reply = await a.send_text(C, "hi Carol", reply_to=incoming.key)
    await wait_for(lambda: bool(sink_a.of(AckChanged)))
    assert sink_a.acks() == [(reply.key, Ack.DEVICE)]  # phones are always online

    assert await engine.contact_mark_seen(ID_A, CONTACT) == [reply.key]
    assert sink_a.acks()[-1] == (reply.key, Ack.READ)
    assert await engine.contact_mark_seen(ID_A, CONTACT) == []
    assert await engine.contact_mark_seen(ID_A, CONTACT, [reply.key]) == []

    reaction_id = await engine.contact_react(ID_A, C, reply.key, "😂")
    (reaction,) = sink_a.of(ReactionReceived)
    assert reaction.key == reply.key
    assert (reaction.reaction_id, reaction.sender, reaction.reaction) == (reaction_id, C, "😂")

    await engine.contact_presence(ID_A, CONTACT, Presence.COMPOSING)
    assert sink_a.events[-1] == PresenceChanged(chat_id=C, sender=C, presence=Presence.COMPOSING)
    await engine.contact_presence(ID_A, CONTACT, Presence.UNAVAILABLE)
    (state,) = await a.get_presence(C)
    assert state.presence is Presence.UNAVAILABLE
    assert not sink_a.overlapped


async def test_contact_mark_seen_with_keys(
    engine: SandboxEngine, journal: list[tuple[str, EngineEvent]]
) -> None:
    a, sink_a = await link(engine, journal, ID_A, PHONE_A)
    first = await a.send_text(C, "one")
    second = await a.send_text(C, "two")
    await wait_for(lambda: len(sink_a.of(AckChanged)) == 2)
    assert await engine.contact_mark_seen(ID_A, CONTACT, [second.key]) == [second.key]
    assert await engine.contact_mark_seen(ID_A, CONTACT) == [first.key]
    assert sink_a.acks()[-2:] == [(second.key, Ack.READ), (first.key, Ack.READ)]


async def test_contact_control_errors(
    engine: SandboxEngine, pair: list[Linked], journal: list[tuple[str, EngineEvent]]
) -> None:
    with pytest.raises(InvalidSessionStatusError):
        await engine.inject_message("CCCCCCCCCCCC", CONTACT, "hi")  # no such session
    with pytest.raises(InvalidParamError):
        await engine.inject_message(ID_A, PHONE_B, "hi")  # B is a session, not a contact
    with pytest.raises(InvalidParamError):
        await engine.inject_message(ID_A, "0044 12", "hi")
    with pytest.raises(InvalidParamError):
        await engine.inject_message(ID_A, CONTACT, "hi", reply_to="nonsense")
    other = MessageKey(chat_id="15550100009@c.us", id="3EB0000000000000000A", from_me=True)
    with pytest.raises(InvalidParamError):
        await engine.contact_react(ID_A, CONTACT, other, "👍")
    with pytest.raises(InvalidParamError):
        await engine.contact_mark_seen(ID_A, CONTACT, [other])


async def test_inject_to_an_offline_session_waits_for_it(
    engine: SandboxEngine, journal: list[tuple[str, EngineEvent]]
) -> None:
    a, _ = await link(engine, journal, ID_A, PHONE_A)
    await a.disconnect()
    incoming = await engine.inject_message(ID_A, CONTACT, "while you were away")
    assert engine.network.pending(ID_A) == 1
    _, sink = await resume(engine, journal, ID_A)
    await wait_for(lambda: len(sink.events) == 2)
    assert sink.events[1] == MessageSeen(message=incoming)
    assert engine.network.pending(ID_A) == 0


# --- offline sessions ----------------------------------------------------------------


async def test_offline_recipient_gets_the_message_on_reconnect(
    engine: SandboxEngine, pair: list[Linked], journal: list[tuple[str, EngineEvent]]
) -> None:
    (a, sink_a), (b, sink_b) = pair
    await b.disconnect()
    sent = await a.send_text(B, "are you there?")
    await settle()
    assert not sink_a.events  # no DEVICE while B is away
    assert not sink_b.events
    assert engine.network.pending(ID_B) == 1

    b, sink_b = await resume(engine, journal, ID_B)
    await wait_for(lambda: bool(sink_a.of(AckChanged)))
    logged_in, seen = sink_b.events
    assert isinstance(logged_in, LoggedIn)
    assert isinstance(seen, MessageSeen)
    assert seen.message.key == MessageKey(chat_id=A, id=sent.key.id, from_me=False)
    assert sink_a.acks() == [(sent.key, Ack.DEVICE)]
    assert journal.index((ID_B, seen)) < journal.index(
        (ID_A, AckChanged(key=sent.key, ack=Ack.DEVICE))
    )

    # and the READ waits for A while A is away
    await a.disconnect()
    await b.mark_seen(A, [seen.message.key])
    await settle()
    assert engine.network.pending(ID_A) == 1
    _, sink_a = await resume(engine, journal, ID_A)
    await wait_for(lambda: len(sink_a.events) == 2)
    assert sink_a.events[1] == AckChanged(key=sent.key, ack=Ack.READ)


async def test_presence_is_not_queued_for_an_offline_session(
    engine: SandboxEngine, pair: list[Linked], journal: list[tuple[str, EngineEvent]]
) -> None:
    (a, _), (b, _) = pair
    await exchange(pair)
    await b.disconnect()
    await a.set_chat_presence(B, Presence.COMPOSING)
    await a.set_presence(Presence.UNAVAILABLE)
    await settle()
    assert engine.network.pending(ID_B) == 0


async def test_a_logged_out_phone_becomes_a_virtual_contact(
    engine: SandboxEngine, pair: list[Linked]
) -> None:
    (a, sink_a), (b, _) = pair
    await b.disconnect()
    await a.send_text(B, "queued")
    await settle()
    assert engine.network.pending(ID_B) == 1
    await b.logout()
    assert engine.network.pending(ID_B) == 0
    sent = await a.send_text(B, "to the phone")
    await wait_for(lambda: bool(sink_a.of(AckChanged)))
    assert sink_a.acks() == [(sent.key, Ack.DEVICE)]
    await engine.inject_message(ID_A, PHONE_B, "from the phone itself")


async def test_forget_drops_the_mailbox(engine: SandboxEngine, pair: list[Linked]) -> None:
    (a, _), (b, _) = pair
    await b.disconnect()
    await a.send_text(B, "queued")
    await settle()
    await engine.forget(ID_B)
    assert engine.network.pending(ID_B) == 0
    assert engine.network.account_of(ID_B) is None


# --- readiness and chat ids ----------------------------------------------------------


async def test_messaging_needs_a_linked_connected_session(
    engine: SandboxEngine, journal: list[tuple[str, EngineEvent]]
) -> None:
    sink = Recorder(journal, ID_A)
    session = await engine.open_session(ID_A, sink)
    key = MessageKey(chat_id=B, id="3EB00000000000000001", from_me=False)
    calls: list[Callable[[], Any]] = [
        lambda: session.send_text(B, "hi"),
        lambda: session.mark_seen(B, [key]),
        lambda: session.react(key, "👍"),
        lambda: session.star(key, True),
        lambda: session.set_chat_presence(B, Presence.COMPOSING),
        lambda: session.set_presence(Presence.AVAILABLE),
        lambda: session.get_presence(B),
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
    assert session.online
    sent = await session.send_text(B, "now")
    assert sent.ack is Ack.SERVER
    await session.disconnect()
    await refused()  # disconnected


async def test_a_lid_chat_id_resolves_to_its_phone(
    engine: SandboxEngine, pair: list[Linked]
) -> None:
    (a, sink_a), (_, sink_b) = pair
    lid_b = engine.network.phone(PHONE_B).lid
    sent = await a.send_text(lid_b, "via lid")
    assert sent.key.chat_id == lid_b
    await wait_for(lambda: bool(sink_a.of(AckChanged)))
    assert sink_a.acks() == [(sent.key, Ack.DEVICE)]
    (seen,) = sink_b.of(MessageSeen)
    assert seen.message.key == MessageKey(chat_id=A, id=sent.key.id, from_me=False)
    assert seen.message.recipient == B


@pytest.mark.parametrize(
    "chat_id", [GROUP, "120363000000000002@newsletter", "123456789012345@lid", A]
)
async def test_undeliverable_chats_stay_at_server(
    engine: SandboxEngine, pair: list[Linked], chat_id: str
) -> None:
    (a, sink_a), (_, sink_b) = pair
    sent = await a.send_text(chat_id, "nobody gets this")
    assert sent.ack is Ack.SERVER
    assert sent.recipient == chat_id
    await a.react(sent.key, "👍")
    await a.set_chat_presence(chat_id, Presence.COMPOSING)
    await settle()
    assert not sink_a.events
    assert not sink_b.events


async def test_a_malformed_phone_chat_id_is_refused(pair: list[Linked]) -> None:
    (a, _), _ = pair
    with pytest.raises(InvalidParamError):
        await a.send_text("not-a-phone@c.us", "hi")


async def test_every_device_of_the_account_sees_the_message(
    engine: SandboxEngine, pair: list[Linked], journal: list[tuple[str, EngineEvent]]
) -> None:
    (a, sink_a), (_, sink_b) = pair
    _, sink_a2 = await link(engine, journal, "AAAAAAAAAAA2", PHONE_A)
    sent = await a.send_text(B, "from device 1")
    await wait_for(lambda: len(sink_a2.events) == 2)
    own_copy, ack = sink_a2.events
    assert isinstance(own_copy, MessageSeen)
    assert own_copy.message.key == sent.key
    assert ack == AckChanged(key=sent.key, ack=Ack.DEVICE)
    await wait_for(lambda: bool(sink_a.of(AckChanged)))
    assert not sink_a.of(MessageSeen)
    assert len(sink_b.of(MessageSeen)) == 1


async def test_sending_from_inside_the_sink(
    engine: SandboxEngine, pair: list[Linked], journal: list[tuple[str, EngineEvent]]
) -> None:
    """An auto-reply sent by the sink while it handles a message (on the worker)."""
    (a, sink_a), (b, sink_b) = pair
    original = sink_b.__call__

    async def auto_reply(event: EngineEvent) -> None:
        await original(event)
        if isinstance(event, MessageSeen) and not event.message.key.from_me:
            await b.send_text(event.message.sender, "auto: got it")

    b._sink = auto_reply
    await a.send_text(B, "ping")
    await wait_for(lambda: bool(sink_a.of(MessageSeen)) and bool(sink_b.of(AckChanged)))
    assert sink_a.of(MessageSeen)[0].message.body == "auto: got it"
