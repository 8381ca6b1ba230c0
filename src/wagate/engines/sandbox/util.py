"""What the sandbox session and engine share: ids, QR values, pairing codes, message
texts, and the checks both apply to content and votes."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from abc import abstractmethod
from collections.abc import Callable, Sequence

from wagate.domain.content import (
    Content,
    Poll,
)
from wagate.domain.messages import Presence
from wagate.engines.base import EngineSession
from wagate.engines.sandbox.network import KeptMessage, SandboxNetwork, VirtualPhone
from wagate.errors import InvalidParamError

ENGINE_NAME = "sandbox"
PAIRING_CODE_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"
PAIRING_CODE_LENGTH = 8
AUTOLINK_PREFIX = "15550"
JPEG_MAGIC = b"\xff\xd8\xff"  # how every JPEG starts (profile and group pictures)

NOT_WAITING_FOR_SCAN = "The session is not waiting for a QR code scan"
NO_PENDING_CODE = "No pairing code is waiting for confirmation"
NOT_LINKED = "The session is not linked to a phone"
OWN_PRESENCES = (Presence.AVAILABLE, Presence.UNAVAILABLE)
NO_SUCH_POLL = "No poll with this id in this chat"
SINGLE_ANSWER = "This poll takes a single answer"
DUPLICATE_OPTIONS = "A poll's options must be different"


def new_qr_value() -> str:
    """A QR payload shaped like WhatsApp's: ``2@ref,noise key,identity key,adv secret``."""

    def b64(size: int) -> str:
        return base64.b64encode(secrets.token_bytes(size)).decode("ascii")

    return f"2@{b64(48)},{b64(32)},{b64(32)},{b64(16)}"


def new_pairing_code() -> str:
    """Eight characters from WhatsApp's pairing alphabet, formatted ``ABCD-EFGH``."""
    raw = "".join(secrets.choice(PAIRING_CODE_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def autolink_phone(instance_id: str) -> str:
    """The deterministic phone an instance autolinks to: ``15550`` + six digits."""
    digest = int(hashlib.sha256(instance_id.encode("utf-8")).hexdigest(), 16)
    return f"{AUTOLINK_PREFIX}{digest % 10**6:06d}"


def new_message_id() -> str:
    """A WhatsApp-like message id: ``3EB0`` and 16 upper-case hex digits."""
    return "3EB0" + secrets.token_hex(8).upper()


def _now() -> int:
    return int(time.time())


def _check_content(content: Content | None) -> None:
    """Refuse what the network could not route later (a poll's options name votes)."""
    if isinstance(content, Poll) and len(set(content.options)) != len(content.options):
        raise InvalidParamError(DUPLICATE_OPTIONS, options=list(content.options))


def _choose(kept: KeptMessage, selected: Sequence[str]) -> tuple[str, ...]:
    """The options a vote selects, in the poll's order (``()`` retracts the vote)."""
    poll = kept.content
    if not isinstance(poll, Poll):  # pragma: no cover - the network only keeps polls here
        raise InvalidParamError(NO_SUCH_POLL, poll=kept.key.id)
    names = [selected] if isinstance(selected, str) else list(selected)
    for name in names:
        if name not in poll.options:
            raise InvalidParamError(f"The poll has no option {name!r}", option=name)
    chosen = tuple(option for option in poll.options if option in names)
    if len(chosen) > 1 and not poll.multiple_answers:
        raise InvalidParamError(SINGLE_ANSWER, selected=list(chosen))
    return chosen


class SessionParts(EngineSession):
    """What :class:`~wagate.engines.sandbox.session.SandboxSession` provides to the
    mixins that hold its groups, channels and profile operations."""

    instance_id: str
    _network: SandboxNetwork

    @abstractmethod
    def _own_phone(self) -> VirtualPhone:
        """Our account; ``SessionNotReadyError`` unless linked and connected."""

    @abstractmethod
    def _schedule(self, job: Callable[[], object]) -> None:
        """Run a network effect on the worker, after everything queued before."""
