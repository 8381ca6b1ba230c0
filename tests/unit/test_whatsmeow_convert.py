"""neonize events → domain values, and domain content → neonize protos (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from payloads.neonize_events import (
    BIN_DIR,
    CONTACT,
    CONTACT_LID,
    GROUP,
    ME,
    ME_LID,
    events,
    load_bin,
)
from wagate.domain.content import (
    Audio,
    ContactCard,
    Contacts,
    Document,
    EventInvite,
    Image,
    LinkPreview,
    Location,
    MediaBlob,
    Poll,
    StatusText,
    Video,
    display_text,
)
from wagate.domain.events import (
    AckChanged,
    ConnectionFailed,
    ConnectionLost,
    GroupParticipantsChanged,
    GroupUpdated,
    HistoryReceived,
    LidsLearned,
    LoggedOut,
    MessageSeen,
    PresenceChanged,
    QrCodeChanged,
    ReactionReceived,
)
from wagate.domain.groups import GroupParticipant
from wagate.domain.messages import Ack, Message, MessageKey, Presence
from wagate.engines.whatsmeow import convert as cv
from wagate.engines.whatsmeow import outgoing as og
from wagate.engines.whatsmeow import protos as pb
from wagate.engines.whatsmeow import recorded
from wagate.engines.whatsmeow.convert import E, N

EVENTS = events()


def one(name: str, *, me: str | None = ME, me_lid: str | None = ME_LID) -> Any:
    """The one thing an event converts to (after what it tells of lids, if anything)."""
    out = [x for x in converted(name, me=me, me_lid=me_lid) if not isinstance(x, LidsLearned)]
    assert len(out) == 1, out
    return out[0]


def converted(name: str, *, me: str | None = ME, me_lid: str | None = ME_LID) -> list[Any]:
    return cv.convert_event(EVENTS[name], me=me, me_lid=me_lid)


def learned(name: str) -> list[tuple[str, str]]:
    """The (phone, lid) pairs an event reveals; they come first."""
    out = converted(name)
    pairs = [pair for x in out if isinstance(x, LidsLearned) for pair in x.pairs]
    if pairs:
        assert isinstance(out[0], LidsLearned)
    return pairs


def seen(name: str) -> Message:
    item = one(name)
    assert isinstance(item, MessageSeen)
    return item.message


def pending(name: str) -> cv.MediaPending:
    item = one(name)
    assert isinstance(item, cv.MediaPending)
    assert isinstance(item.seen, MessageSeen)
    return item


# --- ids ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "chat_id"),
    [
        ("s.whatsapp.net", "447700900123@c.us"),
        ("g.us", "447700900123@g.us"),
        ("lid", "447700900123@lid"),
        ("newsletter", "447700900123@newsletter"),
    ],
)
def test_jid_round_trip(server: str, chat_id: str) -> None:
    jid = N.JID(User="447700900123", RawAgent=0, Device=0, Integrator=0, Server=server)
    assert pb.jid_to_chat_id(jid) == chat_id
    back = pb.chat_id_to_jid(chat_id)
    assert (back.User, back.Server, back.Device) == ("447700900123", server, 0)
    back.SerializeToString()  # all required fields set


def test_status_broadcast_and_devices() -> None:
    jid = pb.chat_id_to_jid("status@broadcast")
    assert (jid.User, jid.Server) == ("status", "broadcast")
    assert pb.jid_to_chat_id(jid) == "status@broadcast"
    with_device = N.JID(User="4477", RawAgent=0, Device=12, Integrator=0, Server="s.whatsapp.net")
    assert pb.jid_to_chat_id(with_device) == "4477@c.us"
    assert pb.jid_string_to_chat_id("4477:12@s.whatsapp.net") == "4477@c.us"
    assert pb.chat_id_to_jid_string("4477@c.us") == "4477@s.whatsapp.net"
    assert pb.jid_to_chat_id(N.JID(User="", RawAgent=0, Device=0, Integrator=0, Server="")) == ""


@pytest.mark.parametrize(
    "text", ["4477:12@s.whatsapp.net", "4477@s.whatsapp.net", "4477.1:3@s.whatsapp.net"]
)
def test_device_jids_round_trip_as_whatsmeow_writes_them(text: str) -> None:
    jid = pb.device_jid_from_string(text)
    jid.SerializeToString()  # all required fields set
    assert pb.device_jid_string(jid) == text


def test_recorded_binaries_parse_and_match() -> None:
    bins = sorted(BIN_DIR.glob("*.bin"))
    assert len(bins) == len(EVENTS)
    for path in bins:
        name = path.name.split(".")[0]
        parsed = load_bin(path)
        assert parsed == EVENTS[name]
        assert cv.convert_event(parsed, me=ME) == cv.convert_event(EVENTS[name], me=ME)


# --- messages ---------------------------------------------------------------------------


def test_text() -> None:
    m = seen("text")
    assert m.key == MessageKey(chat_id=CONTACT, id="3EB0AAAAAAAAAAAAAAA1", from_me=False)
    assert m.timestamp == 1_764_000_000  # neonize sends milliseconds
    assert (m.sender, m.recipient, m.body, m.push_name) == (CONTACT, ME, "hello", "Alice")
    assert m.content is None
    assert m.participant is None
    assert m.reply_to is None


def test_own_message_from_the_phone() -> None:
    m = seen("own_text")
    assert m.key.from_me
    assert m.sender == ME
    assert m.recipient == CONTACT
    assert m.ack == Ack.SERVER


def test_reply_and_mentions() -> None:
    m = seen("reply_to_me")
    assert m.reply_to == f"true_{CONTACT}_3EB0ORIGINAL"
    assert m.mentions == (ME,)
    assert seen("reply_to_contact").reply_to == f"false_{CONTACT}_3EB0THEIRS"


def test_group_message_fills_phone_id_from_lid_sender() -> None:
    m = seen("group_text")
    assert m.key.chat_id == GROUP
    assert m.sender == CONTACT
    assert m.participant == CONTACT
    assert m.recipient == GROUP
    p = cv.parties(EVENTS["group_text"].Info.MessageSource)
    assert (p.sender_phone, p.sender_lid) == (CONTACT, CONTACT_LID)
    assert learned("group_text") == [(CONTACT, CONTACT_LID)]


def test_lid_addressed_dm_uses_the_phone_chat() -> None:
    m = seen("lid_dm_text")
    assert m.key.chat_id == CONTACT
    assert m.sender == CONTACT
    assert learned("lid_dm_text") == [(CONTACT, CONTACT_LID)]
    assert learned("text") == []  # a phone-addressed chat tells nothing of lids


def test_image_metadata_and_download_hint() -> None:
    item = pending("image")
    m = item.seen.message
    assert isinstance(m.content, Image)
    assert m.content.media == MediaBlob(data=b"", mimetype="image/jpeg")
    assert (m.content.caption, m.content.width, m.content.height) == ("a photo", 640, 480)
    assert m.body == "a photo"
    assert m.content.thumbnail
    assert item.hint.media_type == "image"
    assert item.hint.file_length == 4
    inner = E.Message.FromString(item.hint.message)
    assert inner.imageMessage.directPath == "/v/t62/fake"


def test_video_and_round_note() -> None:
    video = pending("video").seen.message.content
    assert isinstance(video, Video)
    assert not video.note
    assert video.caption == "a clip"
    note = pending("video_note").seen.message.content
    assert isinstance(note, Video)
    assert note.note
    assert note.seconds == 7


def test_voice_and_audio() -> None:
    voice = pending("voice").seen.message.content
    assert isinstance(voice, Audio)
    assert voice.voice
    assert voice.seconds == 3
    assert voice.waveform == bytes(range(64))
    audio = pending("audio_file").seen.message.content
    assert isinstance(audio, Audio)
    assert not audio.voice


def test_document_with_caption_is_unwrapped() -> None:
    item = pending("document")
    doc = item.seen.message.content
    assert isinstance(doc, Document)
    assert doc.media.filename == "report.pdf"
    assert doc.media.mimetype == "application/pdf"
    assert doc.caption == "the report"
    assert item.hint.file_length == 3000


def test_location() -> None:
    m = seen("location")
    assert m.content == Location(
        latitude=51.5007, longitude=-0.1246, name="Big Ben", address="London SW1A 0AA"
    )
    assert m.body == "Big Ben"


def test_contacts() -> None:
    single = seen("contact").content
    assert isinstance(single, Contacts)
    assert len(single.cards) == 1
    assert single.cards[0].display_name == "Bob"
    assert "waid=447700900456" in single.cards[0].vcard
    many = seen("contacts").content
    assert isinstance(many, Contacts)
    assert [c.display_name for c in many.cards] == ["Bob", "Carol"]


@pytest.mark.parametrize(
    ("name", "multiple"), [("poll_v1", True), ("poll_v2", True), ("poll_v3", False)]
)
def test_polls(name: str, multiple: bool) -> None:
    m = seen(name)
    assert m.content == Poll(name="Lunch?", options=("Pizza", "Sushi"), multiple_answers=multiple)
    assert m.body == "Lunch?"


def test_event_invite() -> None:
    m = seen("event_invite")
    assert m.content == EventInvite(
        name="Launch party",
        start_time=1_764_086_400,
        description="Bring snacks",
        end_time=1_764_090_000,
        location="Office",
        extra_guests_allowed=True,
    )


def test_reaction() -> None:
    r = one("reaction")
    assert r == ReactionReceived(
        key=MessageKey(chat_id=CONTACT, id="3EB0MINE", from_me=True),
        reaction_id="3EB0REACTION000000001",
        sender=CONTACT,
        reaction="👍",
        timestamp=1_764_000_005,
    )


def test_revoke_and_edit() -> None:
    assert one("revoke") == cv.MessageRevoked(
        key=MessageKey(chat_id=CONTACT, id="3EB0GONE", from_me=False),
        by=CONTACT,
        timestamp=1_764_000_000,
    )
    assert one("edit") == cv.MessageEdited(
        key=MessageKey(chat_id=CONTACT, id="3EB0OLD", from_me=False),
        new_body="edited text",
        sender=CONTACT,
        timestamp=1_764_000_060,
    )


def test_unknown_message_content_is_raw() -> None:
    ev = EVENTS["text"].__class__()
    ev.CopyFrom(EVENTS["text"])
    ev.Message.Clear()
    ev.Message.keepInChatMessage.keepType = 1
    item = one_of(ev)
    assert isinstance(item, cv.RawEngineEvent)
    assert item.name == "Message"
    assert item.data["Info"]["ID"] == "3EB0AAAAAAAAAAAAAAA1"


def one_of(ev: Any) -> Any:
    out = cv.convert_event(ev, me=ME)
    assert len(out) == 1
    return out[0]


# --- receipts, presence --------------------------------------------------------------


def test_receipts() -> None:
    out = cv.convert_event(EVENTS["receipt_delivered"])
    assert out == [
        AckChanged(key=MessageKey(chat_id=CONTACT, id=i, from_me=True), ack=Ack.DEVICE)
        for i in ("3EB0A", "3EB0B")
    ]
    assert one("receipt_read_group") == AckChanged(
        key=MessageKey(chat_id=GROUP, id="3EB0A", from_me=True), ack=Ack.READ, by=CONTACT
    )
    assert one("receipt_played").ack == Ack.PLAYED
    assert one("receipt_server_error").ack == Ack.ERROR
    assert cv.convert_event(EVENTS["receipt_read_self"]) == []


def test_presence() -> None:
    assert one("presence_online") == PresenceChanged(
        chat_id=CONTACT, sender=CONTACT, presence=Presence.AVAILABLE
    )
    assert one("presence_offline") == PresenceChanged(
        chat_id=CONTACT, sender=CONTACT, presence=Presence.UNAVAILABLE, last_seen=1_763_999_940
    )
    assert one("typing").presence == Presence.COMPOSING
    assert one("recording").presence == Presence.RECORDING
    assert one("paused").presence == Presence.PAUSED


# --- connection ----------------------------------------------------------------------------


def test_connection_events() -> None:
    assert one("qr") == QrCodeChanged(value="2@code-one,k,a")
    assert cv.qr_value(b"2@abc") == QrCodeChanged(value="2@abc")
    assert cv.convert_event(EVENTS["pair_success"]) == []
    assert cv.convert_event(EVENTS["connected"]) == []
    assert isinstance(one("logged_out"), LoggedOut)
    assert "LOGGED_OUT" in one("logged_out").reason
    replaced = one("stream_replaced")
    assert isinstance(replaced, ConnectionFailed)
    assert "Another client" in replaced.reason
    ban = one("temporary_ban")
    assert isinstance(ban, ConnectionFailed)
    assert "SEND_TO_TOO_MANY_PEOPLE" in ban.reason
    assert "3600" in ban.reason
    failure = one("connect_failure")
    assert isinstance(failure, ConnectionFailed)
    assert "SERVICE_UNAVAILABLE" in failure.reason
    assert isinstance(one("client_outdated"), ConnectionFailed)
    assert isinstance(one("disconnected"), ConnectionLost)
    assert isinstance(one("keepalive_timeout"), ConnectionLost)


def test_calls() -> None:
    assert one("call_offer_video") == cv.CallEvent(
        kind="offer", call_id="CALL0001", from_=CONTACT, is_video=True, timestamp=1_764_000_000
    )
    assert one("call_offer_voice").is_video is False
    assert one("call_accept").kind == "accept"
    end = one("call_terminate")
    assert (end.kind, end.reason) == ("terminate", "timeout")
    assert learned("call_offer_video") == [(CONTACT, CONTACT_LID)]  # callCreatorAlt


def test_unknown_event_is_raw() -> None:
    raw = one("picture")
    assert isinstance(raw, cv.RawEngineEvent)
    assert raw.name == "Picture"
    assert raw.data["JID"]["User"] == "447700900123"


def test_we_joined_a_group_with_its_members_and_roles() -> None:
    joined = one("joined_group")
    assert isinstance(joined, GroupParticipantsChanged)
    assert (joined.group_id, joined.action, joined.by) == (GROUP, "join", CONTACT)
    assert joined.participants == (GroupParticipant(id=ME, lid=ME_LID),)
    group = joined.group
    assert group is not None
    assert (group.subject, group.description, group.owner) == (
        "Shop team",
        "Orders and questions",
        CONTACT,
    )
    assert (group.announce, group.locked, group.created) == (True, False, 1_764_000_000)
    # LID-addressed members: phone ids first, lids beside them
    assert group.participants == (
        GroupParticipant(id=CONTACT, lid=CONTACT_LID, role="admin"),
        GroupParticipant(id=ME, lid=ME_LID),
    )
    assert learned("joined_group") == [(CONTACT, CONTACT_LID), (ME, ME_LID)]


def test_membership_changes_in_a_group() -> None:
    added = one("group_members_added")
    assert isinstance(added, GroupParticipantsChanged)
    assert added.action == "join"
    assert [p.id for p in added.participants] == ["447700900555@c.us", "447700900556@c.us"]
    assert (added.by, added.timestamp) == (CONTACT, 1_764_000_000)
    left = one("group_member_left")
    assert (left.action, left.by) == ("leave", None)  # they left by themselves
    assert [p.id for p in left.participants] == [CONTACT]
    promoted = one("group_promoted")
    assert promoted.action == "promote"
    assert promoted.participants == (GroupParticipant(id="447700900555@c.us", role="admin"),)


def test_group_settings_changes() -> None:
    updated = one("group_settings")
    assert isinstance(updated, GroupUpdated)
    assert updated.changes == {"subject": "New name", "description": "", "announce": False}
    assert (updated.group_id, updated.by) == (GROUP, CONTACT)
    assert updated.raw is not None
    assert updated.raw["Name"]["Name"] == "New name"


def test_channels() -> None:
    post = one("channel_post")
    assert isinstance(post, MessageSeen)
    channel = f"{recorded.CHANNEL}@newsletter"
    assert (post.message.key.chat_id, post.message.sender) == (channel, channel)
    assert post.message.body == "news of the day"
    # following, leaving and muting channels have no Wawp event: engine.event
    left = one("channel_left")
    assert isinstance(left, cv.RawEngineEvent)
    assert (left.name, left.data["Role"]) == ("NewsletterLeave", "SUBSCRIBER")


# --- outgoing --------------------------------------------------------------------------


def test_text_builders() -> None:
    assert og.text_message("hi") == E.Message(conversation="hi")
    ctx = og.context_info(
        quote=og.Quote(id="3EB0Q", participant="4477@s.whatsapp.net"), mentions=["4488@c.us"]
    )
    msg = og.text_message("hi @4488", context=ctx)
    info = msg.extendedTextMessage.contextInfo
    assert msg.extendedTextMessage.text == "hi @4488"
    assert (info.stanzaID, info.participant) == ("3EB0Q", "4477@s.whatsapp.net")
    assert list(info.mentionedJID) == ["4488@s.whatsapp.net"]
    assert og.context_info() is None


def upload() -> Any:
    return N.UploadResponse(
        url="https://mmg/x",
        DirectPath="/x",
        Handle="",
        MediaKey=b"k",
        FileEncSHA256=b"e",
        FileSHA256=b"s",
        FileLength=3,
    )


def test_media_builders() -> None:
    blob = MediaBlob(data=b"abc", mimetype="image/png")
    img = og.media_message(Image(media=blob, caption="c"), upload()).imageMessage
    assert (img.URL, img.directPath, img.mimetype, img.caption, img.fileLength) == (
        "https://mmg/x",
        "/x",
        "image/png",
        "c",
        3,
    )
    note = og.media_message(Video(media=blob, note=True), upload())
    assert note.HasField("ptvMessage")
    voice = og.media_message(Audio(media=blob), upload())
    assert voice.audioMessage.PTT
    doc = og.media_message(
        Document(media=MediaBlob(data=b"x", mimetype="application/pdf", filename="a.pdf")),
        upload(),
    )
    assert doc.documentMessage.fileName == "a.pdf"
    assert og.media_type_of(Document(media=blob)) == "MediaDocument"


def test_other_builders() -> None:
    loc = og.location_message(Location(latitude=1.5, longitude=2.5, name="X"))
    assert loc.locationMessage.degreesLatitude == 1.5
    card = ContactCard(display_name="Bob", vcard="BEGIN:VCARD\nEND:VCARD")
    assert og.contacts_message(Contacts(cards=(card,))).contactMessage.displayName == "Bob"
    assert len(og.contacts_message(Contacts(cards=(card, card))).contactsArrayMessage.contacts) == 2
    single = og.poll_message(Poll(name="Q", options=("a", "b")), secret=b"s" * 32)
    assert single.pollCreationMessageV3.selectableOptionsCount == 1
    assert single.messageContextInfo.messageSecret == b"s" * 32
    multi = og.poll_message(Poll(name="Q", options=("a", "b"), multiple_answers=True), secret=b"")
    assert [o.optionName for o in multi.pollCreationMessage.options] == ["a", "b"]
    react = og.reaction_message(MessageKey(chat_id="4477@c.us", id="X", from_me=True), "❤")
    assert react.reactionMessage.key.remoteJID == "4477@s.whatsapp.net"
    assert react.reactionMessage.key.fromMe
    assert react.reactionMessage.text == "❤"
    event = og.event_message(EventInvite(name="E", start_time=10, location="Here"), secret=b"x")
    assert event.eventMessage.location.name == "Here"
    assert event.eventMessage.startTime == 10
    status = og.status_text_message(StatusText(text="hi", background_color="#102030"))
    assert status.extendedTextMessage.backgroundArgb == 0xFF102030
    lp = og.link_preview_message(LinkPreview(text="see https://x.y", url="https://x.y"))
    assert lp.extendedTextMessage.matchedText == "https://x.y"
    assert display_text(Poll(name="Q", options=("a",))) == "Q"


def test_history_sync_becomes_stored_messages_not_news() -> None:
    ev = recorded.history_sync(["hi", "hello back"])
    (history,) = cv.convert_event(ev, me=f"{recorded.ME_PHONE}@c.us")
    assert isinstance(history, HistoryReceived)
    theirs, ours = history.messages
    contact = f"{recorded.CONTACT_PHONE}@c.us"
    assert (theirs.key.from_me, theirs.sender, theirs.body) == (False, contact, "hi")
    assert (ours.key.from_me, ours.recipient, ours.body) == (True, contact, "hello back")
    assert theirs.ack is Ack.READ
    assert theirs.push_name == "Alice"
    assert theirs.raw is not None
    assert cv.convert_event(recorded.history_sync([])) == []
