"""Identifiers: instance ids, phone numbers and WhatsApp chat ids."""

from __future__ import annotations

import re
import secrets
import string

INSTANCE_ID_LENGTH = 12
_INSTANCE_ALPHABET = string.ascii_uppercase + string.digits
_INSTANCE_RE = re.compile(rf"^[A-Z0-9]{{{INSTANCE_ID_LENGTH}}}$")
_PHONE_SEPARATORS = re.compile(r"[\s().\-]")
_PHONE_RE = re.compile(r"^[1-9][0-9]{6,14}$")


def new_instance_id() -> str:
    """A random 12-character upper-case alphanumeric instance id."""
    return "".join(secrets.choice(_INSTANCE_ALPHABET) for _ in range(INSTANCE_ID_LENGTH))


def is_instance_id(value: str) -> bool:
    return bool(_INSTANCE_RE.fullmatch(value))


def normalize_phone(raw: str) -> str:
    """Digits of an international phone number, or ``ValueError`` saying what is wrong.

    Accepts ``+44 7441 429009``, ``447441429009``, ``+1 (555) 010-0000``. Refuses a
    leading ``00`` or ``0`` (the country code must come first) and lengths that E.164
    does not allow (7 to 15 digits).
    """
    text = _PHONE_SEPARATORS.sub("", raw.strip())
    if text.startswith("+"):
        text = text[1:]
    if not text.isdigit():
        raise ValueError("a phone number has only digits, with an optional leading '+'")
    if text.startswith("0"):
        raise ValueError("a phone number starts with its country code, not with 0 or 00")
    if not _PHONE_RE.fullmatch(text):
        raise ValueError("a phone number has 7 to 15 digits including the country code")
    return text


def phone_to_chat_id(phone: str) -> str:
    return f"{phone}@c.us"


CHAT_SUFFIXES = ("@c.us", "@g.us", "@lid", "@newsletter")
STATUS_BROADCAST = "status@broadcast"
_CHAT_USER_RE = re.compile(r"[0-9]{5,40}(-[0-9]{5,20})?")


def normalize_chat_id(raw: str) -> str:
    """A chat id from what clients send, or ``ValueError`` saying what is wrong.

    ``447441429009@c.us``, ``1203630...@g.us``, ``123...@lid``, ``123...@newsletter`` and
    ``status@broadcast`` pass through; ``@s.whatsapp.net`` (whatsmeow's spelling) becomes
    ``@c.us``; a bare number (``+44 7441 429009``) becomes ``447441429009@c.us``.
    """
    text = raw.strip()
    if text == STATUS_BROADCAST:
        return text
    if "@" not in text:
        return phone_to_chat_id(normalize_phone(text))
    user, _, server = text.partition("@")
    suffix = "@" + server.lower()
    if suffix == "@s.whatsapp.net":
        suffix = "@c.us"
    if suffix not in CHAT_SUFFIXES:
        raise ValueError(
            "a chat id ends in @c.us, @g.us, @lid or @newsletter, or is a phone number"
        )
    if not _CHAT_USER_RE.fullmatch(user):
        raise ValueError(f"{user!r} is not a valid {suffix} id")
    if suffix == "@c.us":
        user = normalize_phone(user)
    return user + suffix
