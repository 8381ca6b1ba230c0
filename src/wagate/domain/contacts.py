"""People: the account's own profile, and the contacts it knows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """The linked account as others see it."""

    id: str  # "<phone>@c.us"
    name: str  # the display (push) name
    status: str | None = None  # the "About" text, when it can be read
    picture: str | None = None  # a URL of the profile picture, when there is one


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """A person the account knows of: from its address book, or from what they sent."""

    id: str  # "<phone>@c.us" when known, else "<digits>@lid"
    lid: str | None = None
    name: str | None = None  # as saved in the account's address book
    push_name: str | None = None  # as they call themselves
    is_my_contact: bool = False  # saved in the address book
    is_blocked: bool = False
    is_business: bool = False
