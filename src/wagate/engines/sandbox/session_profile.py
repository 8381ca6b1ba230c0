"""The profile and address-book operations of a sandbox session.

They act on the account's records on the network at once: every session of the account
and every other account sees the change from then on (see
:mod:`wagate.engines.sandbox.network`).
"""

from __future__ import annotations

from wagate.domain.contacts import Contact, Profile
from wagate.engines.base import DeviceStore
from wagate.engines.sandbox.network import VirtualPhone
from wagate.engines.sandbox.util import ENGINE_NAME, JPEG_MAGIC, SessionParts
from wagate.errors import InvalidParamError

MAX_ABOUT = 139  # WhatsApp's limit for the "About" text
BLANK_NAME = "A profile name needs a text"
LONG_ABOUT = f"An About text has at most {MAX_ABOUT} characters"
NOT_A_JPEG = "A profile picture is a JPEG"
NOT_A_PERSON = "A contact is a person: <phone>@c.us or a known <lid>@lid"
SELF_BLOCK = "You cannot block yourself"
BLANK_FIRST_NAME = "A contact needs a first name"


class SandboxProfileOperations(SessionParts):
    """The account's profile, address book and blocklist, for :class:`SandboxSession`
    (which provides the network, the device store and the account)."""

    _store: DeviceStore

    async def profile(self) -> Profile:
        """Our push name, About (``None`` once cleared) and picture: the sandbox has no
        web host, so its URL is a ``data:image/jpeg;base64,...`` URI of the JPEG."""
        own = self._own_phone()
        return Profile(
            id=own.chat_id, name=own.push_name, status=own.about or None, picture=own.picture_url
        )

    async def set_profile_name(self, name: str) -> None:
        """Change our push name: our sessions and our partners (with our next messages)
        see it; each linked device of the account keeps it for a restart."""
        own = self._own_phone()
        if not name.strip():
            raise InvalidParamError(BLANK_NAME)
        renamed = self._network.phone(own.phone, name.strip())
        for instance_id in self._network.instances_of(own.phone):
            data = await self._store.load(instance_id)
            if data is not None and data.get("phone") == own.phone:
                data["push_name"] = renamed.push_name
                await self._store.save(instance_id, ENGINE_NAME, data)

    async def set_profile_status(self, status: str) -> None:
        """Change our About (``""`` clears it); longer than WhatsApp's 139 characters is
        refused."""
        own = self._own_phone()
        if len(status) > MAX_ABOUT:
            raise InvalidParamError(LONG_ABOUT, length=len(status))
        self._network.set_about(own.phone, status)

    async def set_profile_picture(self, jpeg: bytes | None) -> None:
        """Set our picture (JPEG bytes, anything else is refused) or remove it (``None``)."""
        own = self._own_phone()
        if jpeg is not None and not jpeg.startswith(JPEG_MAGIC):
            raise InvalidParamError(NOT_A_JPEG)
        self._network.set_picture(own.phone, jpeg)

    async def contacts(self) -> list[Contact]:
        """The people we have a chat with on the network or saved, by phone number."""
        own = self._own_phone()
        return self._network.contacts(own.phone)

    async def contact(self, chat_id: str) -> Contact:
        """One person: any number is a virtual phone (its push name at least), an unknown
        lid gives a bare contact; groups and newsletters are refused."""
        own = self._own_phone()
        if chat_id.endswith("@lid") and self._network.resolve(chat_id) is None:
            return Contact(id=chat_id, lid=chat_id)
        return self._network.contact(own.phone, self._person(chat_id))

    async def check_exists(self, phone: str) -> str | None:
        """``<phone>@c.us``: every number is a virtual phone, except (to test the
        negative) those ending in ``0000`` that no sandbox session is linked to."""
        self._own_phone()
        if not phone.isdigit():
            raise InvalidParamError("A phone number has only digits", phone=phone)
        return f"{phone}@c.us" if self._network.has_whatsapp(phone) else None

    async def about(self, chat_id: str) -> str | None:
        """A person's About; ``None`` when cleared or when they block us, and for groups,
        newsletters and unknown lids."""
        target = self._visible(chat_id)
        return (target.about or None) if target is not None else None

    async def block(self, chat_id: str, block: bool) -> None:
        """Block or unblock a person (not ourselves). While blocked, nothing they send
        reaches us (they see it as sent only) and our About and picture are hidden."""
        own = self._own_phone()
        person = self._person(chat_id)
        if person == own.phone:
            raise InvalidParamError(SELF_BLOCK, chat_id=chat_id)
        self._network.block(own.phone, person, block)

    async def save_contact(self, chat_id: str, first_name: str, last_name: str) -> None:
        """Save a person in our address book as "first last" (or rename them there)."""
        own = self._own_phone()
        if not first_name.strip():
            raise InvalidParamError(BLANK_FIRST_NAME, chat_id=chat_id)
        name = f"{first_name.strip()} {last_name.strip()}".rstrip()
        self._network.save_contact(own.phone, self._person(chat_id), name)

    def _person(self, chat_id: str) -> str:
        """The phone a person's chat id names; ``InvalidParamError`` for anything else."""
        phone = self._network.resolve(chat_id)
        if phone is None:
            raise InvalidParamError(NOT_A_PERSON, chat_id=chat_id)
        return phone

    def _visible(self, chat_id: str) -> VirtualPhone | None:
        """The person's phone, if ``chat_id`` names one that does not hide from us."""
        own = self._own_phone()
        target = self._network.resolve(chat_id)
        if target is None or self._network.blocks(target, own.phone):
            return None
        return self._network.phone(target)
