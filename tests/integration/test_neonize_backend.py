"""NeonizeBackend on the fake neonize client (in-process), plus the real library."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from neonize_support import Recorder, Started, backend_config, build, calls_of, worker_session
from neonize_support import linked as linked_to
from wagate.domain.chats import ChatChange
from wagate.domain.contacts import Contact, Profile
from wagate.domain.content import Image, MediaBlob, Poll
from wagate.domain.events import (
    ConnectionFailed,
    LoggedIn,
    MessageSeen,
    PollVoteReceived,
    QrCodeChanged,
)
from wagate.domain.messages import Ack, MessageKey, Presence
from wagate.domain.models import Me
from wagate.engines.whatsmeow import fake, recorded
from wagate.engines.whatsmeow.backend import BackendConfig
from wagate.engines.whatsmeow.library import library_version
from wagate.engines.whatsmeow.neonize_backend import OFFLINE_PREFIX, NeonizeBackend
from wagate.engines.whatsmeow.protos import quiet_neonize_import
from wagate.errors import (
    InvalidParamError,
    NotSupportedError,
    SessionNotReadyError,
    UpstreamError,
)

PHONE = recorded.ME_PHONE
ME = Me(
    id=f"{PHONE}@c.us",
    lid=f"{recorded.ME_LID}@lid",
    push_name="Wagate Test",
    jid=f"{PHONE}:{recorded.ME_DEVICE}@s.whatsapp.net",
)
CONTACT = f"{recorded.CONTACT_PHONE}@c.us"
CONTACT_JID = f"{recorded.CONTACT_PHONE}@s.whatsapp.net"
CONTACT_LID = f"{recorded.CONTACT_LID}@lid"
STRANGER = "447700900999@c.us"  # on WhatsApp, not in the contact store
GROUP = f"{recorded.GROUP}@g.us"


@pytest.fixture
def config(tmp_path: Path) -> BackendConfig:
    return backend_config(tmp_path, "ABCDEFGHIJKL")


def read(path: str) -> str:
    return Path(path).read_text()


def write(path: str, text: str) -> None:
    Path(path).write_text(text)


def exists(path: str) -> bool:
    return Path(path).exists()


async def linked(config: BackendConfig) -> Started:
    return await linked_to(config, PHONE)


async def test_connect_shows_a_qr_code(config: BackendConfig) -> None:
    backend, rec = build(config)
    await backend.connect()
    await rec.wait(lambda: bool(rec.of(QrCodeChanged)))
    assert rec.of(QrCodeChanged)[0].value.startswith("2@fake-qr-ABCDEFGHIJKL-1,")
    client = backend.fake
    assert client.props.os == "wagate"  # not "Neonize"
    assert client.props.platformType == client.props.CHROME
    assert os.environ["NEONIZE_BOT_TAG"] == "off"
    assert {"Message", "Receipt", "Connected", "LoggedOut"} <= set(client.event.handlers)
    await backend.disconnect()


async def test_scan_logs_in_and_a_restart_resumes(config: BackendConfig) -> None:
    backend, rec = await linked(config)
    assert rec.of(LoggedIn) == [LoggedIn(me=ME)]
    assert json.loads(read(config.device_store))["phone"] == PHONE
    await backend.disconnect()

    again, rec2 = build(config)
    await again.connect()
    await rec2.wait(lambda: bool(rec2.of(LoggedIn)))
    assert rec2.of(QrCodeChanged) == []
    assert rec2.of(LoggedIn) == [LoggedIn(me=ME)]
    await again.disconnect()


async def test_incoming_media_is_downloaded_and_order_is_kept(config: BackendConfig) -> None:
    backend, rec = await linked(config)
    backend.fake.download_delay = 0.2
    image_id = await backend.fake_incoming("image", data=b"\x89PNG-bytes", caption="look")
    text_id = await backend.fake_incoming("text", body="after the image")
    await rec.wait(lambda: len(rec.of(MessageSeen)) == 2)
    first, second = (e.message for e in rec.of(MessageSeen))
    assert first.key == MessageKey(chat_id=CONTACT, id=image_id, from_me=False)
    assert isinstance(first.content, Image)
    assert first.content.media.data == b"\x89PNG-bytes"
    assert first.content.caption == "look"
    assert first.recipient == ME.id
    assert second.key.id == text_id
    assert second.body == "after the image"
    await backend.disconnect()


async def test_a_failed_download_still_reports_the_message(config: BackendConfig) -> None:
    backend, rec = await linked(config)
    backend.fake.fail["download_any"] = "failed to download media: 410 gone"
    await backend.fake_incoming("image")
    await rec.wait(lambda: bool(rec.of(MessageSeen)))
    content = rec.of(MessageSeen)[0].message.content
    assert isinstance(content, Image)
    assert content.media.data == b""
    await backend.disconnect()


async def test_send_text_builds_a_reply_with_mentions(config: BackendConfig) -> None:
    backend, rec = await linked(config)
    quoted = await backend.fake_incoming("text", body="original")
    await rec.wait(lambda: bool(rec.of(MessageSeen)))
    key = MessageKey(chat_id=CONTACT, id=quoted, from_me=False)
    sent = await backend.send_text(CONTACT, "hi @4488", reply_to=key, mentions=["4488776655@c.us"])

    to, proto = backend.fake.sent[-1]
    assert (to.User, to.Server) == (recorded.CONTACT_PHONE, "s.whatsapp.net")
    ext = proto.extendedTextMessage
    assert ext.text == "hi @4488"
    assert ext.contextInfo.stanzaID == quoted
    assert ext.contextInfo.participant == f"{recorded.CONTACT_PHONE}@s.whatsapp.net"
    assert ext.contextInfo.quotedMessage.conversation == "original"
    assert list(ext.contextInfo.mentionedJID) == ["4488776655@s.whatsapp.net"]
    assert sent.key.from_me
    assert sent.key.chat_id == CONTACT
    assert sent.ack == Ack.SERVER
    assert sent.sender == ME.id
    assert sent.reply_to == key.serialized
    assert sent.source == "api"

    plain = await backend.send_text(CONTACT, "plain", reply_to=None, mentions=())
    assert backend.fake.sent[-1][1].conversation == "plain"
    assert plain.key.id != sent.key.id
    await backend.disconnect()


async def test_send_image_uploads_then_sends(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    content = Image(media=MediaBlob(data=b"img-bytes", mimetype="image/png"), caption="cap")
    sent = await backend.send_message(CONTACT, content, reply_to=None, mentions=())
    data, media_type = backend.fake.uploads[0]
    assert data == b"img-bytes"
    assert media_type.name == "MediaImage"
    img = backend.fake.sent[-1][1].imageMessage
    assert img.caption == "cap"
    assert img.mimetype == "image/png"
    assert img.fileLength == len(b"img-bytes")
    assert img.directPath.startswith("/fake/upload/")
    assert sent.body == "cap"
    assert sent.content == content
    await backend.disconnect()


async def test_poll_send_vote_and_decrypted_votes(config: BackendConfig) -> None:
    backend, rec = await linked(config)
    poll = await backend.send_message(
        CONTACT, Poll(name="Lunch?", options=("Pizza", "Sushi")), reply_to=None, mentions=()
    )
    sent_poll = backend.fake.sent[-1][1]
    assert sent_poll.pollCreationMessageV3.name == "Lunch?"
    assert len(sent_poll.messageContextInfo.messageSecret) == 32

    await backend.vote_poll(poll.key, ["Sushi"])
    vote = backend.fake.sent[-1][1]
    assert poll.key.id == vote.pollUpdateMessage.pollCreationMessageKey.ID
    with pytest.raises(InvalidParamError):
        await backend.vote_poll(poll.key, ["Tacos"])

    # the contact votes: the fake "encrypts" with JSON, decrypt_poll_vote reverses it
    backend.fake.deliver(recorded.message_event(vote, msg_id="3EB0VOTE"))
    await rec.wait(lambda: bool(rec.of(PollVoteReceived)))
    got = rec.of(PollVoteReceived)[0]
    assert got.poll.id == poll.key.id
    assert got.selected == ("Sushi",)
    assert got.voter == CONTACT
    await backend.disconnect()


async def test_other_operations_reach_the_client(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    fake_client = backend.fake
    key = MessageKey(chat_id=CONTACT, id="3EB0X", from_me=False)
    await backend.mark_seen(CONTACT, [key], participant=None)
    await backend.set_chat_presence(CONTACT, Presence.RECORDING)
    await backend.set_presence(Presence.AVAILABLE)
    assert await backend.get_presence(CONTACT) == []
    reaction_id = await backend.react(key, "👍")
    ops = [op for op, _ in fake_client.calls]
    assert {"mark_read", "send_chat_presence", "send_presence", "subscribe_presence"} <= set(ops)
    mark = next(args for op, args in fake_client.calls if op == "mark_read")
    assert mark[0] == ("3EB0X",)
    reaction = fake_client.sent[-1][1].reactionMessage
    assert (reaction.key.ID, reaction.text, reaction.key.fromMe) == ("3EB0X", "👍", False)
    assert reaction_id.startswith("3EB0FAKEOUT")
    await backend.disconnect()


def last_sent(backend: fake.FakeNeonizeBackend) -> tuple[Any, Any]:
    """The last message the client sent, as it went over the wire (encoded, decoded)."""
    to, proto = backend.fake.sent[-1]
    return to, type(proto).FromString(proto.SerializeToString())


async def test_pin_and_unpin_send_a_pin_in_chat_message(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    key = MessageKey(chat_id=CONTACT, id="3EB0MINE", from_me=True)
    await backend.pin(key, 86400, author=None)
    to, msg = last_sent(backend)
    assert (to.User, to.Server) == (recorded.CONTACT_PHONE, "s.whatsapp.net")
    pin = msg.pinInChatMessage
    assert (pin.key.remoteJID, pin.key.fromMe, pin.key.ID) == (CONTACT_JID, True, "3EB0MINE")
    assert not pin.key.HasField("participant")
    assert pin.type == pin.PIN_FOR_ALL
    assert pin.senderTimestampMS > 1_700_000_000_000
    assert msg.messageContextInfo.messageAddOnDurationInSecs == 86400

    await backend.pin(key, 0, author=None)
    _, msg = last_sent(backend)
    assert msg.pinInChatMessage.type == msg.pinInChatMessage.UNPIN_FOR_ALL
    assert msg.pinInChatMessage.key.ID == "3EB0MINE"
    assert not msg.HasField("messageContextInfo")
    await backend.disconnect()


async def test_pinning_a_group_members_message_names_its_author(config: BackendConfig) -> None:
    backend, rec = await linked(config)
    seen_id = await backend.fake_incoming("group_text")
    await rec.wait(lambda: bool(rec.of(MessageSeen)))
    await backend.pin(MessageKey(chat_id=GROUP, id=seen_id, from_me=False), 604800, author=None)
    key = last_sent(backend)[1].pinInChatMessage.key
    assert (key.remoteJID, key.fromMe, key.ID) == (f"{recorded.GROUP}@g.us", False, seen_id)
    assert key.participant == f"{recorded.CONTACT_LID}@lid"  # the sender the worker saw

    unseen = MessageKey(chat_id=GROUP, id="3EB0UNSEEN", from_me=False)
    await backend.pin(unseen, 604800, author="4488776655@c.us")
    assert last_sent(backend)[1].pinInChatMessage.key.participant == "4488776655@s.whatsapp.net"
    sent = len(backend.fake.sent)
    with pytest.raises(InvalidParamError, match="author"):
        await backend.pin(unseen, 604800, author=None)
    with pytest.raises(InvalidParamError):
        await backend.pin(unseen, -1, author="4488776655@c.us")
    assert len(backend.fake.sent) == sent
    await backend.disconnect()


async def test_revoke_deletes_ours_and_a_group_members_message(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    await backend.revoke(MessageKey(chat_id=CONTACT, id="3EB0MINE", from_me=True), author=None)
    chat, sender, msg_id = next(args for op, args in backend.fake.calls if op == "revoke_message")
    assert (chat.User, sender.User, msg_id) == (recorded.CONTACT_PHONE, PHONE, "3EB0MINE")
    revoke = last_sent(backend)[1].protocolMessage
    assert revoke.type == revoke.REVOKE
    assert (revoke.key.remoteJID, revoke.key.fromMe, revoke.key.ID) == (
        CONTACT_JID,
        True,
        "3EB0MINE",
    )
    assert not revoke.key.HasField("participant")

    theirs = MessageKey(chat_id=GROUP, id="3EB0THEIRS", from_me=False)
    await backend.revoke(theirs, author=CONTACT)
    to, msg = last_sent(backend)
    assert (to.User, to.Server) == (recorded.GROUP, "g.us")
    key = msg.protocolMessage.key
    assert (key.fromMe, key.ID, key.participant) == (False, "3EB0THEIRS", CONTACT_JID)
    await backend.disconnect()


async def test_edit_replaces_the_text_of_our_message(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    await backend.edit(MessageKey(chat_id=CONTACT, id="3EB0MINE", from_me=True), "fixed typo")
    chat, msg_id, new = next(args for op, args in backend.fake.calls if op == "edit_message")
    assert (chat.User, msg_id, new.conversation) == (
        recorded.CONTACT_PHONE,
        "3EB0MINE",
        "fixed typo",
    )
    edit = last_sent(backend)[1].editedMessage.message.protocolMessage
    assert edit.type == edit.MESSAGE_EDIT
    assert (edit.key.remoteJID, edit.key.fromMe, edit.key.ID) == (CONTACT_JID, True, "3EB0MINE")
    assert edit.editedMessage.conversation == "fixed typo"
    await backend.disconnect()


async def test_the_other_sides_messages_are_refused(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    theirs = MessageKey(chat_id=CONTACT, id="3EB0THEIRS", from_me=False)
    with pytest.raises(InvalidParamError, match="direct chat"):
        await backend.revoke(theirs, author=CONTACT)
    with pytest.raises(InvalidParamError, match="own messages can be edited"):
        await backend.edit(theirs, "not mine")
    with pytest.raises(InvalidParamError, match="own messages can be edited"):
        await backend.edit(MessageKey(chat_id=GROUP, id="3EB0THEIRS", from_me=False), "no")
    with pytest.raises(InvalidParamError, match="author"):  # a group member's, author unknown
        await backend.revoke(MessageKey(chat_id=GROUP, id="3EB0UNSEEN", from_me=False), author=None)
    ops = {op for op, _ in backend.fake.calls}
    assert not ops & {"revoke_message", "edit_message", "send_message"}
    assert backend.fake.sent == []
    await backend.disconnect()


async def test_chat_picture_is_a_url_or_none(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    fake_client = backend.fake
    url = await backend.chat_picture(CONTACT)
    assert url == f"https://pps.whatsapp.net/fake/{recorded.CONTACT_PHONE}.jpg"
    assert (
        await backend.chat_picture(GROUP) == f"https://pps.whatsapp.net/fake/{recorded.GROUP}.jpg"
    )
    jid = next(args[0] for op, args in fake_client.calls if op == "get_profile_picture")
    assert (jid.User, jid.Server) == (recorded.CONTACT_PHONE, "s.whatsapp.net")
    assert await backend.chat_picture("447700900000@c.us") is None  # none set: item-not-found
    assert await backend.chat_picture(f"{recorded.CHANNEL}@newsletter") is None  # empty URL

    fake_client.fail["get_profile_picture"] = (
        "the user has hidden their profile picture from you: "
        "info query returned status 401: not-authorized"
    )
    assert await backend.chat_picture(CONTACT) is None
    fake_client.fail["get_profile_picture"] = "info query timed out"
    with pytest.raises(UpstreamError, match="info query timed out"):
        await backend.chat_picture(CONTACT)
    await backend.disconnect()


async def test_app_state_changes_are_not_supported(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    with pytest.raises(NotSupportedError, match="app-state patch path is broken"):
        await backend.star(MessageKey(chat_id=CONTACT, id="X", from_me=False), True)
    for change in ChatChange:
        with pytest.raises(NotSupportedError, match="app-state patch path is broken"):
            await backend.change_chat(CONTACT, change)
    with pytest.raises(NotSupportedError, match="app-state patch path is broken"):
        await backend.save_contact(STRANGER, "Sam", "Stranger")
    await backend.disconnect()


async def test_profile_is_our_name_about_and_picture(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    assert await backend.profile() == Profile(
        id=ME.id,
        name="Wagate Test",
        status="Hey there! I am using WhatsApp.",
        picture=f"https://pps.whatsapp.net/fake/{PHONE}.jpg",
    )
    (jid,) = calls_of(backend, "get_user_info")[0]
    assert (jid.User, jid.Server) == (PHONE, "s.whatsapp.net")
    (jid, _) = calls_of(backend, "get_profile_picture")[0]
    assert (jid.User, jid.Server) == (PHONE, "s.whatsapp.net")

    backend.fake.statuses[PHONE] = ""
    backend.fake.fail["get_profile_picture"] = "info query returned status 404: item-not-found"
    profile = await backend.profile()
    assert (profile.status, profile.picture) == (None, None)
    backend.fake.fail["get_user_info"] = "websocket not connected"
    with pytest.raises(UpstreamError, match="websocket not connected"):
        await backend.profile()
    await backend.disconnect()


async def test_profile_name_and_about_are_changed(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    await backend.set_profile_name("New Name")
    await backend.set_profile_status("Out fishing")
    assert calls_of(backend, "set_profile_name") == [("New Name",)]
    assert calls_of(backend, "set_status_message") == [("Out fishing",)]
    profile = await backend.profile()
    assert (profile.name, profile.status) == ("New Name", "Out fishing")
    assert backend.me is not None
    assert backend.me.push_name == "New Name"

    await backend.set_profile_status("")
    assert (await backend.profile()).status is None
    backend.fake.fail["set_profile_name"] = "failed to send app state patch"
    with pytest.raises(UpstreamError, match="Changing the profile name failed"):
        await backend.set_profile_name("Refused")
    assert (await backend.profile()).name == "New Name"
    await backend.disconnect()


async def test_profile_picture_is_set_but_cannot_be_removed(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    jpeg = b"\xff\xd8\xff\xe0 a square jpeg"
    await backend.set_profile_picture(jpeg)
    assert backend.fake.photo == jpeg
    assert calls_of(backend, "set_profile_photo") == [(jpeg,)]

    with pytest.raises(NotSupportedError, match="cannot remove the profile picture"):
        await backend.set_profile_picture(None)
    with pytest.raises(InvalidParamError, match="empty"):
        await backend.set_profile_picture(b"")
    assert len(calls_of(backend, "set_profile_photo")) == 1
    assert backend.fake.photo == jpeg
    backend.fake.fail["set_profile_photo"] = "info query returned status 406: not-acceptable"
    with pytest.raises(UpstreamError, match="not-acceptable"):
        await backend.set_profile_picture(b"not a jpeg")
    await backend.disconnect()


async def test_contacts_come_from_the_contact_store(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    alice = Contact(id=CONTACT, name="Alice Smith", push_name="Alice", is_my_contact=True)
    alice_by_lid = Contact(id=CONTACT_LID, lid=CONTACT_LID, push_name="Alice")
    assert await backend.contacts() == [alice, alice_by_lid]

    backend.fake.contact.entries[("447700900777", "s.whatsapp.net")] = fake.contact_info(
        first="Bob", push="Bobby", business="Bob's Bikes"
    )
    bob = (await backend.contacts())[-1]
    assert bob == Contact(
        id="447700900777@c.us",
        name="Bob",
        push_name="Bobby",
        is_my_contact=True,
        is_business=True,
    )
    backend.fake.fail["contact.get_all_contacts"] = "sql: database is closed"
    with pytest.raises(UpstreamError, match="Reading the contacts failed"):
        await backend.contacts()
    await backend.disconnect()


async def test_block_and_unblock_show_in_the_contacts(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    await backend.block(CONTACT, True)
    await backend.block(CONTACT_LID, True)
    jid, action = calls_of(backend, "update_blocklist")[0]
    assert (jid.User, jid.Server, action.value) == (
        recorded.CONTACT_PHONE,
        "s.whatsapp.net",
        "block",
    )
    assert [c.is_blocked for c in await backend.contacts()] == [True, True]
    assert (await backend.contact(CONTACT)).is_blocked

    await backend.block(CONTACT, False)
    assert calls_of(backend, "update_blocklist")[-1][1].value == "unblock"
    assert [c.is_blocked for c in await backend.contacts()] == [False, True]
    assert not (await backend.contact(CONTACT)).is_blocked
    backend.fake.fail["update_blocklist"] = "info query returned status 400: bad-request"
    with pytest.raises(UpstreamError, match="Blocking the contact failed"):
        await backend.block(STRANGER, True)
    await backend.disconnect()


async def test_one_contact_is_what_the_store_and_whatsapp_know(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    assert await backend.contact(CONTACT) == Contact(
        id=CONTACT, name="Alice Smith", push_name="Alice", is_my_contact=True
    )
    (jid,) = calls_of(backend, "contact.get_contact")[0]
    assert (jid.User, jid.Server) == (recorded.CONTACT_PHONE, "s.whatsapp.net")
    assert await backend.contact(STRANGER) == Contact(id=STRANGER)

    backend.fake.businesses["447700900999"] = "Sam's Shop"  # a verified business name
    assert await backend.contact(STRANGER) == Contact(id=STRANGER, is_business=True)
    await backend.disconnect()


async def test_check_exists_answers_the_chat_id_or_none(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    assert await backend.check_exists(recorded.CONTACT_PHONE) == CONTACT
    assert calls_of(backend, "is_on_whatsapp") == [(f"+{recorded.CONTACT_PHONE}",)]
    assert await backend.check_exists("447700900000") is None
    with pytest.raises(InvalidParamError, match="only digits"):
        await backend.check_exists("+447700900123")
    assert len(calls_of(backend, "is_on_whatsapp")) == 2
    await backend.disconnect()


async def test_about_is_the_text_or_none(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    assert await backend.about(CONTACT) == "At the gym"
    (jid,) = calls_of(backend, "get_user_info")[0]
    assert (jid.User, jid.Server) == (recorded.CONTACT_PHONE, "s.whatsapp.net")
    assert await backend.about(STRANGER) is None  # none set (whatsmeow also says "" if hidden)
    backend.fake.fail["get_user_info"] = "info query returned status 401: not-authorized"
    assert await backend.about(CONTACT) is None
    backend.fake.fail["get_user_info"] = "info query timed out"
    with pytest.raises(UpstreamError, match="Reading the About failed: info query timed out"):
        await backend.about(CONTACT)
    await backend.disconnect()


async def test_profile_and_contacts_through_a_worker_process(tmp_path: Path) -> None:
    """engine → worker → NeonizeBackend on the fake client, and the answers back."""
    async with worker_session(tmp_path, "WORKER000001", PHONE) as session:
        await session.set_profile_name("Via Worker")
        await session.set_profile_status("working")
        await session.set_profile_picture(b"\xff\xd8 jpeg")
        profile = await session.profile()
        assert (profile.id, profile.name, profile.status) == (ME.id, "Via Worker", "working")
        assert await session.check_exists(recorded.CONTACT_PHONE) == CONTACT
        assert await session.check_exists("447700900000") is None
        await session.block(CONTACT, True)
        assert (await session.contacts())[0].is_blocked
        assert (await session.contact(CONTACT)).name == "Alice Smith"
        assert await session.about(CONTACT) == "At the gym"
        with pytest.raises(NotSupportedError, match="app-state patch path is broken"):
            await session.save_contact(CONTACT, "Alice", "Smith")
        with pytest.raises(NotSupportedError, match="cannot remove"):
            await session.set_profile_picture(None)


async def test_operations_need_a_login(config: BackendConfig) -> None:
    backend, _ = build(config)
    with pytest.raises(SessionNotReadyError):
        await backend.send_text(CONTACT, "hi", reply_to=None, mentions=())
    with pytest.raises(SessionNotReadyError):
        await backend.pair_phone(PHONE)
    with pytest.raises(SessionNotReadyError):
        await backend.profile()
    with pytest.raises(SessionNotReadyError):
        await backend.contacts()


async def test_pair_phone_waits_for_registration_then_links(config: BackendConfig) -> None:
    backend, rec = build(config)
    await backend.connect()
    assert await backend.pair_phone(PHONE) == fake.FAKE_PAIRING_CODE
    await rec.wait(lambda: bool(rec.of(LoggedIn)))
    assert rec.of(LoggedIn)[0].me.id == ME.id
    await backend.disconnect()


async def test_logout_forgets_the_device(config: BackendConfig) -> None:
    backend, _ = await linked(config)
    await backend.logout()
    assert not exists(config.device_store)
    assert backend.me is None


async def test_control_file_drives_a_fake_in_another_process(config: BackendConfig) -> None:
    backend, rec = build(config)
    await backend.connect()
    control = config.device_store + ".control"
    commands = [
        {"op": "scan", "phone": PHONE},
        {"op": "incoming", "kind": "text", "body": "via file"},
    ]
    write(control, "".join(json.dumps(c) + "\n" for c in commands))
    await rec.wait(lambda: bool(rec.of(MessageSeen)))
    assert rec.of(LoggedIn)[0].me == ME
    assert rec.of(MessageSeen)[0].message.body == "via file"
    assert not exists(control)
    await backend.disconnect()


class OfflineClient(fake.FakeNeonizeClient):
    async def _run(self, stop: asyncio.Event) -> None:
        await asyncio.sleep(0.01)
        raise RuntimeError("failed to dial whatsapp web websocket: no such host")


class SilentClient(fake.FakeNeonizeClient):
    async def _run(self, stop: asyncio.Event) -> None:
        await stop.wait()


async def test_offline_connect_fails_clearly(config: BackendConfig) -> None:
    rec = Recorder()
    backend = NeonizeBackend(config, rec, client_factory=OfflineClient)
    await backend.connect()
    await rec.wait(lambda: bool(rec.of(ConnectionFailed)))
    reason = rec.of(ConnectionFailed)[0].reason
    assert reason.startswith(OFFLINE_PREFIX)
    assert "no such host" in reason
    await backend.disconnect()


async def test_a_silent_client_is_given_up_after_the_timeout(config: BackendConfig) -> None:
    rec = Recorder()
    backend = NeonizeBackend(config, rec, client_factory=SilentClient, connect_timeout=0.1)
    await backend.connect()
    await rec.wait(lambda: bool(rec.of(ConnectionFailed)))
    assert "no QR code and no connection after 0.1 seconds" in rec.of(ConnectionFailed)[0].reason
    assert len(rec.events) == 1
    await backend.disconnect()


# --- the real library -----------------------------------------------------------------


def test_the_real_library_loads_and_reports_its_version() -> None:
    with quiet_neonize_import():
        from neonize._binder import gocode  # noqa: TID251 - the version check itself

    assert gocode.GetVersion() == b"0.5.2"
    assert library_version() == "0.5.2"


REAL_CLIENT_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from pathlib import Path
    from wagate.engines.whatsmeow.backend import BackendConfig
    from wagate.engines.whatsmeow.neonize_backend import create

    async def main():
        events = []
        store = Path(sys.argv[1])
        config = BackendConfig(instance_id="REALOFFLINE1", device_store=str(store / "dev.db"),
                               device_name="wagate", media_dir=store)
        backend = create(config, events.append)
        backend._connect_timeout = 20.0
        await backend.connect()
        for _ in range(300):
            if events:
                break
            await asyncio.sleep(0.1)
        await backend.disconnect()
        names = [type(e).__name__ for e in events]
        reasons = [getattr(e, "reason", "") for e in events]
        print("RESULT " + json.dumps({"events": names, "reasons": reasons}), flush=True)

    asyncio.run(main())
    os._exit(0)  # do not wait for neonize's Go threads
    """
)


def test_a_real_client_on_this_offline_machine_fails_without_hanging(tmp_path: Path) -> None:
    """In a subprocess: a Go fault would kill pytest itself."""
    proc = subprocess.run(
        [sys.executable, "-c", REAL_CLIENT_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert lines, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(lines[0].removeprefix("RESULT "))
    if result["events"][:1] == ["QrCodeChanged"]:
        pytest.skip("this machine can reach WhatsApp: it got a QR code")
    assert result["events"][0] == "ConnectionFailed", result
    assert result["reasons"][0].startswith(OFFLINE_PREFIX), result
