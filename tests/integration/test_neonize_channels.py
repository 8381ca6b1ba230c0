"""Channels on NeonizeBackend over the fake neonize client (in-process and through a worker)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest

from neonize_support import backend_config, calls_of, worker_session
from neonize_support import linked as linked_to
from wagate.domain.chats import Channel
from wagate.domain.content import Image, MediaBlob
from wagate.domain.messages import Ack
from wagate.engines.whatsmeow import echo_backend, fake, fake_channels, recorded
from wagate.engines.whatsmeow.backend import BackendConfig
from wagate.engines.whatsmeow.neonize_channels import channel_invite_code, channel_of
from wagate.errors import (
    InvalidParamError,
    NotFoundError,
    NotSupportedError,
    SessionNotReadyError,
    UpstreamError,
)

PHONE = recorded.ME_PHONE
ME = f"{PHONE}@c.us"
NEWS = f"{recorded.CHANNEL}@newsletter"
WEATHER = f"{fake_channels.FAKE_OTHER_CHANNEL}@newsletter"
NOWHERE = "120363000000000000@newsletter"
LINK = "https://whatsapp.com/channel/"
CDN = "https://mmg.whatsapp.net/v/t61.24694-24/"
FAKE_NEWS = Channel(
    id=NEWS,
    name="Fake News",
    description="The news of the fake network",
    invite=recorded.CHANNEL_INVITE,
    picture=f"{CDN}fake-news.jpg",
    verified=True,
    role="SUBSCRIBER",
    subscribers=1200,
    created=recorded.TS - 86400,
)
WEATHER_CHANNEL = Channel(
    id=WEATHER,
    name="Weather",
    invite=fake_channels.FAKE_OTHER_INVITE,
    subscribers=50,
    created=recorded.TS - 86400,
)
JPEG = b"\xff\xd8\xff\xe0 a channel picture"


@pytest.fixture
def config(tmp_path: Path) -> BackendConfig:
    return backend_config(tmp_path, "CHANNELS0001")


@pytest.fixture
async def backend(config: BackendConfig) -> Any:
    linked, _ = await linked_to(config, PHONE)
    yield linked
    await linked.disconnect()


def jid_of(args: tuple[Any, ...]) -> tuple[str, str]:
    return (args[0].User, args[0].Server)


# --- reading ------------------------------------------------------------------------------


async def test_the_channels_the_account_follows(backend: fake.FakeNeonizeBackend) -> None:
    assert await backend.channels() == [FAKE_NEWS]
    assert calls_of(backend, "get_subscribed_newletters") == [()]

    backend.fake.fail["get_subscribed_newletters"] = "websocket not connected"
    with pytest.raises(UpstreamError, match="Reading the channels failed: websocket not"):
        await backend.channels()


async def test_a_channel_by_id_invite_code_or_link(backend: fake.FakeNeonizeBackend) -> None:
    assert await backend.channel(NEWS) == FAKE_NEWS
    assert [jid_of(a) for a in calls_of(backend, "get_newsletter_info")] == [
        (recorded.CHANNEL, "newsletter")
    ]
    code = recorded.CHANNEL_INVITE
    for asked in (code, f"{LINK}{code}", f" https://www.whatsapp.com/channel/{code}/?src=x "):
        # whatsmeow sends no viewer metadata by invite: the role is read again by id
        assert await backend.channel(asked) == FAKE_NEWS
    assert calls_of(backend, "get_newsletter_info_with_invite") == [(code,)] * 3
    assert len(calls_of(backend, "get_newsletter_info")) == 4

    assert await backend.channel(fake_channels.FAKE_OTHER_INVITE) == WEATHER_CHANNEL


async def test_by_invite_a_guest_when_whatsapp_will_not_say_more(
    backend: fake.FakeNeonizeBackend,
) -> None:
    backend.fake.fail["get_newsletter_info"] = "graphql error: 401 Unauthorized (CRITICAL)"
    found = await backend.channel(recorded.CHANNEL_INVITE)
    assert (found.id, found.role, found.muted) == (NEWS, "GUEST", False)


async def test_unknown_channels_are_not_found(backend: fake.FakeNeonizeBackend) -> None:
    with pytest.raises(NotFoundError, match="no such channel") as raised:
        await backend.channel(NOWHERE)  # whatsmeow: a GraphQL 404
    assert raised.value.details == {"channel": NOWHERE}
    with pytest.raises(NotFoundError):
        await backend.channel("0029VaNoSuchInvite000001")  # whatsmeow: no channel at all
    with pytest.raises(NotFoundError):
        await backend.follow_channel(NOWHERE, True)
    with pytest.raises(NotFoundError):
        await backend.follow_channel(NOWHERE, False)
    with pytest.raises(NotFoundError):
        await backend.mute_channel(NOWHERE, True)
    with pytest.raises(NotFoundError):
        await backend.channel_messages(NOWHERE, 10)

    backend.fake.fail["get_newsletter_info"] = "info query timed out"
    with pytest.raises(UpstreamError, match="Reading the channel failed: info query timed out"):
        await backend.channel(NEWS)


async def test_only_channel_ids_are_taken(backend: fake.FakeNeonizeBackend) -> None:
    for bad in ("120363000000000001@g.us", "abc@newsletter", "@newsletter", f"{NEWS} "):
        with pytest.raises(InvalidParamError, match="<digits>@newsletter"):
            await backend.channel(bad)
        with pytest.raises(InvalidParamError, match="<digits>@newsletter"):
            await backend.follow_channel(bad, True)
        with pytest.raises(InvalidParamError, match="<digits>@newsletter"):
            await backend.mute_channel(bad, True)
        with pytest.raises(InvalidParamError, match="<digits>@newsletter"):
            await backend.channel_messages(bad, 5)
        with pytest.raises(InvalidParamError, match="<digits>@newsletter"):
            await backend.delete_channel(bad)
    for bad in ("", "not a code!", f"{LINK}", "https://whatsapp.com/channel/a b"):
        with pytest.raises(InvalidParamError, match="Not a channel id, invite code or link"):
            await backend.channel(bad)
    touched = [name for name, _ in backend.fake.calls if "newsletter" in name or "newlet" in name]
    assert touched == []


def test_invite_codes_and_links_are_one_code() -> None:
    code = "0029VaZL7FFFnSz8Au4Vyj2Y"
    for given in (
        code,
        f"{LINK}{code}",
        f"http://whatsapp.com/channel/{code}",
        f"https://www.whatsapp.com/channel/{code}/",
        f"whatsapp.com/channel/{code}?utm=x",
    ):
        assert channel_invite_code(given) == code


def test_whatsapps_metadata_becomes_a_channel() -> None:
    bare = recorded.channel_metadata(role=None, picture=None, verified=False, description="")
    bare.ThreadMeta.CreationTime = -62135596800  # Go's zero time
    assert channel_of(bare) == Channel(
        id=NEWS, name="Fake News", invite=recorded.CHANNEL_INVITE, subscribers=1200
    )
    assert channel_of(bare, role="OWNER").role == "OWNER"

    owned = recorded.channel_metadata(role="OWNER", muted=True)
    owned.ThreadMeta.Picture.URL = "https://pps.whatsapp.net/given.jpg"  # a URL wins
    assert channel_of(owned) == dataclasses.replace(
        FAKE_NEWS, role="OWNER", muted=True, picture="https://pps.whatsapp.net/given.jpg"
    )
    previewed = recorded.channel_metadata()
    previewed.ThreadMeta.ClearField("Picture")  # only the preview: it stands in
    assert channel_of(previewed).picture == f"{CDN}fake-news-preview.jpg"


# --- creating, following, muting -----------------------------------------------------------


async def test_create_channel_makes_us_its_owner(backend: fake.FakeNeonizeBackend) -> None:
    before = int(time.time())
    created = await backend.create_channel("Book news", "Weekly picks", JPEG)
    user = created.id.removesuffix("@newsletter")
    assert calls_of(backend, "create_newsletter") == [("Book news", "Weekly picks", JPEG)]
    assert backend.fake.channel_pictures[user] == JPEG
    assert created == Channel(
        id=created.id,
        name="Book news",
        description="Weekly picks",
        invite=created.invite,
        picture=f"{CDN}{user}.jpg",
        role="OWNER",
        created=created.created,
    )
    assert user.isdigit()
    assert created.invite
    assert created.created >= before

    plain = await backend.create_channel("Plain", "", None)
    # no picture is an empty one, which whatsmeow leaves out of its request
    assert calls_of(backend, "create_newsletter")[-1] == ("Plain", "", b"")
    assert plain.picture is None
    assert [c.id for c in await backend.channels()] == [NEWS, created.id, plain.id]
    assert await backend.channel(plain.id) == plain


async def test_create_channel_refuses_clearly(backend: fake.FakeNeonizeBackend) -> None:
    with pytest.raises(InvalidParamError, match="needs a name"):
        await backend.create_channel("  ", "", None)
    with pytest.raises(InvalidParamError, match="picture is empty"):
        await backend.create_channel("News", "", b"")
    assert calls_of(backend, "create_newsletter") == []

    backend.fake.fail["create_newsletter"] = "graphql error: 403 Forbidden (CRITICAL)"
    with pytest.raises(UpstreamError, match="Creating the channel failed: graphql error: 403"):
        await backend.create_channel("News", "", None)


async def test_follow_mute_and_unfollow(backend: fake.FakeNeonizeBackend) -> None:
    await backend.follow_channel(WEATHER, True)
    (args,) = calls_of(backend, "follow_newsletter")
    assert jid_of(args) == (fake_channels.FAKE_OTHER_CHANNEL, "newsletter")
    following = [FAKE_NEWS, dataclasses.replace(WEATHER_CHANNEL, role="SUBSCRIBER", subscribers=51)]
    assert await backend.channels() == following

    await backend.mute_channel(WEATHER, True)
    assert [jid_of(a) + a[1:] for a in calls_of(backend, "newsletter_toggle_mute")] == [
        (fake_channels.FAKE_OTHER_CHANNEL, "newsletter", True)
    ]
    assert (await backend.channel(WEATHER)).muted
    await backend.mute_channel(WEATHER, False)
    assert not (await backend.channel(WEATHER)).muted

    await backend.follow_channel(WEATHER, False)
    assert len(calls_of(backend, "unfollow_newsletter")) == 1
    assert await backend.channel(WEATHER) == WEATHER_CHANNEL
    assert await backend.channels() == [FAKE_NEWS]


async def test_what_whatsapp_refuses_comes_back_as_upstream_errors(
    backend: fake.FakeNeonizeBackend,
) -> None:
    with pytest.raises(UpstreamError, match="Muting the channel failed: graphql error: 403"):
        await backend.mute_channel(WEATHER, True)  # only followers mute
    owned = await backend.create_channel("Mine", "", None)
    with pytest.raises(UpstreamError, match=r"Unfollowing the channel failed: .*403"):
        await backend.follow_channel(owned.id, False)  # the owner cannot unfollow


# --- posts ------------------------------------------------------------------------------------


async def test_posts_come_newest_first(backend: fake.FakeNeonizeBackend) -> None:
    posts = await backend.channel_messages(NEWS, 10)
    (args,) = calls_of(backend, "get_newsletter_messages")
    assert (jid_of(args), args[1:]) == ((recorded.CHANNEL, "newsletter"), (10, 0))
    # 103 has no plaintext: no message of the channel
    assert [(p.key.id, p.body) for p in posts] == [
        ("102", "Today's weather map"),
        ("101", "Welcome to Fake News"),
    ]
    photo, text = posts
    assert (text.key.chat_id, text.key.from_me, text.sender, text.recipient) == (
        NEWS,
        False,
        NEWS,
        NEWS,
    )
    assert (text.ack, text.timestamp, text.content, text.participant) == (Ack.DEVICE, 0, None, None)
    assert text.raw is not None
    assert text.raw["ViewsCount"] == "1500"
    assert text.raw["ReactionCounts"] == [{"type": "👍", "count": "12"}]
    assert photo.content == Image(
        media=MediaBlob(data=b"", mimetype="image/jpeg"),
        caption="Today's weather map",
        width=640,
        height=480,
        thumbnail=b"\xff\xd8thumb",
    )

    # the limit counts WhatsApp's posts, readable or not
    assert [p.key.id for p in await backend.channel_messages(NEWS, 2)] == ["102"]
    # a channel the account does not follow can be read too
    assert [p.body for p in await backend.channel_messages(WEATHER, 10)] == ["Sunny all week"]


async def test_posts_of_our_own_channel_are_ours(backend: fake.FakeNeonizeBackend) -> None:
    owned = await backend.create_channel("Mine", "", None)
    user = owned.id.removesuffix("@newsletter")
    backend.fake.channel_posts[user] = [
        recorded.channel_message(7, recorded.text("first").Message),
        recorded.channel_message(9, recorded.text("second").Message),
    ]
    posts = await backend.channel_messages(owned.id, 5)
    assert [(p.key.id, p.key.from_me, p.sender, p.ack) for p in posts] == [
        ("9", True, ME, Ack.SERVER),
        ("7", True, ME, Ack.SERVER),
    ]


async def test_reading_posts_refuses_clearly(backend: fake.FakeNeonizeBackend) -> None:
    with pytest.raises(InvalidParamError, match="at least one post"):
        await backend.channel_messages(NEWS, 0)
    backend.fake.fail["get_newsletter_messages"] = "info query timed out"
    with pytest.raises(UpstreamError, match="Reading the channel's posts failed: info query"):
        await backend.channel_messages(NEWS, 5)


async def test_no_delete_and_no_directory_search(backend: fake.FakeNeonizeBackend) -> None:
    with pytest.raises(NotSupportedError, match="cannot delete a channel"):
        await backend.delete_channel(NEWS)
    with pytest.raises(NotSupportedError, match="cannot search the channel directory"):
        await backend.search_channels(
            view="RECOMMENDED", text=None, countries=["US"], categories=[], limit=10, cursor=None
        )
    assert backend.fake.channels[recorded.CHANNEL].ThreadMeta.Name.Text == "Fake News"


async def test_channels_need_a_login(config: BackendConfig) -> None:
    backend = fake.FakeNeonizeBackend(config, lambda _: None, client_factory=fake.FakeNeonizeClient)
    with pytest.raises(SessionNotReadyError):
        await backend.channels()
    with pytest.raises(SessionNotReadyError):
        await backend.follow_channel(NEWS, True)


async def test_the_echo_backend_has_no_channels(config: BackendConfig) -> None:
    echo = echo_backend.create(config, lambda _: None)
    with pytest.raises(NotSupportedError, match="no channels"):
        await echo.channels()
    with pytest.raises(NotSupportedError, match="cannot read channel posts"):
        await echo.channel_messages(NEWS, 5)


async def test_the_fake_answers_with_neonizes_protos(config: BackendConfig) -> None:
    client = fake.FakeNeonizeClient(config.device_store)
    client._seed_channels()
    unknown = await client.get_newsletter_info_with_invite("no-such-code")
    assert type(unknown).__name__ == "NewsletterMetadata"
    assert not unknown.HasField("ID")
    assert all(meta.IsInitialized() for meta in client.channels.values())
    assert all(post.IsInitialized() for posts in client.channel_posts.values() for post in posts)


# --- through a worker process ---------------------------------------------------------------


async def test_channels_through_a_worker_process(tmp_path: Path) -> None:
    """engine → worker → NeonizeBackend's channel ops on the fake client, and back."""
    async with worker_session(tmp_path, "WORKER000003", PHONE) as session:
        assert await session.channels() == [FAKE_NEWS]
        assert await session.channel(f"{LINK}{recorded.CHANNEL_INVITE}") == FAKE_NEWS
        created = await session.create_channel("Book news", "Weekly picks", JPEG)
        assert (created.name, created.role) == ("Book news", "OWNER")
        await session.follow_channel(WEATHER, True)
        await session.mute_channel(WEATHER, True)
        weather = await session.channel(WEATHER)
        assert (weather.role, weather.muted) == ("SUBSCRIBER", True)
        posts = await session.channel_messages(NEWS, 10)
        assert [(p.key.id, p.body) for p in posts] == [
            ("102", "Today's weather map"),
            ("101", "Welcome to Fake News"),
        ]
        assert isinstance(posts[0].content, Image)
        with pytest.raises(NotFoundError, match="no such channel"):
            await session.channel(NOWHERE)
        with pytest.raises(NotSupportedError, match="cannot delete a channel"):
            await session.delete_channel(created.id)
        with pytest.raises(NotSupportedError, match="directory"):
            await session.search_channels(
                view=None, text="news", countries=(), categories=(), limit=5, cursor=None
            )
        with pytest.raises(InvalidParamError, match="<digits>@newsletter"):
            await session.follow_channel(ME, True)
