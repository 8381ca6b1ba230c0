"""The channels (newsletters) of :class:`~wagate.engines.whatsmeow.fake.FakeNeonizeClient`:
neonize's newsletter methods, with its signatures, protos and exceptions, over channels
kept in memory.

Script:

* at link time the account follows ``recorded.CHANNEL`` ("Fake News", verified, invite
  code ``recorded.CHANNEL_INVITE``), whose posts are a text (server id 101), a photo
  with a caption (102) and one without plaintext (103, as WhatsApp sends a deleted post);
  WhatsApp also knows :data:`FAKE_OTHER_CHANNEL` ("Weather", invite code
  :data:`FAKE_OTHER_INVITE`), which the account does not follow, with one post (201);
* ``create_newsletter`` makes the account the owner of a new ``120363…@newsletter``
  channel (its picture is kept in ``channel_pictures``);
* following, unfollowing and muting change the account's viewer metadata; the owner
  cannot unfollow and only followers can mute (WhatsApp answers 403);
* as whatsmeow: by invite code the viewer metadata is left out and an unknown code is no
  channel at all (an empty ``NewsletterMetadata``, as neonize hands over whatsmeow's
  nil); an unknown id is a GraphQL error, or an IQ 404 when reading posts;
* posts come oldest first, the last ``count`` before the server id ``before`` (0: none).
"""

from __future__ import annotations

import asyncio
import secrets
import string
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wagate.engines.whatsmeow import recorded
from wagate.engines.whatsmeow.protos import quiet_neonize_import

with quiet_neonize_import():
    from neonize.exc import (
        CreateNewsletterError,
        FollowNewsletterError,
        GetNewsletterInfoError,
        GetNewsletterMessagesError,
        NewsletterToggleMuteError,
        UnfollowNewsletterError,
    )
    from neonize.proto import Neonize_pb2 as N
    from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E

CHANNEL_LINK_PREFIX = "https://whatsapp.com/channel/"
FAKE_OTHER_CHANNEL = "120363888888888888"
FAKE_OTHER_INVITE = "0029VaFakeWeatherInvite1"
NO_CHANNEL = "graphql error: 404 Not Found (CRITICAL)"
NO_CHANNEL_IQ = "info query returned status 404: item-not-found"
FORBIDDEN = "graphql error: 403 Forbidden (CRITICAL)"
BAD_REQUEST = "graphql error: 400 Bad Request (CRITICAL)"
_CODE_ALPHABET = string.ascii_letters + string.digits


class FakeChannels:
    """Mixed into ``FakeNeonizeClient``, which calls :meth:`_init_channels` and, when an
    account links, :meth:`_seed_channels`."""

    if TYPE_CHECKING:

        def _check(self, op: str, *args: Any) -> None: ...

    def _init_channels(self) -> None:
        self.channels: dict[str, Any] = {}  # channel user → its metadata, no viewer's
        self.channel_roles: dict[str, str] = {}  # channel user → ours (none: GUEST)
        self.channel_muted: set[str] = set()
        self.channel_posts: dict[str, list[Any]] = {}  # channel user → posts, oldest first
        self.channel_pictures: dict[str, bytes] = {}
        self._channel_counter = 0

    def _seed_channels(self) -> None:
        if recorded.CHANNEL in self.channels:
            return
        self.channels[recorded.CHANNEL] = recorded.channel_metadata(role=None)
        self.channel_roles[recorded.CHANNEL] = "SUBSCRIBER"
        self.channel_posts[recorded.CHANNEL] = [
            recorded.channel_message(
                101, E.Message(conversation="Welcome to Fake News"), views=1500, thumbs_up=12
            ),
            recorded.channel_message(102, recorded.image("Today's weather map").Message, views=900),
            recorded.channel_message(103, E.Message()),
        ]
        self.channels[FAKE_OTHER_CHANNEL] = recorded.channel_metadata(
            FAKE_OTHER_CHANNEL,
            "Weather",
            description="",
            invite=FAKE_OTHER_INVITE,
            role=None,
            subscribers=50,
            verified=False,
            picture=None,
        )
        self.channel_posts[FAKE_OTHER_CHANNEL] = [
            recorded.channel_message(201, E.Message(conversation="Sunny all week"), views=40)
        ]

    # --- what WhatsApp knows ---------------------------------------------------------------

    def _view(self, user: str) -> Any:
        """A channel with the account's viewer metadata, as ``GetNewsletterInfo`` answers."""
        meta = N.NewsletterMetadata()
        meta.CopyFrom(self.channels[user])
        mute = N.NewsletterMuteState.ON if user in self.channel_muted else N.NewsletterMuteState.OFF
        role = getattr(N.NewsletterRole, self.channel_roles.get(user, "GUEST"))
        meta.ViewerMeta.CopyFrom(N.NewsletterViewerMetadata(Mute=mute, Role=role))
        return meta

    def _known(self, jid: Any, error: type[Exception], text: str = NO_CHANNEL) -> str:
        if jid.Server != "newsletter" or jid.User not in self.channels:
            raise error(text)
        return str(jid.User)

    def _count_subscriber(self, user: str, change: int) -> None:
        thread = self.channels[user].ThreadMeta
        thread.SubscriberCount = max(thread.SubscriberCount + change, 0)

    # --- neonize's newsletter methods -----------------------------------------------------

    async def get_subscribed_newletters(self) -> list[Any]:  # sic, neonize's name
        self._check("get_subscribed_newletters")
        return [self._view(user) for user in self.channel_roles]

    async def get_newsletter_info(self, jid: Any) -> Any:
        self._check("get_newsletter_info", jid)
        return self._view(self._known(jid, GetNewsletterInfoError))

    async def get_newsletter_info_with_invite(self, key: str) -> Any:
        self._check("get_newsletter_info_with_invite", key)
        key = key.removeprefix(CHANNEL_LINK_PREFIX)  # as whatsmeow
        for meta in self.channels.values():
            if meta.ThreadMeta.InviteCode == key:
                found = N.NewsletterMetadata()
                found.CopyFrom(meta)
                return found
        return N.NewsletterMetadata()

    async def create_newsletter(self, name: str, description: str, picture: str | bytes) -> Any:
        self._check("create_newsletter", name, description, picture)
        data = picture
        if isinstance(data, str):  # neonize: a file name (or a URL, which the fake skips)
            data = await asyncio.to_thread(Path(data).read_bytes)
        if not name:
            raise CreateNewsletterError(BAD_REQUEST)
        self._channel_counter += 1
        user = f"120363200000{self._channel_counter:06d}"
        self.channels[user] = recorded.channel_metadata(
            user,
            name,
            description=description,
            invite="".join(secrets.choice(_CODE_ALPHABET) for _ in range(24)),
            role=None,
            subscribers=0,
            verified=False,
            picture=f"/v/t61.24694-24/{user}.jpg" if data else None,
            created=int(time.time()),
        )
        if data:
            self.channel_pictures[user] = data
        self.channel_roles[user] = "OWNER"
        self.channel_posts[user] = []
        return self._view(user)

    async def follow_newsletter(self, jid: Any) -> None:
        self._check("follow_newsletter", jid)
        user = self._known(jid, FollowNewsletterError)
        if user not in self.channel_roles:
            self.channel_roles[user] = "SUBSCRIBER"
            self._count_subscriber(user, 1)

    async def unfollow_newsletter(self, jid: Any) -> None:
        self._check("unfollow_newsletter", jid)
        user = self._known(jid, UnfollowNewsletterError)
        if self.channel_roles.get(user) == "OWNER":
            raise UnfollowNewsletterError(FORBIDDEN)
        if self.channel_roles.pop(user, None) is not None:
            self.channel_muted.discard(user)
            self._count_subscriber(user, -1)

    async def newsletter_toggle_mute(self, jid: Any, mute: bool) -> None:
        self._check("newsletter_toggle_mute", jid, mute)
        user = self._known(jid, NewsletterToggleMuteError)
        if user not in self.channel_roles:
            raise NewsletterToggleMuteError(FORBIDDEN)
        if mute:
            self.channel_muted.add(user)
        else:
            self.channel_muted.discard(user)

    async def get_newsletter_messages(self, jid: Any, count: int, before: int) -> list[Any]:
        self._check("get_newsletter_messages", jid, count, before)
        user = self._known(jid, GetNewsletterMessagesError, NO_CHANNEL_IQ)
        posts = [p for p in self.channel_posts[user] if not before or p.MessageServerID < before]
        return posts[-count:] if count else posts
