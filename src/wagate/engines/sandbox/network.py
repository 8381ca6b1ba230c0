"""The simulated WhatsApp network shared by every sandbox session of one engine.

It knows the virtual phones (accounts) by number. Phones are created on demand, the
first time anything refers to them (a scan, a pairing code, an autolink).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from wagate.errors import InvalidParamError

_LID_DIGITS = 15


def lid_for_phone(phone: str) -> str:
    """The deterministic 15-digit ``<digits>@lid`` of a phone number."""
    digest = int(hashlib.sha256(phone.encode("ascii")).hexdigest(), 16)
    low = 10 ** (_LID_DIGITS - 1)
    return f"{low + digest % (10**_LID_DIGITS - low)}@lid"


def default_push_name(phone: str) -> str:
    return f"Sandbox {phone[-4:]}"


@dataclass(frozen=True, slots=True)
class VirtualPhone:
    """A WhatsApp account on the sandbox network."""

    phone: str  # digits, international format
    push_name: str
    lid: str  # "<15 digits>@lid"

    @property
    def chat_id(self) -> str:
        return f"{self.phone}@c.us"


class SandboxNetwork:
    """Registry of the virtual phones, by phone number."""

    def __init__(self) -> None:
        self._phones: dict[str, VirtualPhone] = {}

    def phone(self, number: str, push_name: str | None = None) -> VirtualPhone:
        """The phone with this number, created if new.

        A ``push_name`` given for an existing phone renames it.
        """
        if not number.isdigit():
            raise InvalidParamError("A phone number has only digits", phone=number)
        existing = self._phones.get(number)
        if existing is None:
            created = VirtualPhone(
                phone=number,
                push_name=push_name or default_push_name(number),
                lid=lid_for_phone(number),
            )
            self._phones[number] = created
            return created
        if push_name and push_name != existing.push_name:
            existing = replace(existing, push_name=push_name)
            self._phones[number] = existing
        return existing

    def get(self, number: str) -> VirtualPhone | None:
        """The phone with this number if it exists (never creates it)."""
        return self._phones.get(number)

    def phones(self) -> list[VirtualPhone]:
        return list(self._phones.values())

    def __contains__(self, number: object) -> bool:
        return number in self._phones

    def __len__(self) -> int:
        return len(self._phones)
