"""The sandbox network: every message kind, poll votes, event answers and statuses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sandbox_support import MemoryDeviceStore, settle, wait_for
from wagate.domain.content import (
    Audio,
    ContactCard,
    Contacts,
    Content,
    Document,
    EventInvite,
    EventResponse,
    Image,
    LinkPreview,
    ListMessage,
    ListRow,
    ListSection,
    Location,
    MediaBlob,
    Poll,
    StatusText,
    Video,
)
from wagate.domain.events import (
    AckChanged,
    EngineEvent,
    EventResponseFailed,
    EventResponseReceived,
    LoggedIn,
    MessageSeen,
    PollVoteFailed,
    PollVoteReceived,
)
from wagate.domain.messages import Ack, Message, MessageKey
from wagate.engines.sandbox import SandboxEngine, SandboxSession
from wagate.errors import InvalidParamError, SessionNotReadyError

ID_A = "AAAAAAAAAAAA"
ID_B = "BBBBBBBBBBBB"
ID_D = "DDDDDDDDDDDD"
PHONE_A = "447441429001"
PHONE_B = "447441429002"
PHONE_D = "447441429004"
CONTACT = "15550100000"
OTHER_CONTACT = "15550100001"
A = f"{PHONE_A}@c.us"
B = f"{PHONE_B}@c.us"
C = f"{CONTACT}@c.us"
GROUP = "120363000000000001@g.us"
STATUS = "status@broadcast"

ALL_BYTES = bytes(range(256)) * 64
IMAGE = Image(media=MediaBlob(data=ALL_BYTES, mimetype="image/jpeg"), caption="a picture")
POLL = Poll(name="Lunch?", options=("pizza", "sushi", "salad"))
MULTI_POLL = Poll(name="Toppings", options=("ham", "olives", "basil"), multiple_answers=True)
EVENT = EventInvite(name="Launch party", start_time=1_900_000_000, location="Rooftop")

KINDS: dict[str, tuple[Content, str]] = {
    "image": (IMAGE, "a picture"),
    "image-no-caption": (Image(media=MediaBlob(data=b"\xff\xd8", mimetype="image/jpeg")), ""),
    "video": (
        Video(media=MediaBlob(data=b"\x00\x00\x00\x18ftyp", mimetype="video/mp4"), caption="clip"),
        "clip",
    ),
    "document": (
        Document(
            media=MediaBlob(data=b"%PDF-1.7", mimetype="application/pdf", filename="a.pdf"),
            caption="the report",
        ),
        "the report",
    ),
    "voice": (Audio(media=MediaBlob(data=b"OggS", mimetype="audio/ogg"), seconds=3), ""),
    "audio": (Audio(media=MediaBlob(data=b"ID3", mimetype="audio/mpeg"), voice=False), ""),
    "location": (Location(latitude=51.5, longitude=-0.12, name="London"), "London"),
    "location-unnamed": (Location(latitude=1.0, longitude=2.0), ""),
    "poll": (POLL, "Lunch?"),
    "contacts": (
        Contacts(
            cards=(
                ContactCard(display_name="Ann", vcard="BEGIN:VCARD\nFN:Ann\nEND:VCARD"),
                ContactCard(display_name="Ben", vcard="BEGIN:VCARD\nFN:Ben\nEND:VCARD"),
            )
        ),
        "Ann, Ben",
    ),
    "link-preview": (
        LinkPreview(text="see https://example.com", url="https://example.com", title="Ex"),
        "see https://example.com",
    ),
    "list": (
        ListMessage(
            title="Menu",
            description="Pick one",
            button="Open",
            sections=(ListSection(title="Mains", rows=(ListRow(title="Soup", row_id="1"),)),),
        ),
        "Pick one",
    ),
    "event": (EVENT, "Launch party"),
}


class Recorder:
    """An EventSink that records events."""

    def __init__(self) -> None:
        self.events: list[EngineEvent] = []

    async def __call__(self, event: EngineEvent, /) -> None:
        self.events.append(event)
        await asyncio.sleep(0)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def seen(self) -> list[Message]:
        return [e.message for e in self.of(MessageSeen)]

    def acks(self) -> list[tuple[MessageKey, Ack]]:
        return [(e.key, e.ack) for e in self.of(AckChanged)]


@pytest.fixture
async def engine() -> AsyncIterator[SandboxEngine]:
    engine = SandboxEngine(MemoryDeviceStore(), qr_rotate_seconds=0)
    yield engine
    await engine.close()


Linked = tuple[SandboxSession, Recorder]


async def link(
    engine: SandboxEngine, instance_id: str, phone: str, push_name: str | None = None
) -> Linked:
    sink = Recorder()
    session = await engine.open_session(instance_id, sink)
    await session.connect()
    await wait_for(lambda: session.waiting_for_link)
    await engine.scan(instance_id, phone, push_name)
    sink.events.clear()
    return session, sink


async def resume(engine: SandboxEngine, instance_id: str) -> Linked:
    sink = Recorder()
    session = await engine.open_session(instance_id, sink)
    await session.connect()
    await wait_for(lambda: bool(sink.of(LoggedIn)))
    return session, sink


@pytest.fixture
async def pair(engine: SandboxEngine) -> list[Linked]:
    """Two linked sessions, Alice (A) and Bob (B)."""
    return [await link(engine, ID_A, PHONE_A, "Alice"), await link(engine, ID_B, PHONE_B, "Bob")]


async def deliver(pair: list[Linked], content: Content) -> tuple[Message, Message]:
    """A sends B ``content``; (as sent, as B received it) once A has DEVICE."""
    (a, sink_a), (_, sink_b) = pair
    sent = await a.send_message(B, content)
    await wait_for(lambda: (sent.key, Ack.DEVICE) in sink_a.acks())
    (seen,) = [m for m in sink_b.seen() if m.key.id == sent.key.id]
    return sent, seen


# --- every kind ------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "body"), KINDS.values(), ids=KINDS.keys())
async def test_each_kind_is_delivered(pair: list[Linked], content: Content, body: str) -> None:
    sent, seen = await deliver(pair, content)
    assert sent.key == MessageKey(chat_id=B, id=sent.key.id, from_me=True)
    assert (sent.sender, sent.recipient, sent.body, sent.ack) == (A, B, body, Ack.SERVER)
    assert sent.content is content
    assert sent.source == "api"
    assert seen.key == MessageKey(chat_id=A, id=sent.key.id, from_me=False)
    assert (seen.sender, seen.recipient, seen.body, seen.ack) == (A, B, body, Ack.DEVICE)
    assert seen.content == content
    assert seen.push_name == "Alice"
    assert seen.media_id is None


async def test_media_bytes_arrive_intact(pair: list[Linked]) -> None:
    _, seen = await deliver(pair, IMAGE)
    assert isinstance(seen.content, Image)
    assert seen.content.media.data == ALL_BYTES
    assert seen.content.media.mimetype == "image/jpeg"


async def test_a_reply_with_content_and_mentions(pair: list[Linked]) -> None:
    (_, sink_a), (b, _) = pair
    first, seen_first = await deliver(pair, POLL)
    reply = await b.send_message(A, IMAGE, reply_to=seen_first.key, mentions=[A])
    assert reply.reply_to == seen_first.key.serialized
    await wait_for(lambda: bool(sink_a.seen()))
    (got,) = sink_a.seen()
    assert got.key == MessageKey(chat_id=B, id=reply.key.id, from_me=False)
    assert got.reply_to == first.key.serialized
    assert got.mentions == (A,)
    assert got.content == IMAGE


async def test_every_device_of_the_sender_sees_the_content(
    engine: SandboxEngine, pair: list[Linked]
) -> None:
    (a, _), _ = pair
    _, sink_a2 = await link(engine, "AAAAAAAAAAA2", PHONE_A)
    sent = await a.send_message(B, POLL)
    await wait_for(lambda: bool(sink_a2.seen()))
    (own_copy,) = sink_a2.seen()
    assert own_copy.key == sent.key
    assert own_copy.content == POLL


async def test_a_poll_with_repeated_options_is_refused(pair: list[Linked]) -> None:
    (a, _), _ = pair
    with pytest.raises(InvalidParamError):
        await a.send_message(B, Poll(name="?", options=("x", "x")))


async def test_kinds_need_a_connected_session(engine: SandboxEngine) -> None:
    session = await engine.open_session(ID_A, Recorder())
    key = MessageKey(chat_id=B, id="3EB00000000000000001", from_me=False)
    status = MessageKey(chat_id=STATUS, id="3EB00000000000000002", from_me=True)
    with pytest.raises(SessionNotReadyError):
        await session.send_message(B, IMAGE)
    with pytest.raises(SessionNotReadyError):
        await session.vote_poll(key, ["pizza"])
    with pytest.raises(SessionNotReadyError):
        await session.post_status(StatusText(text="hi"))
    with pytest.raises(SessionNotReadyError):
        await session.delete_status(status)


# --- polls between sessions ------------------------------------------------------------


async def test_a_session_votes_on_a_poll(pair: list[Linked]) -> None:
    (_, sink_a), (b, _) = pair
    sent, seen = await deliver(pair, POLL)

    vote = await b.vote_poll(seen.key, ["sushi"])
    assert vote.key.chat_id == A
    assert vote.key.from_me
    assert vote.key.id != sent.key.id
    assert (vote.sender, vote.recipient, vote.body, vote.content) == (B, A, "", None)
    assert vote.ack is Ack.SERVER
    await wait_for(lambda: bool(sink_a.of(PollVoteReceived)))
    (got,) = sink_a.of(PollVoteReceived)
    assert got.poll == sent.key  # as A names it: chat = B, from_me
    assert (got.voter, got.selected) == (B, ("sushi",))
    assert isinstance(got.timestamp, int)

    await b.vote_poll(seen.key, [])  # retracts
    await wait_for(lambda: len(sink_a.of(PollVoteReceived)) == 2)
    assert sink_a.of(PollVoteReceived)[1].selected == ()


async def test_single_answer_and_unknown_options(pair: list[Linked]) -> None:
    (_, sink_a), (b, _) = pair
    _, seen = await deliver(pair, POLL)
    with pytest.raises(InvalidParamError, match="pasta") as info:
        await b.vote_poll(seen.key, ["pasta"])
    assert info.value.details == {"option": "pasta"}
    with pytest.raises(InvalidParamError, match="single answer"):
        await b.vote_poll(seen.key, ["pizza", "salad"])
    await b.vote_poll(seen.key, ["salad", "salad"])  # the same option once
    await wait_for(lambda: bool(sink_a.of(PollVoteReceived)))
    assert sink_a.of(PollVoteReceived)[0].selected == ("salad",)


async def test_multiple_answers_come_in_the_polls_order(pair: list[Linked]) -> None:
    (_, sink_a), (b, _) = pair
    _, seen = await deliver(pair, MULTI_POLL)
    await b.vote_poll(seen.key, ["basil", "ham"])
    await wait_for(lambda: bool(sink_a.of(PollVoteReceived)))
    assert sink_a.of(PollVoteReceived)[0].selected == ("ham", "basil")


async def test_the_author_votes_on_its_own_poll(pair: list[Linked]) -> None:
    (a, _), (_, sink_b) = pair
    sent, seen = await deliver(pair, POLL)
    await a.vote_poll(sent.key, ["pizza"])
    await wait_for(lambda: bool(sink_b.of(PollVoteReceived)))
    (got,) = sink_b.of(PollVoteReceived)
    assert got.poll == seen.key  # as B names it: chat = A, not from_me
    assert (got.voter, got.selected) == (A, ("pizza",))


async def test_a_vote_must_name_a_known_poll_of_the_chat(pair: list[Linked]) -> None:
    (a, _), (b, _) = pair
    sent, seen = await deliver(pair, POLL)
    text = await a.send_text(B, "not a poll")
    with pytest.raises(InvalidParamError):
        await b.vote_poll(MessageKey(chat_id=A, id=text.key.id, from_me=False), ["pizza"])
    with pytest.raises(InvalidParamError):
        await b.vote_poll(sent.key, ["pizza"])  # A's name for it, not B's
    with pytest.raises(InvalidParamError):
        await b.vote_poll(MessageKey(chat_id=C, id=seen.key.id, from_me=False), ["pizza"])
    with pytest.raises(InvalidParamError):
        await b.vote_poll(MessageKey(chat_id=A, id="3EB0FFFFFFFFFFFFFFFF", from_me=False), [])


async def test_a_poll_in_a_group_takes_its_authors_vote(pair: list[Linked]) -> None:
    (a, sink_a), (_, sink_b) = pair
    sent = await a.send_message(GROUP, POLL)
    vote = await a.vote_poll(sent.key, ["salad"])
    assert vote.key.chat_id == GROUP
    await settle()
    assert not sink_a.events
    assert not sink_b.events


async def test_a_vote_waits_for_an_offline_author(
    engine: SandboxEngine, pair: list[Linked]
) -> None:
    (a, _), (b, _) = pair
    sent, seen = await deliver(pair, POLL)
    await a.disconnect()
    await b.vote_poll(seen.key, ["pizza"])
    await settle()
    assert engine.network.pending(ID_A) == 1
    _, sink_a = await resume(engine, ID_A)
    await wait_for(lambda: bool(sink_a.of(PollVoteReceived)))
    assert sink_a.of(PollVoteReceived)[0].poll == sent.key


# --- polls with virtual contacts --------------------------------------------------------


async def test_a_contact_votes_on_the_sessions_poll(engine: SandboxEngine) -> None:
    a, sink_a = await link(engine, ID_A, PHONE_A)
    sent = await a.send_message(C, MULTI_POLL)
    await wait_for(lambda: bool(sink_a.acks()))

    await engine.contact_vote(ID_A, CONTACT, sent.key, ["olives", "ham"])
    (got,) = sink_a.of(PollVoteReceived)
    assert got == PollVoteReceived(
        poll=sent.key, voter=C, selected=("ham", "olives"), timestamp=got.timestamp
    )
    await engine.contact_vote(ID_A, C, sent.key, [])
    assert sink_a.of(PollVoteReceived)[-1].selected == ()

    with pytest.raises(InvalidParamError, match="pepper"):
        await engine.contact_vote(ID_A, CONTACT, sent.key, ["pepper"])
    with pytest.raises(InvalidParamError):  # not in the chat with this contact
        await engine.contact_vote(ID_A, OTHER_CONTACT, sent.key, ["ham"])
    unknown = MessageKey(chat_id=C, id="3EB0FFFFFFFFFFFFFFFF", from_me=True)
    with pytest.raises(InvalidParamError):
        await engine.contact_vote(ID_A, CONTACT, unknown, ["ham"])


async def test_a_contact_single_answer_poll(engine: SandboxEngine) -> None:
    a, sink_a = await link(engine, ID_A, PHONE_A)
    sent = await a.send_message(C, POLL)
    with pytest.raises(InvalidParamError, match="single answer"):
        await engine.contact_vote(ID_A, CONTACT, sent.key, ["pizza", "sushi"])
    await engine.contact_vote(ID_A, CONTACT, sent.key, ["sushi"])
    assert sink_a.of(PollVoteReceived)[0].selected == ("sushi",)


async def test_a_contacts_poll(engine: SandboxEngine) -> None:
    a, sink_a = await link(engine, ID_A, PHONE_A)
    incoming = await engine.inject_message(ID_A, CONTACT, content=POLL)
    assert (incoming.body, incoming.content) == ("Lunch?", POLL)
    assert sink_a.seen() == [incoming]

    vote = await a.vote_poll(incoming.key, ["pizza"])  # the contact is a phone: nobody told
    assert vote.key.chat_id == C
    await engine.contact_vote(ID_A, CONTACT, incoming.key, ["salad"])
    (got,) = sink_a.of(PollVoteReceived)
    assert got.poll == incoming.key  # chat = C, not from_me
    assert (got.voter, got.selected) == (C, ("salad",))


async def test_an_undecryptable_vote(engine: SandboxEngine) -> None:
    a, sink_a = await link(engine, ID_A, PHONE_A)
    sent = await a.send_message(C, POLL)
    await engine.contact_vote_undecryptable(ID_A, CONTACT, sent.key)
    (failed,) = sink_a.of(PollVoteFailed)
    assert failed.poll == sent.key
    assert (failed.voter, failed.reason) == (C, "The vote could not be decrypted")
    assert isinstance(failed.timestamp, int)
    with pytest.raises(InvalidParamError):
        await engine.contact_vote_undecryptable(ID_A, OTHER_CONTACT, sent.key)


# --- event invitations ------------------------------------------------------------------


async def test_a_contact_answers_an_event(engine: SandboxEngine) -> None:
    a, sink_a = await link(engine, ID_A, PHONE_A)
    sent = await a.send_message(C, EVENT)
    await engine.contact_event_response(ID_A, CONTACT, sent.key, EventResponse.GOING)
    (got,) = sink_a.of(EventResponseReceived)
    assert got.event == sent.key
    assert (got.responder, got.response) == (C, EventResponse.GOING)
    await engine.contact_event_response(ID_A, CONTACT, sent.key, EventResponse.MAYBE)
    assert sink_a.of(EventResponseReceived)[-1].response is EventResponse.MAYBE

    await engine.contact_event_response_undecryptable(ID_A, CONTACT, sent.key)
    (failed,) = sink_a.of(EventResponseFailed)
    assert failed.event == sent.key
    assert (failed.responder, failed.reason) == (C, "The response could not be decrypted")


async def test_an_answer_must_name_an_event_the_session_sent_the_contact(
    engine: SandboxEngine,
) -> None:
    a, _ = await link(engine, ID_A, PHONE_A)
    event = await a.send_message(C, EVENT)
    poll = await a.send_message(C, POLL)
    text = await a.send_text(C, "hi")
    other = await a.send_message(f"{OTHER_CONTACT}@c.us", EVENT)
    incoming = await engine.inject_message(ID_A, CONTACT, content=EVENT)
    for key in (poll.key, text.key, other.key, incoming.key):
        with pytest.raises(InvalidParamError):
            await engine.contact_event_response(ID_A, CONTACT, key, EventResponse.GOING)
        with pytest.raises(InvalidParamError):
            await engine.contact_event_response_undecryptable(ID_A, CONTACT, key)
    with pytest.raises(InvalidParamError):  # a poll is no event, nor an event a poll
        await engine.contact_vote(ID_A, CONTACT, event.key, [])


# --- virtual contacts send content ------------------------------------------------------


async def test_a_contact_sends_content(engine: SandboxEngine) -> None:
    _, sink_a = await link(engine, ID_A, PHONE_A)
    place = Location(latitude=48.85, longitude=2.35, name="Paris", address="France")
    incoming = await engine.inject_message(ID_A, CONTACT, content=place, push_name="Carol")
    assert sink_a.seen() == [incoming]
    assert (incoming.sender, incoming.body, incoming.content) == (C, "Paris", place)
    assert incoming.push_name == "Carol"

    photo = await engine.inject_message(ID_A, CONTACT, "my own text", content=IMAGE)
    assert photo.body == "my own text"
    assert isinstance(photo.content, Image)
    assert photo.content.media.data == ALL_BYTES
    with pytest.raises(InvalidParamError):
        await engine.inject_message(ID_A, CONTACT)


# --- statuses ---------------------------------------------------------------------------


async def test_a_status_reaches_the_sessions_we_have_a_chat_with(
    engine: SandboxEngine, pair: list[Linked]
) -> None:
    (a, _), (_, sink_b) = pair
    _, sink_d = await link(engine, ID_D, PHONE_D)  # no chat with A
    _, sink_a2 = await link(engine, "AAAAAAAAAAA2", PHONE_A)
    await deliver(pair, POLL)
    text = StatusText(text="hello world", background_color="#ff0000", font=2)

    posted = await a.post_status(text)
    assert posted.key.chat_id == STATUS
    assert posted.key.from_me
    assert (posted.sender, posted.recipient, posted.body) == (A, STATUS, "hello world")
    assert posted.content is text
    await wait_for(lambda: len(sink_b.seen()) == 2)
    status = sink_b.seen()[1]
    assert status.key == MessageKey(chat_id=STATUS, id=posted.key.id, from_me=False)
    assert (status.sender, status.participant, status.recipient) == (A, A, STATUS)
    assert status.content == text
    assert status.push_name == "Alice"
    await wait_for(lambda: len(sink_a2.seen()) == 2)
    assert sink_a2.seen()[1].key == posted.key  # our other device sees it as sent
    await settle()
    assert not sink_d.events

    photo = await a.post_status(IMAGE)
    assert photo.body == "a picture"
    await wait_for(lambda: len(sink_b.seen()) == 3)
    received = sink_b.seen()[2].content
    assert isinstance(received, Image)
    assert received.media.data == ALL_BYTES


async def test_a_status_for_chosen_recipients(engine: SandboxEngine, pair: list[Linked]) -> None:
    (a, _), (_, sink_b) = pair
    _, sink_d = await link(engine, ID_D, PHONE_D)  # no chat with A, but chosen
    await deliver(pair, POLL)
    posted = await a.post_status(StatusText(text="for D"), recipients=[f"{PHONE_D}@c.us", A, GROUP])
    await wait_for(lambda: bool(sink_d.seen()))
    (status,) = sink_d.seen()
    assert status.key == MessageKey(chat_id=STATUS, id=posted.key.id, from_me=False)
    assert status.participant == A
    await settle()
    assert len(sink_b.seen()) == 1  # just the poll


async def test_status_kinds(pair: list[Linked]) -> None:
    (a, _), _ = pair
    voice = Audio(media=MediaBlob(data=b"OggS", mimetype="audio/ogg"))
    video = Video(media=MediaBlob(data=b"ftyp", mimetype="video/mp4"), caption="look")
    assert (await a.post_status(voice)).body == ""
    assert (await a.post_status(video)).body == "look"
    for content in (POLL, EVENT, Location(latitude=0, longitude=0)):
        with pytest.raises(InvalidParamError):
            await a.post_status(content)


async def test_delete_status(engine: SandboxEngine, pair: list[Linked]) -> None:
    (a, _), (b, sink_b) = pair
    await deliver(pair, POLL)
    posted = await a.post_status(StatusText(text="soon gone"))
    await wait_for(lambda: len(sink_b.seen()) == 2)
    seen = sink_b.seen()[1]

    with pytest.raises(InvalidParamError, match="not one of this account's statuses"):
        await b.delete_status(seen.key)  # A's status, as B names it
    with pytest.raises(InvalidParamError, match="not one of this account's statuses"):
        await b.delete_status(posted.key)
    await a.delete_status(posted.key)
    assert engine.network.statuses(PHONE_A) == set()
    with pytest.raises(InvalidParamError, match="not one of this account's statuses"):
        await a.delete_status(posted.key)  # gone
    with pytest.raises(InvalidParamError):
        await a.delete_status(MessageKey(chat_id=STATUS, id="3EB0FFFFFFFFFFFFFFFF", from_me=True))
    sent, _ = await deliver(pair, POLL)
    with pytest.raises(InvalidParamError):
        await a.delete_status(sent.key)  # a message, not a status
    await settle()
    assert len(sink_b.seen()) == 3  # nothing more about the deleted status


async def test_a_status_waits_for_an_offline_partner(
    engine: SandboxEngine, pair: list[Linked]
) -> None:
    (a, _), (b, _) = pair
    await deliver(pair, POLL)
    await b.disconnect()
    posted = await a.post_status(StatusText(text="while away"))
    await settle()
    assert engine.network.pending(ID_B) == 1
    _, sink_b = await resume(engine, ID_B)
    await wait_for(lambda: bool(sink_b.seen()))
    assert sink_b.seen()[0].key == MessageKey(chat_id=STATUS, id=posted.key.id, from_me=False)


# --- offline recipients -----------------------------------------------------------------


async def test_an_offline_recipient_gets_queued_kinds_on_reconnect(
    engine: SandboxEngine, pair: list[Linked]
) -> None:
    (a, sink_a), (b, _) = pair
    await b.disconnect()
    contents: list[Content] = [IMAGE, POLL, KINDS["location"][0], KINDS["contacts"][0], EVENT]
    sent = [await a.send_message(B, content) for content in contents]
    await settle()
    assert not sink_a.acks()
    assert engine.network.pending(ID_B) == len(contents)

    _, sink_b = await resume(engine, ID_B)
    await wait_for(lambda: len(sink_a.acks()) == len(contents))
    assert [m.content for m in sink_b.seen()] == contents
    assert [m.key.id for m in sink_b.seen()] == [m.key.id for m in sent]
    assert sink_a.acks() == [(m.key, Ack.DEVICE) for m in sent]
    image = sink_b.seen()[0].content
    assert isinstance(image, Image)
    assert image.media.data == ALL_BYTES
