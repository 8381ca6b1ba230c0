"""The channel (newsletter) operations of a sandbox session, and how a channel's posts
reach its followers.

Changes apply to the network's :class:`~wagate.engines.sandbox.channels.Channels` at
once; no event tells them (WhatsApp has no Wawp event for following, muting or a new
channel). A post goes to every follower's linked sessions on this session's delivery,
after what was queued before, and waits for offline sessions like messages do.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace

from wagate.domain.chats import Channel, ChannelSearch
from wagate.domain.events import AckChanged, MessageSeen
from wagate.domain.messages import Ack, Message
from wagate.engines.sandbox.channels import SandboxChannel, as_received, check_name
from wagate.engines.sandbox.network import VirtualPhone
from wagate.engines.sandbox.util import JPEG_MAGIC, SessionParts, _now
from wagate.errors import InvalidParamError

NOT_A_CHANNEL_JPEG = "A channel picture is a JPEG"
BAD_LIMIT = "A limit is 1 or more"
BAD_CURSOR = "A cursor is the next_cursor of a previous search"


class SandboxChannelOperations(SessionParts):
    """Channels as WhatsApp runs them, for :class:`SandboxSession` (which provides the
    network, the account and the ordered delivery).

    Anyone finds a channel by its id or invite (role GUEST until following); only its
    owner posts to it, changes it or deletes it (``InvalidParamError`` for anyone else).
    A malformed id is ``InvalidParamError``, an unknown one ``NotFoundError``.
    """

    # --- reading --------------------------------------------------------------------

    async def channels(self) -> list[Channel]:
        """The channels the account owns (OWNER) or follows (SUBSCRIBER), oldest first."""
        own = self._own_phone()
        return [c.view(own.phone) for c in self._network.channels.of(own.phone)]

    async def channel(self, channel: str) -> Channel:
        """A channel by id, invite code or ``https://whatsapp.com/channel/<code>`` link,
        followed or not."""
        own = self._own_phone()
        return self._network.channels.find(channel).view(own.phone)

    async def channel_messages(self, channel_id: str, limit: int) -> list[Message]:
        """The ``limit`` newest posts, newest first, followed or not: the owner sees them
        as sent, anyone else as messages from the channel."""
        own, channel = self._known_channel(channel_id)
        if limit < 1:
            raise InvalidParamError(BAD_LIMIT, limit=limit)
        return channel.newest_posts(own.phone, limit)

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
        """Search the sandbox's channels (see :meth:`Channels.search`); a page holds at
        most ``limit``, and ``next_cursor`` (an offset, opaque to clients) is set while
        more remain."""
        own = self._own_phone()
        if limit < 1:
            raise InvalidParamError(BAD_LIMIT, limit=limit)
        offset = _offset(cursor)
        found = self._network.channels.search(
            view=view, text=text, countries=countries, categories=categories
        )
        page = found[offset : offset + limit]
        more = offset + limit < len(found)
        return ChannelSearch(
            channels=tuple(c.view(own.phone) for c in page),
            next_cursor=str(offset + limit) if more else None,
        )

    # --- owning and following -------------------------------------------------------

    async def create_channel(self, name: str, description: str, jpeg: bytes | None) -> Channel:
        """A new channel we own (and follow); its picture, if any, is a JPEG."""
        own = self._own_phone()
        name = check_name(name)
        if jpeg is not None and not jpeg.startswith(JPEG_MAGIC):
            raise InvalidParamError(NOT_A_CHANNEL_JPEG)
        channel = self._network.channels.create(own.phone, name, description, jpeg, _now())
        return channel.view(own.phone)

    async def delete_channel(self, channel_id: str) -> None:
        """Delete a channel we own, posts and all: its followers simply lose it."""
        own, channel = self._known_channel(channel_id)
        channel.check_owner(own.phone, "delete it")
        self._network.channels.delete(channel)

    async def follow_channel(self, channel_id: str, follow: bool) -> None:
        """Follow (already following: nothing changes) or unfollow (not the owner)."""
        own, channel = self._known_channel(channel_id)
        if follow:
            channel.follow(own.phone)
        else:
            channel.unfollow(own.phone)

    async def mute_channel(self, channel_id: str, mute: bool) -> None:
        """Mute or unmute a channel we follow; its posts still come."""
        own, channel = self._known_channel(channel_id)
        channel.mute(own.phone, mute)

    # --- posts ----------------------------------------------------------------------

    def _channel_to_send(self, own: VirtualPhone, chat_id: str) -> SandboxChannel | None:
        """The channel a message goes to, if the network knows it (others, e.g. channels
        of a previous server run, keep it at SERVER); refused unless we own it."""
        channel = self._network.channels.get(chat_id)
        if channel is None:
            return None
        channel.check_owner(own.phone, "post to it")
        return channel

    def _post_to_channel(
        self, own: VirtualPhone, channel: SandboxChannel, message: Message
    ) -> None:
        """Keep our post and queue it for the followers: our other sessions see it as
        sent from another device, the followers' sessions as received from the channel;
        we see DEVICE once each follower got it on a device (virtual followers at once)."""
        network = self._network
        channel.add_post(message)
        followers = [p for p in channel.followers if p != own.phone]
        received = MessageSeen(message=as_received(message, channel.name))
        instance_id = self.instance_id

        def job() -> None:
            sent = MessageSeen(message=replace(message, source="app"))
            network.deliver(own.phone, sent, exclude=instance_id)
            waiting = {p for p in followers if network.is_linked(p)}
            delivered = AckChanged(key=message.key, ack=Ack.DEVICE)

            def reached(phone: str) -> None:
                if phone in waiting:
                    waiting.discard(phone)
                    if not waiting:
                        network.deliver(own.phone, delivered)

            if not waiting:
                network.deliver(own.phone, delivered)
            for phone in [p for p in followers if p in waiting]:
                # no sender: followers learn nothing of the owner (nor do its blocks apply)
                on_delivered = functools.partial(reached, phone)
                network.deliver(phone, received, on_delivered=on_delivered)

        self._schedule(job)

    # --- helpers --------------------------------------------------------------------

    def _known_channel(self, channel_id: str) -> tuple[VirtualPhone, SandboxChannel]:
        """Our account and the channel (``InvalidParamError`` for a malformed id,
        ``NotFoundError`` for an unknown one)."""
        own = self._own_phone()
        return own, self._network.channels.known(channel_id)


def _offset(cursor: str | None) -> int:
    """Where a page starts: the offset a previous page's ``next_cursor`` gave."""
    if cursor is None or cursor == "":
        return 0
    if not cursor.isdigit():
        raise InvalidParamError(BAD_CURSOR, cursor=cursor)
    return int(cursor)
