"""The account's profile and the people it knows, through the engine (the session must
be WORKING); names learnt from messages fill in what the engine does not know."""

from __future__ import annotations

import builtins
from dataclasses import replace

from wagate.domain.contacts import Contact, Profile
from wagate.errors import InvalidParamError
from wagate.services.sessions import SessionService
from wagate.store.repositories.chats import ChatRepository

MAX_NAME_LENGTH = 25  # WhatsApp's limit for a display name
MAX_ABOUT_LENGTH = 139  # and for the "About" text
SORTS = ("name", "id")


class ContactService:
    def __init__(self, sessions: SessionService, chats: ChatRepository) -> None:
        self._sessions = sessions
        self._chats = chats

    # --- the account's profile --------------------------------------------------------

    async def profile(self, instance_id: str) -> Profile:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.profile()

    async def set_name(self, instance_id: str, name: str) -> None:
        _check_text("name", name, MAX_NAME_LENGTH, blank=False)
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.set_profile_name(name)

    async def set_status(self, instance_id: str, status: str) -> None:
        _check_text("status", status, MAX_ABOUT_LENGTH, blank=True)
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.set_profile_status(status)

    async def set_picture(self, instance_id: str, jpeg: bytes | None) -> None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.set_profile_picture(jpeg)

    # --- other people ---------------------------------------------------------------------

    async def all(
        self, instance_id: str, *, limit: int, offset: int, sort_by: str, descending: bool
    ) -> builtins.list[Contact]:
        """Every contact the account knows of, sorted by (saved, else push) name or id."""
        _, engine = await self._sessions.working_engine_session(instance_id)
        found = await engine.contacts()
        key = (lambda c: (_display(c).casefold(), c.id)) if sort_by == "name" else _by_id
        ordered = sorted(found, key=key, reverse=descending)
        return ordered[offset : offset + limit]

    async def get(self, instance_id: str, chat_id: str) -> Contact:
        """One person; a push name from stored messages when the engine has none."""
        _, engine = await self._sessions.working_engine_session(instance_id)
        contact = await engine.contact(chat_id)
        if contact.push_name is None:
            chat = await self._chats.get(instance_id, chat_id)
            if chat is not None and chat.name:
                contact = replace(contact, push_name=chat.name)
        return contact

    async def exists(self, instance_id: str, phone: str) -> str | None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.check_exists(phone)

    async def about(self, instance_id: str, chat_id: str) -> str | None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.about(chat_id)

    async def picture(self, instance_id: str, chat_id: str) -> str | None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.chat_picture(chat_id)

    async def block(self, instance_id: str, chat_id: str, block: bool) -> None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.block(chat_id, block)

    async def save(self, instance_id: str, chat_id: str, first_name: str, last_name: str) -> None:
        _check_text("firstName", first_name, MAX_NAME_LENGTH * 2, blank=False)
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.save_contact(chat_id, first_name, last_name)


def _display(contact: Contact) -> str:
    return contact.name or contact.push_name or ""


def _by_id(contact: Contact) -> tuple[str, str]:
    return contact.id, ""


def _check_text(param: str, text: str, limit: int, *, blank: bool) -> None:
    if not blank and not text.strip():
        raise InvalidParamError(f"Invalid parameter {param}: it is empty", param=param)
    if len(text) > limit:
        raise InvalidParamError(
            f"Invalid parameter {param}: longer than {limit} characters", param=param
        )
