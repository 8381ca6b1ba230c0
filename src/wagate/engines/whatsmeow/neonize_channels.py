"""The channel (newsletter) operations of
:class:`~wagate.engines.whatsmeow.neonize_backend.NeonizeBackend`, as a mixin over
neonize 0.5.2's async client (whatsmeow's ``newsletter.go`` underneath).

What whatsmeow and neonize do here, and what that means for wagate:

* whatsmeow asks WhatsApp's GraphQL endpoint ("mex"); an unknown channel comes back as a
  GraphQL error (``graphql error: 404 …``) or as no channel at all, which neonize hands
  over as an empty ``NewsletterMetadata``: both are ``NotFoundError``;
* by invite code whatsmeow does not ask for the viewer's metadata, so the account's role
  and mute state are read again by the channel's id;
* a picture may come as a CDN path without a URL: the URL is made on WhatsApp's media
  host;
* neonize's ``NewsletterMessage`` keeps the server id, the views, the reactions and the
  message, but drops whatsmeow's message id and time: a post's id here is its server id
  and its time is unknown (0);
* neither whatsmeow nor neonize 0.5.2 can delete a channel or search the directory.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any

from wagate.domain.chats import Channel, ChannelSearch
from wagate.domain.messages import Ack, Message, MessageKey
from wagate.engines.whatsmeow import protos as pb

# The one waE2E → body/content mapping; convert.py keeps it private and this module may
# not add a public name there, so it is borrowed rather than copied.
from wagate.engines.whatsmeow.convert import content_of, unwrap
from wagate.engines.whatsmeow.protos import quiet_neonize_import
from wagate.errors import (
    InvalidParamError,
    NotFoundError,
    NotSupportedError,
    UpstreamError,
    WagateError,
)

if TYPE_CHECKING:
    from wagate.domain.models import Me

with quiet_neonize_import():
    from neonize.proto import Neonize_pb2 as N

log = logging.getLogger(__name__)

CHANNEL_LINK_PREFIX = "https://whatsapp.com/channel/"
CHANNEL_DELETE_UNSUPPORTED = (
    "neonize 0.5.2 cannot delete a channel: neither it nor the whatsmeow it bundles "
    "has a call for it"
)
CHANNEL_SEARCH_UNSUPPORTED = (
    "neonize 0.5.2 cannot search the channel directory: neither it nor the whatsmeow it "
    "bundles has a call for it"
)
# Where WhatsApp keeps channel pictures (it names them by path, without a host).
PICTURE_HOST = "https://mmg.whatsapp.net"
# What whatsmeow answers for a channel that does not exist (a GraphQL error or an IQ one);
# not a bare "not found", which neonize also says of a client it lost.
NO_CHANNEL_MARKERS = ("graphql error: 404", "item-not-found", "status 404")

_CHANNEL_ID = re.compile(r"[0-9]+@newsletter")
_INVITE_CODE = re.compile(r"[A-Za-z0-9_-]+")
_INVITE_PREFIXES = ("https://", "http://", "www.", "whatsapp.com/", "channel/")
_ROLES = {
    N.NewsletterRole.OWNER: "OWNER",
    N.NewsletterRole.ADMIN: "ADMIN",
    N.NewsletterRole.SUBSCRIBER: "SUBSCRIBER",
    N.NewsletterRole.GUEST: "GUEST",
}
_VERIFIED = N.NewsletterThreadMetadata.VERIFIED


def channel_jid(channel_id: str) -> Any:
    """A wagate channel id (``<digits>@newsletter``) → its JID proto; anything else is refused."""
    if not _CHANNEL_ID.fullmatch(channel_id):
        raise InvalidParamError("A channel id is <digits>@newsletter", channel_id=channel_id)
    return pb.chat_id_to_jid(channel_id)


def channel_invite_code(code_or_link: str) -> str:
    """The bare code of a channel invite code or ``https://whatsapp.com/channel/<code>`` link."""
    code = pb.link_code(code_or_link, _INVITE_PREFIXES)
    if not _INVITE_CODE.fullmatch(code):
        raise InvalidParamError("Not a channel id, invite code or link", channel=code_or_link)
    return code


def picture_url(thread: Any) -> str | None:
    """The URL of a channel's picture (the full one, else the preview), if it has one."""
    for name in ("Picture", "Preview"):
        if thread.HasField(name):
            picture = getattr(thread, name)
            if picture.URL:
                return str(picture.URL)
            if picture.DirectPath:
                return PICTURE_HOST + str(picture.DirectPath)
    return None


def channel_of(meta: Any, *, role: str = "GUEST") -> Channel:
    """neonize's ``NewsletterMetadata`` → a :class:`Channel`; ``role`` is the account's
    when WhatsApp sent no viewer metadata."""
    thread = meta.ThreadMeta
    muted = False
    if meta.HasField("ViewerMeta"):
        role = _ROLES.get(meta.ViewerMeta.Role, role)
        muted = meta.ViewerMeta.Mute == N.NewsletterMuteState.ON
    return Channel(
        id=pb.jid_to_chat_id(meta.ID),
        name=thread.Name.Text,
        description=thread.Description.Text,
        invite=thread.InviteCode or None,
        picture=picture_url(thread),
        verified=thread.VerificationState == _VERIFIED,
        role=role,
        subscribers=max(int(thread.SubscriberCount), 0),
        muted=muted,
        created=pb.seconds(thread.CreationTime),  # Go's zero time is negative: 0
    )


def channel_post(post: Any, channel_id: str, *, owner: str | None) -> Message | None:
    """One of neonize's ``NewsletterMessage`` → a :class:`Message` of the channel, or
    ``None`` for what is no message of it (no plaintext, a reaction, a protocol message).
    ``owner`` is the account's id when it owns the channel: then the post is ours."""
    try:
        body, content, _ = content_of(unwrap(post.Message))
    except LookupError:
        return None
    from_me = owner is not None
    return Message(
        key=MessageKey(chat_id=channel_id, id=str(post.MessageServerID), from_me=from_me),
        timestamp=0,  # neonize drops the post's time
        sender=owner or channel_id,
        recipient=channel_id,
        body=body,
        ack=Ack.SERVER if from_me else Ack.DEVICE,
        source="app",
        content=content,
        raw=pb.raw_json(post),
    )


class ChannelOps:
    """Channels for a backend that has a neonize client; mixed into ``NeonizeBackend``."""

    # What the backend provides (NeonizeBackend), declared for the type checker.
    _client: Any

    if TYPE_CHECKING:

        def _require_me(self) -> Me: ...

        @staticmethod
        async def _upstream(what: str, awaitable: Awaitable[Any]) -> Any: ...

    @staticmethod
    async def _on_channel(what: str, awaitable: Awaitable[Any], channel: str) -> Any:
        """``awaitable``'s result; WhatsApp's "no such channel" is ``NotFoundError``, an
        empty ``NewsletterMetadata`` (whatsmeow found none) too."""
        try:
            found = await awaitable
        except WagateError:
            raise
        except Exception as exc:
            if any(marker in str(exc).lower() for marker in NO_CHANNEL_MARKERS):
                raise NotFoundError("There is no such channel", channel=channel) from exc
            raise UpstreamError(f"{what} failed: {exc}") from exc
        if isinstance(found, N.NewsletterMetadata) and not found.ID.User:
            raise NotFoundError("There is no such channel", channel=channel)
        return found

    async def _channel_proto(self, channel_id: str, what: str) -> Any:
        jid = channel_jid(channel_id)
        return await self._on_channel(what, self._client.get_newsletter_info(jid), channel_id)

    async def channels(self) -> list[Channel]:
        self._require_me()
        found = await self._upstream(
            "Reading the channels", self._client.get_subscribed_newletters()
        )
        return [channel_of(meta, role="SUBSCRIBER") for meta in found]

    async def channel(self, channel: str) -> Channel:
        self._require_me()
        if "@" in channel:
            return channel_of(await self._channel_proto(channel, "Reading the channel"))
        code = channel_invite_code(channel)
        meta = await self._on_channel(
            "Reading the channel", self._client.get_newsletter_info_with_invite(code), channel
        )
        if meta.HasField("ViewerMeta"):
            return channel_of(meta)
        # whatsmeow leaves the viewer out by invite: ask by id for the account's role,
        # and when WhatsApp will not say, the account is a guest.
        channel_id = pb.jid_to_chat_id(meta.ID)
        try:
            return channel_of(await self._channel_proto(channel_id, "Reading the channel"))
        except WagateError as exc:
            log.info("channel %s: no viewer metadata by id (%s)", channel_id, exc)
            return channel_of(meta)

    async def create_channel(self, name: str, description: str, jpeg: bytes | None) -> Channel:
        self._require_me()
        if not name.strip():
            raise InvalidParamError("A channel needs a name")
        if jpeg is not None and not jpeg:
            raise InvalidParamError("The picture is empty")
        # No picture is an empty one: whatsmeow leaves an empty picture out of the request.
        meta = await self._upstream(
            "Creating the channel",
            self._client.create_newsletter(name, description, bytes(jpeg or b"")),
        )
        if not meta.ID.User:
            raise UpstreamError("Creating the channel failed: WhatsApp named no channel")
        return channel_of(meta, role="OWNER")

    async def delete_channel(self, channel_id: str) -> None:
        self._require_me()
        channel_jid(channel_id)
        raise NotSupportedError(CHANNEL_DELETE_UNSUPPORTED)

    async def channel_messages(self, channel_id: str, limit: int) -> list[Message]:
        me = self._require_me()
        if limit < 1:
            raise InvalidParamError("Ask for at least one post", limit=limit)
        what = "Reading the channel's posts"
        # Its info first: NotFoundError for an unknown channel, and whether it is ours.
        own = channel_of(await self._channel_proto(channel_id, what)).role == "OWNER"
        posts = await self._on_channel(
            what,
            self._client.get_newsletter_messages(channel_jid(channel_id), limit, 0),
            channel_id,
        )
        owner = me.id if own else None
        newest_first = sorted(posts, key=lambda post: int(post.MessageServerID), reverse=True)
        found = (channel_post(post, channel_id, owner=owner) for post in newest_first)
        return [message for message in found if message is not None]

    async def follow_channel(self, channel_id: str, follow: bool) -> None:
        self._require_me()
        jid = channel_jid(channel_id)
        if follow:
            await self._on_channel(
                "Following the channel", self._client.follow_newsletter(jid), channel_id
            )
        else:
            await self._on_channel(
                "Unfollowing the channel", self._client.unfollow_newsletter(jid), channel_id
            )

    async def mute_channel(self, channel_id: str, mute: bool) -> None:
        self._require_me()
        jid = channel_jid(channel_id)
        await self._on_channel(
            "Muting the channel" if mute else "Unmuting the channel",
            self._client.newsletter_toggle_mute(jid, mute),
            channel_id,
        )

    async def search_channels(
        self,
        *,
        view: str | None,
        text: str | None,
        countries: Sequence[str],
        categories: Sequence[str],
        limit: int,
        cursor: str | None,
    ) -> ChannelSearch:
        raise NotSupportedError(CHANNEL_SEARCH_UNSUPPORTED)
