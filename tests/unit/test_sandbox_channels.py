"""The sandbox network: channels (newsletters), who owns and follows them, their posts,
and the directory that searches them."""

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
from wagate.domain.chats import Channel
from wagate.domain.content import Image, MediaBlob
from wagate.domain.events import AckChanged, LoggedIn, MessageSeen
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
UNKNOWN_CHANNEL = "120363000000000002@newsletter"
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


async def news(people: list[Linked]) -> Channel:
    """Alice creates "Shop news" and Bob follows it."""
    (a, _), _, (b, _), _ = people
    channel = await a.create_channel("Shop news", "Deals of the day", None)
    await b.follow_channel(channel.id, True)
    return channel


async def told(sink: Recorder, kind: type[Any], count: int = 1) -> list[Any]:
    await wait_for(lambda: len(sink.of(kind)) >= count)
    return sink.of(kind)


# --- creating and reading ------------------------------------------------------------


async def test_creating_a_channel_makes_the_account_its_owner(people: list[Linked]) -> None:
    (a, sink_a), (a2, sink_a2), (b, sink_b), _ = people
    channel = await a.create_channel("  Shop news ", "Deals of the day", JPEG)
    assert re.fullmatch(r"120363\d{12}@newsletter", channel.id)
    assert channel.invite is not None
    assert re.fullmatch(r"[A-Za-z0-9]{22}", channel.invite)
    assert (channel.name, channel.description, channel.picture) == (
        "Shop news",
        "Deals of the day",
        JPEG_URI,
    )
    assert (channel.role, channel.subscribers, channel.muted, channel.verified) == (
        "OWNER",
        0,
        False,
        False,
    )
    assert channel.created > 0
    assert await a.channels() == [channel]
    assert await a2.channels() == [channel]  # the account's, on every device
    assert await b.channels() == []
    await settle()
    assert not sink_a.events
    assert not sink_a2.events
    assert not sink_b.events


async def test_a_channel_needs_a_name_and_a_jpeg(people: list[Linked]) -> None:
    (a, _), *_ = people
    with pytest.raises(InvalidParamError, match="name"):
        await a.create_channel("  ", "", None)
    with pytest.raises(InvalidParamError, match="JPEG"):
        await a.create_channel("Shop news", "", b"GIF89a")
    assert await a.channels() == []


async def test_anyone_looks_a_channel_up_by_id_or_invite(people: list[Linked]) -> None:
    (a, _), _, _, (d, _) = people
    channel = await a.create_channel("Shop news", "", None)
    assert channel.invite is not None
    guest = await d.channel(channel.id)
    assert (guest.id, guest.name, guest.role, guest.invite) == (
        channel.id,
        "Shop news",
        "GUEST",
        channel.invite,
    )
    assert await d.channel(channel.invite) == guest
    assert await d.channel(f"https://whatsapp.com/channel/{channel.invite}/") == guest
    assert await d.channels() == []  # looking is not following
    with pytest.raises(NotFoundError):
        await d.channel(UNKNOWN_CHANNEL)
    with pytest.raises(NotFoundError):
        await d.channel("A" * 22)
    for bad in ("news@newsletter", "120363000000000002@g.us", " "):
        with pytest.raises(InvalidParamError):
            await d.channel(bad)


# --- following and muting ----------------------------------------------------------


async def test_following_and_muting(people: list[Linked]) -> None:
    (a, _), _, (b, _), (d, _) = people
    channel = await news(people)
    (followed,) = await b.channels()
    assert (followed.id, followed.role, followed.subscribers, followed.muted) == (
        channel.id,
        "SUBSCRIBER",
        1,
        False,
    )
    assert (await a.channel(channel.id)).subscribers == 1  # the owner aside
    await b.mute_channel(channel.id, True)
    assert (await b.channel(channel.id)).muted
    await b.follow_channel(channel.id, True)  # already following: still muted
    assert (await b.channel(channel.id)).muted
    assert not (await a.channel(channel.id)).muted  # a flag per follower
    await a.mute_channel(channel.id, True)  # the owner follows its own channel
    assert (await a.channel(channel.id)).muted

    with pytest.raises(InvalidParamError, match="follow"):
        await d.mute_channel(channel.id, True)
    with pytest.raises(InvalidParamError, match="owner"):
        await a.follow_channel(channel.id, False)

    await b.follow_channel(channel.id, False)
    assert await b.channels() == []
    after = await b.channel(channel.id)
    assert (after.role, after.muted, after.subscribers) == ("GUEST", False, 0)
    await b.follow_channel(channel.id, False)  # not following: nothing changes
    with pytest.raises(InvalidParamError, match="follow"):
        await b.mute_channel(channel.id, False)
    with pytest.raises(NotFoundError):
        await b.follow_channel(UNKNOWN_CHANNEL, True)
    with pytest.raises(InvalidParamError):
        await b.mute_channel("not-a-channel", True)


# --- posts -------------------------------------------------------------------------


async def test_a_post_reaches_the_followers_and_comes_back_delivered(
    people: list[Linked],
) -> None:
    (a, sink_a), (_, sink_a2), (b, sink_b), (_, sink_d) = people
    channel = await news(people)
    await b.mute_channel(channel.id, True)  # muted: posts still come
    sent = await a.send_text(channel.id, "50% off today")
    assert (sent.ack, sent.participant, sent.recipient) == (Ack.SERVER, None, channel.id)

    (seen,) = [e.message for e in await told(sink_b, MessageSeen)]
    assert seen.key == MessageKey(chat_id=channel.id, id=sent.key.id, from_me=False)
    assert (seen.sender, seen.recipient, seen.participant) == (channel.id, channel.id, None)
    assert (seen.body, seen.ack, seen.push_name) == ("50% off today", Ack.DEVICE, "Shop news")
    assert not sink_b.lids  # followers learn nothing of the owner
    # Alice's other device sees it as sent from there
    (own_copy,) = [e.message for e in await told(sink_a2, MessageSeen)]
    assert (own_copy.key, own_copy.body) == (sent.key, "50% off today")
    # Bob got it: Alice's devices see DEVICE
    for sink in (sink_a, sink_a2):
        (ack,) = await told(sink, AckChanged)
        assert ack == AckChanged(key=sent.key, ack=Ack.DEVICE)
    await settle()
    assert not sink_a.of(MessageSeen)
    assert not sink_d.events  # not a follower


async def test_posts_carry_any_content(people: list[Linked]) -> None:
    (a, _), _, (_, sink_b), _ = people
    channel = await news(people)
    photo = Image(media=MediaBlob(data=JPEG, mimetype="image/jpeg"), caption="new stock")
    sent = await a.send_message(channel.id, photo)
    (seen,) = [e.message for e in await told(sink_b, MessageSeen)]
    assert (seen.key.id, seen.body, seen.content) == (sent.key.id, "new stock", photo)


async def test_without_linked_followers_a_post_is_delivered_at_once(
    engine: SandboxEngine, people: list[Linked]
) -> None:
    (a, sink_a), _, _, _ = people
    alone = await a.create_channel("Quiet", "", None)
    sent = await a.send_text(alone.id, "anyone?")
    (ack,) = await told(sink_a, AckChanged)
    assert ack == AckChanged(key=sent.key, ack=Ack.DEVICE)
    # a virtual contact follows: always online, it counts at once
    virtual = engine.network.channels.get(alone.id)
    assert virtual is not None
    virtual.follow(PHONE_C)
    again = await a.send_text(alone.id, "hello Carol")
    await told(sink_a, AckChanged, 2)
    assert sink_a.of(AckChanged)[1] == AckChanged(key=again.key, ack=Ack.DEVICE)


async def test_delivered_waits_for_an_offline_follower(
    engine: SandboxEngine, people: list[Linked]
) -> None:
    (a, sink_a), _, (b, _), _ = people
    channel = await news(people)
    await b.disconnect()
    sent = await a.send_text(channel.id, "while you were away")
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
    assert (seen.message.key.id, seen.message.sender) == (sent.key.id, channel.id)
    (ack,) = await told(sink_a, AckChanged)
    assert ack.ack is Ack.DEVICE


async def test_only_the_owner_posts(people: list[Linked]) -> None:
    (a, sink_a), _, (b, sink_b), (d, _) = people
    channel = await news(people)
    with pytest.raises(InvalidParamError, match="owner"):
        await b.send_text(channel.id, "me too")
    with pytest.raises(InvalidParamError, match="owner"):
        await d.send_text(channel.id, "let me post")
    # a channel the network does not know (e.g. of a previous run) keeps it at SERVER
    kept = await a.send_text(UNKNOWN_CHANNEL, "anyone?")
    assert kept.ack is Ack.SERVER
    await settle()
    assert not sink_a.events
    assert not sink_b.events
    assert await a.channel_messages(channel.id, 10) == []


async def test_anyone_reads_the_newest_posts(people: list[Linked]) -> None:
    (a, _), _, _, (d, _) = people
    channel = await news(people)
    sent = [await a.send_text(channel.id, text) for text in ("one", "two", "three")]
    newest = await d.channel_messages(channel.id, 2)  # a guest
    assert [m.body for m in newest] == ["three", "two"]
    assert [m.key for m in newest] == [
        MessageKey(chat_id=channel.id, id=m.key.id, from_me=False) for m in sent[:0:-1]
    ]
    assert {m.sender for m in newest} == {channel.id}
    own = await a.channel_messages(channel.id, 10)
    assert [m.key for m in own] == [m.key for m in reversed(sent)]  # as the owner sent them
    with pytest.raises(InvalidParamError, match="limit"):
        await d.channel_messages(channel.id, 0)
    with pytest.raises(NotFoundError):
        await d.channel_messages(UNKNOWN_CHANNEL, 10)


# --- deleting ----------------------------------------------------------------------


async def test_only_the_owner_deletes_a_channel(people: list[Linked]) -> None:
    (a, sink_a), _, (b, sink_b), (d, _) = people
    channel = await news(people)
    assert channel.invite is not None
    with pytest.raises(InvalidParamError, match="owner"):
        await b.delete_channel(channel.id)
    await a.delete_channel(channel.id)
    assert await a.channels() == []
    assert await b.channels() == []  # followers simply lose it
    with pytest.raises(NotFoundError):
        await d.channel(channel.id)
    with pytest.raises(NotFoundError):
        await d.channel(channel.invite)
    with pytest.raises(NotFoundError):
        await a.delete_channel(channel.id)
    with pytest.raises(InvalidParamError):
        await a.delete_channel("120363000000000002@g.us")
    kept = await a.send_text(channel.id, "still there?")  # no longer known: SERVER
    assert kept.ack is Ack.SERVER
    await settle()
    assert not sink_a.events
    assert not sink_b.events


# --- the directory -----------------------------------------------------------------


async def directory(people: list[Linked]) -> list[Channel]:
    """Three channels, oldest first: "Shop news" (1 follower), "Cooking" (none), and
    "Bakery" (2 followers), whose description names news."""
    (a, _), _, (b, _), (d, _) = people
    shop = await news(people)
    cooking = await b.create_channel("Cooking", "Recipes", None)
    bakery = await d.create_channel("Bakery", "Fresh NEWS from the oven", None)
    await a.follow_channel(bakery.id, True)
    await b.follow_channel(bakery.id, True)
    return [shop, cooking, bakery]


def ids(found: Any) -> list[str]:
    return [c.id for c in found.channels]


async def test_searching_by_text(people: list[Linked]) -> None:
    _, _, (b, _), _ = people
    shop, _, bakery = await directory(people)

    async def search(text: str, **kw: Any) -> Any:
        filters: dict[str, Any] = {"countries": [], "categories": [], **kw}
        return await b.search_channels(view=None, text=text, limit=10, cursor=None, **filters)

    found = await search("news")  # in the name or the description, any case
    assert ids(found) == [bakery.id, shop.id]  # the most followed first
    assert found.next_cursor is None
    assert [c.role for c in found.channels] == ["SUBSCRIBER", "SUBSCRIBER"]  # Bob's
    assert ids(await search("RECIPES")) == [ids(await search("cooking"))[0]]
    assert ids(await search("news", countries=["us"], categories=["Entertainment"])) == [
        bakery.id,
        shop.id,
    ]
    assert ids(await search("news", countries=["BR"])) == []
    assert ids(await search("news", categories=["SPORTS"])) == []
    assert ids(await search("nothing like it")) == []


async def test_searching_by_view_page_by_page(people: list[Linked]) -> None:
    _, _, _, (d, _) = people
    shop, cooking, bakery = await directory(people)

    async def search(view: str, limit: int, cursor: str | None = None) -> Any:
        return await d.search_channels(
            view=view, text=None, countries=[], categories=[], limit=limit, cursor=cursor
        )

    for view in ("RECOMMENDED", "TRENDING", "popular"):
        assert ids(await search(view, 10)) == [bakery.id, shop.id, cooking.id]
    first = await search("NEW", 2)
    assert ids(first) == [bakery.id, cooking.id]  # the newest first
    assert first.next_cursor is not None
    second = await search("NEW", 2, first.next_cursor)
    assert ids(second) == [shop.id]
    assert second.next_cursor is None
    assert [c.role for c in first.channels] == ["OWNER", "GUEST"]  # Dave's

    with pytest.raises(InvalidParamError, match="view"):
        await search("FAVOURITES", 2)
    with pytest.raises(InvalidParamError, match="cursor"):
        await search("NEW", 2, "page-two")
    with pytest.raises(InvalidParamError, match="limit"):
        await search("NEW", 0)


# --- the session must be linked and connected ---------------------------------------


async def test_channel_calls_need_a_linked_connected_session(engine: SandboxEngine) -> None:
    sink = Recorder()
    session = await engine.open_session(ID_A, sink)
    channel = UNKNOWN_CHANNEL
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: session.channels(),
        lambda: session.channel(channel),
        lambda: session.create_channel("Shop news", "", None),
        lambda: session.delete_channel(channel),
        lambda: session.channel_messages(channel, 10),
        lambda: session.follow_channel(channel, True),
        lambda: session.mute_channel(channel, True),
        lambda: session.search_channels(
            view="NEW", text=None, countries=[], categories=[], limit=10, cursor=None
        ),
        lambda: session.send_text(channel, "news"),
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
    created = await session.create_channel("Shop news", "", None)
    await session.disconnect()
    channel = created.id
    await refused()  # disconnected
