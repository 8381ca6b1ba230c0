"""Channels (newsletters), through the engine (the session must be WORKING)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from wagate.domain.chats import Channel, ChannelSearch
from wagate.errors import InvalidParamError
from wagate.services.messaging import MessagingService
from wagate.services.sessions import SessionService

VIEWS = ("RECOMMENDED", "TRENDING", "POPULAR", "NEW")
CATEGORIES = (
    ("BUSINESS", "Business"),
    ("ENTERTAINMENT", "Entertainment"),
    ("LIFESTYLE", "Lifestyle"),
    ("NEWS", "News"),
    ("ORGANIZATIONS", "Organizations"),
    ("PEOPLE", "People"),
    ("SPORTS", "Sports"),
)
COUNTRIES = (
    ("AR", "Argentina"), ("AU", "Australia"), ("BR", "Brazil"), ("CA", "Canada"),
    ("CO", "Colombia"), ("DE", "Germany"), ("EG", "Egypt"), ("ES", "Spain"),
    ("FR", "France"), ("GB", "United Kingdom"), ("ID", "Indonesia"), ("IN", "India"),
    ("IT", "Italy"), ("KE", "Kenya"), ("MX", "Mexico"), ("MY", "Malaysia"),
    ("NG", "Nigeria"), ("NL", "Netherlands"), ("PE", "Peru"), ("PH", "Philippines"),
    ("PK", "Pakistan"), ("PT", "Portugal"), ("SA", "Saudi Arabia"), ("TR", "Türkiye"),
    ("US", "United States"), ("ZA", "South Africa"),
)  # fmt: skip
ROLES = ("OWNER", "ADMIN", "SUBSCRIBER", "GUEST")
MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 2048
INVITE_PREFIX = "https://whatsapp.com/channel/"


class ChannelService:
    def __init__(self, sessions: SessionService, messaging: MessagingService) -> None:
        self._sessions = sessions
        self._messaging = messaging

    async def list(self, instance_id: str, role: str | None) -> builtins.list[Channel]:
        _, engine = await self._sessions.working_engine_session(instance_id)
        found = await engine.channels()
        return [c for c in found if role is None or c.role == role]

    async def get(self, instance_id: str, channel: str) -> Channel:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.channel(channel)

    async def create(
        self, instance_id: str, name: str, description: str, jpeg: bytes | None
    ) -> Channel:
        if not name.strip():
            raise InvalidParamError("Invalid parameter name: it is empty", param="name")
        for param, text, limit in (
            ("name", name, MAX_NAME_LENGTH),
            ("description", description, MAX_DESCRIPTION_LENGTH),
        ):
            if len(text) > limit:
                raise InvalidParamError(
                    f"Invalid parameter {param}: longer than {limit} characters", param=param
                )
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.create_channel(name.strip(), description, jpeg)

    async def delete(self, instance_id: str, channel_id: str) -> None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.delete_channel(channel_id)

    async def preview(
        self, instance_id: str, channel_id: str, limit: int
    ) -> builtins.list[dict[str, Any]]:
        """The channel's newest posts, as message objects."""
        _, engine = await self._sessions.working_engine_session(instance_id)
        posts = await engine.channel_messages(channel_id, limit)
        return [self._messaging.message_object(instance_id, post) for post in posts]

    async def follow(self, instance_id: str, channel_id: str, follow: bool) -> None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.follow_channel(channel_id, follow)

    async def mute(self, instance_id: str, channel_id: str, mute: bool) -> None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.mute_channel(channel_id, mute)

    async def search(
        self,
        instance_id: str,
        *,
        view: str | None,
        text: str | None,
        countries: Sequence[str],
        categories: Sequence[str],
        limit: int,
        cursor: str | None,
    ) -> ChannelSearch:
        if text is not None and not text.strip():
            raise InvalidParamError("Invalid parameter text: it is empty", param="text")
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.search_channels(
            view=None if text else (view or VIEWS[0]),
            text=text.strip() if text else None,
            countries=countries,
            categories=categories,
            limit=limit,
            cursor=cursor,
        )


def channel_object(channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "name": channel.name,
        "description": channel.description,
        "invite": f"{INVITE_PREFIX}{channel.invite}" if channel.invite else None,
        "picture": channel.picture,
        "preview": channel.picture,
        "verified": channel.verified,
        "role": channel.role,
        "subscribersCount": channel.subscribers,
        "muted": channel.muted,
        "createdAt": channel.created or None,
    }
