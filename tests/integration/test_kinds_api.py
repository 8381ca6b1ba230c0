"""Every message kind and status, end to end on the sandbox with real files."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import media_samples as samples
from wagate.config import Settings
from wagate.media.ffmpeg import Ffmpeg
from wagate.media.sniff import sniff
from wagate_receiver import Receiver, running_files
from wagate_testing import API, Api, linked_with_webhook, make_settings, wait_event

A_PHONE, B_PHONE = "447441429001", "447441429002"
A_ID, B_ID = f"{A_PHONE}@c.us", f"{B_PHONE}@c.us"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The file server of these tests is on 127.0.0.1, which wagate refuses by default.
    return make_settings(tmp_path, media_allow_private_urls=True)


@pytest.fixture
async def files() -> AsyncIterator[str]:
    served = {
        "photo.jpg": (samples.jpeg(), "image/jpeg"),
        "doc.pdf": (samples.pdf(), "application/pdf"),
        "song.mp3": (samples.mp3(), "audio/mpeg"),
        "clip.mkv": (samples.video(), "video/x-matroska"),
    }
    async with running_files(served) as base:
        yield base


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def pair(api: Api, receiver: Receiver) -> tuple[dict[str, str], dict[str, str]]:
    """Two linked sessions that have chatted (so statuses reach each other)."""
    a = await linked_with_webhook(api, receiver, A_PHONE)
    b = await linked_with_webhook(api, receiver, B_PHONE)
    await api.ok("POST", "send", chatId=B_ID, message="hi", **a)
    return a, b


async def download(api: Api, ids: dict[str, str], url: str) -> bytes:
    response = await api.http.get(f"{url}&access_token={ids['access_token']}")
    assert response.status_code == 200, response.text
    return response.content


async def test_images_from_data_and_from_a_url(api: Api, receiver: Receiver, files: str) -> None:
    a, b = await pair(api, receiver)
    png = await api.ok(
        "POST", "sendImage", chatId=B_ID, caption="a chart",
        file={"data": b64(samples.png()), "filename": "chart.png"}, **a,
    )  # fmt: skip
    assert png["hasMedia"] is True
    assert png["_data"]["type"] == "image"
    assert png["media"]["mimetype"] == "image/png"
    assert png["body"] == "a chart"

    received = await wait_event(receiver, b["instance_id"], "message", body="a chart")
    media = received["payload"]["media"]
    assert media["filename"] == "chart.png"
    assert await download(api, b, media["url"]) == samples.png()

    jpg = await api.ok("POST", "sendImage", chatId=B_ID, file={"url": f"{files}/photo.jpg"}, **a)
    assert jpg["media"]["mimetype"] == "image/jpeg"
    assert await download(api, a, jpg["media"]["url"]) == samples.jpeg()


async def test_documents(api: Api, receiver: Receiver, files: str) -> None:
    a, b = await pair(api, receiver)
    sent = await api.ok(
        "POST", "sendFile", chatId=B_ID, file={"url": f"{files}/doc.pdf"}, caption="invoice", **a
    )
    assert sent["_data"]["type"] == "document"
    assert (sent["media"]["mimetype"], sent["media"]["filename"]) == ("application/pdf", "doc.pdf")
    named = await api.ok("POST", "sendFile", chatId=B_ID, file={"data": b64(samples.pdf())}, **a)
    assert named["media"]["filename"] == "document.pdf"
    received = await wait_event(receiver, b["instance_id"], "message", body="invoice")
    assert await download(api, b, received["payload"]["media"]["url"]) == samples.pdf()


async def test_an_mp3_becomes_an_opus_voice_note(api: Api, receiver: Receiver, files: str) -> None:
    a, b = await pair(api, receiver)
    sent = await api.ok("POST", "sendVoice", chatId=B_ID, file={"url": f"{files}/song.mp3"}, **a)
    assert sent["_data"]["type"] == "ptt"
    assert sent["media"]["mimetype"] == "audio/ogg; codecs=opus"
    assert sent["duration"] == samples.MP3_SECONDS

    received = await wait_event(
        receiver,
        b["instance_id"],
        "message",
        id=sent["id"].replace("true_" + B_ID, "false_" + A_ID),
    )
    data = await download(api, b, received["payload"]["media"]["url"])
    assert sniff(data) == "audio/ogg; codecs=opus"  # by the bytes, not the name
    probe = await Ffmpeg().probe(data)
    assert (probe.audio_codec, probe.audio_channels) == ("opus", 1)
    assert probe.seconds == samples.MP3_SECONDS

    refused = await api.call(
        "POST", "sendVoice", chatId=B_ID, convert="false", file={"url": f"{files}/song.mp3"}, **a
    )
    assert refused.status_code == 400
    assert "convert=true" in refused.json()["message"]


async def test_a_video_becomes_h264_mp4_and_a_round_note(
    api: Api, receiver: Receiver, files: str
) -> None:
    a, _ = await pair(api, receiver)
    sent = await api.ok(
        "POST", "sendVideo", chatId=B_ID, caption="clip", file={"url": f"{files}/clip.mkv"}, **a
    )
    assert sent["_data"]["type"] == "video"
    data = await download(api, a, sent["media"]["url"])
    probe = await Ffmpeg().probe(data)
    assert (probe.video_codec, probe.audio_codec) == ("h264", "aac")
    assert sniff(data) == "video/mp4"

    note = await api.ok(
        "POST", "sendVideo", chatId=B_ID, asNote="true", file={"data": b64(samples.video())}, **a
    )
    note_probe = await Ffmpeg().probe(await download(api, a, note["media"]["url"]))
    assert note_probe.width == note_probe.height


async def test_location_contacts_list_and_link_preview(
    api: Api, receiver: Receiver, files: str
) -> None:
    a, b = await pair(api, receiver)
    await api.ok(
        "POST",
        "sendLocation",
        chatId=B_ID,
        latitude=51.5,
        longitude=-0.12,
        title="Office",
        message="Come by",
        **a,
    )
    place = await wait_event(receiver, b["instance_id"], "message", body="Office")
    assert place["payload"]["location"] == {
        "latitude": 51.5,
        "longitude": -0.12,
        "name": "Office",
        "description": "Come by",
    }
    assert place["payload"]["_data"]["type"] == "location"

    cards = [
        {"fullName": "Ann Lee", "organization": "ACME", "phoneNumber": "+1 555 000 1111"},
        {"vcard": "BEGIN:VCARD\nVERSION:3.0\nFN:Bob\nEND:VCARD"},
    ]
    await api.ok("POST", "sendContactVcard", chatId=B_ID, contacts=cards, **a)
    vcards = await wait_event(receiver, b["instance_id"], "message", body="Ann Lee, Bob")
    assert vcards["payload"]["_data"]["type"] == "multi_vcard"
    first = vcards["payload"]["vCards"][0]
    assert "FN:Ann Lee" in first
    assert "waid=15550001111" in first

    menu = {
        "title": "Menu",
        "description": "Pick one",
        "button": "Open",
        "sections": [
            {
                "title": "Food",
                "rows": [{"title": "Pizza", "rowId": "p"}, {"title": "Soup", "rowId": "s"}],
            }
        ],
    }
    await api.ok("POST", "sendList", chatId=B_ID, message=menu, **a)
    listed = await wait_event(receiver, b["instance_id"], "message", body="Pick one")
    assert listed["payload"]["_data"]["type"] == "list"

    preview = await api.ok(
        "POST", "sendLinkPreview", chatId=B_ID, url="https://example.com/post", text="Read this",
        title="A post", description="About things", thumbnail=f"{files}/photo.jpg", **a,
    )  # fmt: skip
    assert preview["body"] == "Read this\nhttps://example.com/post"
    assert preview["linkPreview"] == {
        "url": "https://example.com/post",
        "title": "A post",
        "description": "About things",
    }


async def test_polls_and_votes(api: Api, receiver: Receiver) -> None:
    a, b = await pair(api, receiver)
    poll = await api.ok(
        "POST",
        "sendPoll",
        chatId=B_ID,
        poll={"name": "Lunch?", "options": ["Pizza", "Soup", "Salad"]},
        **a,
    )
    assert poll["_data"]["type"] == "poll_creation"
    assert poll["poll"] == {
        "name": "Lunch?",
        "options": ["Pizza", "Soup", "Salad"],
        "multipleAnswers": False,
    }
    received = await wait_event(receiver, b["instance_id"], "message", body="Lunch?")
    poll_for_b = received["payload"]["id"]

    voted = await api.ok("POST", "sendPollVote", chatId=A_ID, messageId=poll_for_b, votes=[1], **b)
    assert voted["selectedOptions"] == ["Soup"]
    vote = await wait_event(receiver, a["instance_id"], "poll.vote")
    assert vote["payload"]["vote"]["selectedOptions"] == ["Soup"]
    assert vote["payload"]["vote"]["from"] == B_ID
    assert vote["payload"]["poll"]["id"] == poll["id"]

    contact = "15550001111"
    asked = await api.ok(
        "POST", "sendPoll", chatId=contact, poll={"name": "Tea?", "options": ["Yes", "No"]}, **a
    )
    await api.ok(
        "POST", "sandbox/vote", messageId=asked["id"], votes=["No"], **{"from": contact}, **a
    )
    by_contact = await wait_event(receiver, a["instance_id"], "poll.vote")
    await receiver.wait_for(
        lambda r: any(
            e["event"] == "poll.vote" and e["payload"]["vote"]["selectedOptions"] == ["No"]
            for e in r.envelopes()
        )
    )
    assert by_contact["payload"]["poll"]["id"] in (poll["id"], asked["id"])
    await api.ok(
        "POST",
        "sandbox/vote",
        messageId=asked["id"],
        undecryptable="true",
        **{"from": contact},
        **a,
    )
    failed = await wait_event(receiver, a["instance_id"], "poll.vote.failed")
    assert failed["payload"]["reason"] == "The vote could not be decrypted"

    too_many = await api.call(
        "POST", "sendPollVote", chatId=A_ID, messageId=poll_for_b, votes=["Pizza", "Soup"], **b
    )
    assert too_many.status_code == 400
    unknown = await api.call(
        "POST", "sendPollVote", chatId=A_ID, messageId=poll_for_b, votes=["Tea"], **b
    )
    assert unknown.status_code == 400
    assert "Tea" in unknown.json()["message"]


@pytest.mark.parametrize(
    ("poll", "reason"),
    [
        ({"name": "Q", "options": []}, "poll.options"),
        ({"name": "Q", "options": ["one"]}, "poll.options"),
        ({"name": "Q", "options": ["a", "a"]}, "different"),
        ({"name": "Q", "options": [str(n) for n in range(13)]}, "poll.options"),
        ({"name": "", "options": ["a", "b"]}, "poll.name"),
    ],
)
async def test_bad_polls_are_refused(api: Api, poll: dict[str, Any], reason: str) -> None:
    ids = {"access_token": api.tenant, "instance_id": (await api.linked_session())["instance_id"]}
    response = await api.call("POST", "sendPoll", chatId=B_ID, poll=poll, **ids)
    assert response.status_code == 400
    assert reason in response.json()["message"]


async def test_events_and_responses(api: Api, receiver: Receiver) -> None:
    a = await linked_with_webhook(api, receiver, A_PHONE)
    contact = "15550002222"
    event = {
        "name": "Launch",
        "description": "Party",
        "startTime": 1900000000,
        "endTime": 1900003600,
        "location": {"name": "HQ"},
    }
    sent = await api.ok("POST", "sendEvent", chatId=contact, event=event, **a)
    assert sent["_data"]["type"] == "event"
    assert sent["event"]["location"] == {"name": "HQ"}

    await api.ok(
        "POST",
        "sandbox/event-response",
        messageId=sent["id"],
        response="MAYBE",
        **{"from": contact},
        **a,
    )
    answer = await wait_event(receiver, a["instance_id"], "event.response")
    assert (answer["payload"]["response"], answer["payload"]["from"]) == (
        "MAYBE",
        f"{contact}@c.us",
    )
    await api.ok(
        "POST",
        "sandbox/event-response",
        messageId=sent["id"],
        undecryptable=True,
        **{"from": contact},
        **a,
    )
    await wait_event(receiver, a["instance_id"], "event.response.failed")

    backwards = await api.call(
        "POST", "sendEvent", chatId=contact, event={**event, "endTime": 1}, **a
    )
    assert backwards.status_code == 400


async def test_every_status_kind(api: Api, receiver: Receiver, files: str) -> None:
    a, b = await pair(api, receiver)
    text = await api.ok(
        "POST", "status/text", text="Open today", backgroundColor="#25D366", font=2, **a
    )
    assert text["id"].startswith("true_status@broadcast_")
    seen = await wait_event(receiver, b["instance_id"], "message", body="Open today")
    assert seen["payload"]["from"] == A_ID
    assert seen["payload"]["participant"] == A_ID

    image = await api.ok(
        "POST", "status/image", caption="new menu", file={"url": f"{files}/photo.jpg"}, **a
    )
    voice = await api.ok("POST", "status/voice", file={"url": f"{files}/song.mp3"}, **a)
    video = await api.ok("POST", "status/video", file={"url": f"{files}/clip.mkv"}, **a)
    assert (image["_data"]["type"], voice["_data"]["type"], video["_data"]["type"]) == (
        "image",
        "ptt",
        "video",
    )
    for status in (text, image, voice, video):
        assert status["id"].startswith("true_status@broadcast_")
        assert status["to"] == "status@broadcast"
    await wait_event(receiver, b["instance_id"], "message", body="new menu")

    assert await api.ok("POST", "status/delete", id=text["id"], **a) == {
        "success": True,
        "id": text["id"],
    }
    again = await api.call("POST", "status/delete", id=text["id"], **a)
    assert again.status_code == 400
    bad_colour = await api.call("POST", "status/text", text="x", backgroundColor="green", **a)
    assert bad_colour.status_code == 400


async def test_a_virtual_contact_sends_media(api: Api, receiver: Receiver) -> None:
    a = await linked_with_webhook(api, receiver, A_PHONE)
    sent = await api.ok(
        "POST",
        "sandbox/message",
        message="look",
        file={"data": b64(samples.jpeg()), "filename": "x.jpg"},
        **{"from": "15550003333"},
        **a,
    )
    assert sent["hasMedia"] is True
    event = await wait_event(receiver, a["instance_id"], "message", body="look")
    assert event["payload"]["_data"]["type"] == "image"
    assert await download(api, a, event["payload"]["media"]["url"]) == samples.jpeg()


async def test_media_cannot_be_downloaded_by_another_tenant(api: Api, receiver: Receiver) -> None:
    a = await linked_with_webhook(api, receiver, A_PHONE)
    sent = await api.ok("POST", "sendImage", chatId=B_ID, file={"data": b64(samples.png())}, **a)
    url = sent["media"]["url"]
    foreign = await api.http.get(f"{url}&access_token={api.other_tenant}")
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "invalid_instance"
    unknown = await api.http.get(f"{API}/media/med_{'0' * 24}", params=a)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"


async def test_details_clients_rely_on(api: Api, receiver: Receiver, files: str) -> None:
    a, b = await pair(api, receiver)
    # A converted voice note or video is named for what it became.
    voice = await api.ok("POST", "sendVoice", chatId=B_ID, file={"url": f"{files}/song.mp3"}, **a)
    assert voice["media"]["filename"] == "song.ogg"
    video = await api.ok("POST", "sendVideo", chatId=B_ID, file={"url": f"{files}/clip.mkv"}, **a)
    assert video["media"]["filename"] == "clip.mp4"
    # A multipart upload works like file[data].
    upload = await api.http.post(
        f"{API}/sendImage",
        data={"chatId": B_ID, **a},
        files={"file": ("up.png", samples.png(), "image/png")},
    )
    assert upload.status_code == 200, upload.text
    assert upload.json()["media"]["filename"] == "up.png"
    # A list's rows keep their API names.
    menu = {
        "title": "M",
        "description": "Choose",
        "button": "Open",
        "sections": [{"title": "S", "rows": [{"title": "R", "rowId": "r1"}]}],
    }
    listed = await api.ok("POST", "sendList", chatId=B_ID, message=menu, **a)
    assert listed["list"]["sections"][0]["rows"][0] == {
        "title": "R",
        "rowId": "r1",
        "description": "",
    }
    # An empty vote retracts; a bad phone in a card is a 400.
    poll = await api.ok(
        "POST", "sendPoll", chatId=B_ID, poll={"name": "P", "options": ["x", "y"]}, **a
    )
    received = await wait_event(receiver, b["instance_id"], "message", body="P")
    retracted = await api.ok(
        "POST", "sendPollVote", chatId=A_ID, messageId=received["payload"]["id"], votes="", **b
    )
    assert retracted["selectedOptions"] == []
    assert poll["id"].startswith("true_")
    card = [{"fullName": "Ann", "phoneNumber": "not a phone"}]
    refused = await api.call("POST", "sendContactVcard", chatId=B_ID, contacts=card, **a)
    assert refused.status_code == 400


async def test_status_recipients_as_comma_list_and_video_note(
    api: Api, receiver: Receiver, files: str
) -> None:
    a, b = await pair(api, receiver)
    only_b = await api.ok("POST", "status/text", text="for B", contacts=f"{B_ID}, 15550009999", **a)
    assert only_b["id"].startswith("true_status@broadcast_")
    await wait_event(receiver, b["instance_id"], "message", body="for B")
    nobody = await api.ok("POST", "status/text", text="null list", contacts="null", **a)
    assert nobody["body"] == "null list"
    note = await api.ok(
        "POST", "status/video", asNote="true", file={"url": f"{files}/clip.mkv"}, **a
    )
    probe = await Ffmpeg().probe(await download(api, a, note["media"]["url"]))
    assert probe.width == probe.height
