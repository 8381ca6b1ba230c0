"""Channels (newsletters) on the sandbox network: who owns and follows each, its invite
code, its posts, and the directory that searches them.

The network owns one :class:`Channels` registry. A channel's owner is the phone that
created it; it follows its own channel from the start and cannot stop. Followers are
phones (accounts and virtual contacts alike), each with its mute flag. For the
directory every channel is in country ``US`` and category ``ENTERTAINMENT`` (WhatsApp
asks the creator; the engine contract does not) and none is verified. Like the
network's other records, channels and their posts last as long as the server process.
"""

from __future__ import annotations

import base64
import secrets
import string
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from wagate.domain.chats import Channel
from wagate.domain.messages import Ack, Message, MessageKey
from wagate.errors import InvalidParamError, NotFoundError

OWNER = "OWNER"
SUBSCRIBER = "SUBSCRIBER"
GUEST = "GUEST"
ID_PREFIX = "120363"
ID_DIGITS = 12
ID_SUFFIX = "@newsletter"
INVITE_LINK_PREFIX = "https://whatsapp.com/channel/"
INVITE_ALPHABET = string.ascii_letters + string.digits
INVITE_LENGTH = 22
DEFAULT_COUNTRY = "US"
DEFAULT_CATEGORY = "ENTERTAINMENT"
POSTS_SIZE = 1_000  # posts remembered per channel, the oldest forgotten first
BY_FOLLOWERS = ("RECOMMENDED", "TRENDING", "POPULAR")  # directory views, most followed first
NEWEST = "NEW"  # the directory view of the newest channels first
VIEWS = (*BY_FOLLOWERS, NEWEST)

NOT_A_CHANNEL_ID = "A channel id looks like <digits>@newsletter"
NO_SUCH_CHANNEL = "No channel has this id"
NO_SUCH_INVITE = "No channel has this invite code"
BLANK_INVITE = "A channel is named by its id, its invite code or its invite link"
OWNER_ONLY = "Only the channel's owner can {what}"
OWNER_FOLLOWS = "The owner of a channel cannot unfollow it"
NOT_FOLLOWING = "Only a channel's followers can mute it"
BLANK_NAME = "A channel needs a name"
UNKNOWN_VIEW = f"A directory view is one of {', '.join(VIEWS)}"


def check_channel_id(channel_id: str) -> str:
    """The id, if it looks like ``<digits>@newsletter``; ``InvalidParamError`` otherwise."""
    user, _, server = channel_id.partition("@")
    if server != ID_SUFFIX[1:] or not user.isdigit():
        raise InvalidParamError(NOT_A_CHANNEL_ID, channel_id=channel_id)
    return channel_id


def check_name(name: str) -> str:
    """The name, trimmed; ``InvalidParamError`` when blank."""
    trimmed = name.strip()
    if not trimmed:
        raise InvalidParamError(BLANK_NAME)
    return trimmed


def invite_code_of(code_or_link: str) -> str:
    """The code of an invite code or link (``https://whatsapp.com/channel/<code>``)."""
    return code_or_link.strip().removeprefix(INVITE_LINK_PREFIX).strip("/")


@dataclass(slots=True, kw_only=True)
class SandboxChannel:
    """A channel: its info, picture, invite code, followers (phone → muted, in the order
    they followed, the owner first) and its posts (oldest first, as the owner sent them)."""

    id: str  # "120363<12 digits>@newsletter"
    name: str
    owner: str  # the creator's phone
    created: int  # seconds
    invite_code: str
    description: str = ""
    picture: bytes | None = field(default=None, repr=False)  # a JPEG
    country: str = DEFAULT_COUNTRY
    category: str = DEFAULT_CATEGORY
    followers: dict[str, bool] = field(default_factory=dict)
    posts: deque[Message] = field(default_factory=lambda: deque(maxlen=POSTS_SIZE))

    @property
    def picture_url(self) -> str | None:
        """The picture as a ``data:image/jpeg;base64,...`` URI, like the profiles'."""
        if self.picture is None:
            return None
        return "data:image/jpeg;base64," + base64.b64encode(self.picture).decode("ascii")

    @property
    def subscribers(self) -> int:
        """How many follow it, the owner aside."""
        return sum(1 for phone in self.followers if phone != self.owner)

    def role_of(self, phone: str) -> str:
        if phone == self.owner:
            return OWNER
        return SUBSCRIBER if phone in self.followers else GUEST

    def check_owner(self, phone: str, what: str) -> None:
        """``InvalidParamError`` unless ``phone`` owns it (``what``: "delete it"...)."""
        if phone != self.owner:
            raise InvalidParamError(OWNER_ONLY.format(what=what), channel_id=self.id)

    def view(self, phone: str) -> Channel:
        """The channel as ``phone``'s account sees it (its role, whether it muted it)."""
        return Channel(
            id=self.id,
            name=self.name,
            description=self.description,
            invite=self.invite_code,
            picture=self.picture_url,
            verified=False,
            role=self.role_of(phone),
            subscribers=self.subscribers,
            muted=self.followers.get(phone, False),
            created=self.created,
        )

    # --- following ----------------------------------------------------------------------

    def follow(self, phone: str) -> None:
        """``phone`` follows it (already following: its mute flag stays)."""
        self.followers.setdefault(phone, False)

    def unfollow(self, phone: str) -> None:
        """``phone`` stops following (not following: nothing changes); never the owner."""
        if phone == self.owner:
            raise InvalidParamError(OWNER_FOLLOWS, channel_id=self.id)
        self.followers.pop(phone, None)

    def mute(self, phone: str, mute: bool) -> None:
        """A follower mutes or unmutes it (posts still come: WhatsApp only stops
        notifying)."""
        if phone not in self.followers:
            raise InvalidParamError(NOT_FOLLOWING, channel_id=self.id)
        self.followers[phone] = mute

    # --- posts --------------------------------------------------------------------------

    def add_post(self, message: Message) -> None:
        """Keep a post as its owner sent it."""
        self.posts.append(message)

    def post_as_seen_by(self, phone: str, post: Message) -> Message:
        """A post as ``phone`` sees it: the owner as sent, anyone else as a message from
        the channel (its id as sender and recipient, as WhatsApp shows channel posts)."""
        if phone == self.owner:
            return post
        return as_received(post, self.name)

    def newest_posts(self, phone: str, limit: int) -> list[Message]:
        """The ``limit`` newest posts as ``phone`` sees them, newest first."""
        newest = list(self.posts)[::-1][:limit]
        return [self.post_as_seen_by(phone, post) for post in newest]


def as_received(post: Message, channel_name: str) -> Message:
    """A post of a channel as its followers receive it: from the channel (under its
    name), not from its owner, whom they do not know."""
    channel_id = post.key.chat_id
    quoted = MessageKey.parse(post.reply_to) if post.reply_to is not None else None
    return replace(
        post,
        key=MessageKey(chat_id=channel_id, id=post.key.id, from_me=False),
        sender=channel_id,
        recipient=channel_id,
        ack=Ack.DEVICE,
        participant=None,
        # every post is the channel's, none the follower's own
        reply_to=replace(quoted, from_me=False).serialized if quoted is not None else None,
        push_name=channel_name,
        source="app",
    )


class Channels:
    """Every channel of the network, by id and by invite code."""

    def __init__(self) -> None:
        self._channels: dict[str, SandboxChannel] = {}  # in the order they were created
        self._codes: dict[str, str] = {}  # invite code → channel id

    def create(
        self, owner: str, name: str, description: str, picture: bytes | None, now: int
    ) -> SandboxChannel:
        """A new channel of ``owner``, who follows it."""
        channel = SandboxChannel(
            id=self._new_id(),
            name=name,
            owner=owner,
            created=now,
            invite_code=self._new_code(),
            description=description,
            picture=picture,
        )
        channel.follow(owner)
        self._channels[channel.id] = channel
        self._codes[channel.invite_code] = channel.id
        return channel

    def get(self, channel_id: str) -> SandboxChannel | None:
        """The channel with this id, if the network knows it."""
        return self._channels.get(channel_id)

    def known(self, channel_id: str) -> SandboxChannel:
        """The channel with this id: ``InvalidParamError`` for what is no channel id,
        ``NotFoundError`` for a channel the network does not know (or deleted)."""
        channel = self._channels.get(check_channel_id(channel_id))
        if channel is None:
            raise NotFoundError(NO_SUCH_CHANNEL, channel_id=channel_id)
        return channel

    def find(self, channel: str) -> SandboxChannel:
        """A channel by its id, its invite code or its invite link."""
        if "@" in channel:
            return self.known(channel.strip())
        code = invite_code_of(channel)
        if not code:
            raise InvalidParamError(BLANK_INVITE, channel=channel)
        channel_id = self._codes.get(code)
        found = self._channels.get(channel_id) if channel_id is not None else None
        if found is None:
            raise NotFoundError(NO_SUCH_INVITE, code=code)
        return found

    def of(self, phone: str) -> list[SandboxChannel]:
        """The channels ``phone`` owns or follows, oldest first."""
        return [c for c in self._channels.values() if phone in c.followers]

    def delete(self, channel: SandboxChannel) -> None:
        """Forget the channel, its invite code and its posts."""
        self._channels.pop(channel.id, None)
        self._codes.pop(channel.invite_code, None)

    def search(
        self,
        *,
        view: str | None,
        text: str | None,
        countries: Collection[str],
        categories: Collection[str],
    ) -> list[SandboxChannel]:
        """The directory's answer, best first: the channels whose name or description
        holds ``text`` (any case), in ``countries`` and ``categories`` (ISO codes and
        category names, any case; empty: any), ordered by ``view`` (the most followed
        first, or the newest first for NEW; most followed when only ``text`` is given)."""
        order = check_view(view)
        needle = (text or "").strip().casefold()
        wanted_countries = {c.strip().upper() for c in countries}
        wanted_categories = {c.strip().upper() for c in categories}
        found = [
            (serial, channel)
            for serial, channel in enumerate(self._channels.values())
            if (not needle or needle in f"{channel.name}\n{channel.description}".casefold())
            and (not wanted_countries or channel.country in wanted_countries)
            and (not wanted_categories or channel.category in wanted_categories)
        ]
        if order == NEWEST:
            found.sort(key=lambda pair: (-pair[1].created, -pair[0]))
        else:
            found.sort(key=lambda pair: (-pair[1].subscribers, pair[0]))
        return [channel for _, channel in found]

    def _new_id(self) -> str:
        while True:
            digits = "".join(secrets.choice(string.digits) for _ in range(ID_DIGITS))
            channel_id = f"{ID_PREFIX}{digits}{ID_SUFFIX}"
            if channel_id not in self._channels:
                return channel_id

    def _new_code(self) -> str:
        while True:
            code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
            if code not in self._codes:
                return code


def check_view(view: str | None) -> str:
    """The directory view, upper-case (RECOMMENDED when none); ``InvalidParamError`` for
    one WhatsApp does not have."""
    order = (view or BY_FOLLOWERS[0]).strip().upper()
    if order not in VIEWS:
        raise InvalidParamError(UNKNOWN_VIEW, view=view)
    return order
