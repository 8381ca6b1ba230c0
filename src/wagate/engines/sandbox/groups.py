"""Groups on the sandbox network: who is in each, with which role, how it is set up, its
invite code, and WhatsApp's rules for who may do what.

The network owns one :class:`Groups` registry. A group's members are phones (accounts
and virtual contacts alike); its creator is the super-admin. Like the network's other
records, groups last as long as the server process.
"""

from __future__ import annotations

import base64
import secrets
import string
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from wagate.domain.groups import GroupInfo, GroupParticipant
from wagate.errors import InvalidParamError, NotFoundError

SUPERADMIN = "superadmin"
ADMIN = "admin"
PARTICIPANT = "participant"
ID_PREFIX = "120363"
ID_DIGITS = 12
INVITE_LINK_PREFIX = "https://chat.whatsapp.com/"
INVITE_ALPHABET = string.ascii_letters + string.digits
INVITE_LENGTH = 22
AUTHORS_SIZE = 10_000  # group messages whose authors are remembered (replies, reactions)
MAX_SUBJECT = 100  # WhatsApp's limits
MAX_DESCRIPTION = 2048

NOT_A_MEMBER = "You are not a member of this group"
NO_SUCH_INVITE = "No group has this invite code (it may have been reset)"
ADMINS_ONLY = "Only the group's admins can {what}"
ANNOUNCE_ONLY = "Only the group's admins can send messages to it"
LOCKED_ONLY = "Only the group's admins can edit its info"
BLANK_SUBJECT = "A group needs a subject"
LONG_SUBJECT = f"A group subject has at most {MAX_SUBJECT} characters"
LONG_DESCRIPTION = f"A group description has at most {MAX_DESCRIPTION} characters"

# WhatsApp's codes in a participants change
DONE = 200
FORBIDDEN = 403  # the super-admin's role cannot change
ABSENT = 404  # not a member (remove, promote, demote) or not on WhatsApp (add)
ALREADY = 409  # already a member (add)


def invite_code_of(code_or_link: str) -> str:
    """The code of an invite code or link (``https://chat.whatsapp.com/<code>``)."""
    return code_or_link.strip().removeprefix(INVITE_LINK_PREFIX).strip("/")


def check_subject(subject: str) -> str:
    """The subject, trimmed; ``InvalidParamError`` when blank or too long."""
    trimmed = subject.strip()
    if not trimmed:
        raise InvalidParamError(BLANK_SUBJECT)
    if len(trimmed) > MAX_SUBJECT:
        raise InvalidParamError(LONG_SUBJECT, length=len(trimmed))
    return trimmed


def check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION:
        raise InvalidParamError(LONG_DESCRIPTION, length=len(description))
    return description


def _new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


@dataclass(slots=True, kw_only=True)
class SandboxGroup:
    """A group: its info, settings, picture, invite code and members (phone → role, in
    the order they joined)."""

    id: str  # "120363<12 digits>@g.us"
    subject: str
    owner: str  # the creator's phone
    created: int  # seconds
    invite_code: str
    description: str = ""
    announce: bool = False  # only admins send
    locked: bool = False  # only admins edit the subject, description and picture
    picture: bytes | None = field(default=None, repr=False)  # a JPEG
    members: dict[str, str] = field(default_factory=dict)

    @property
    def invite_link(self) -> str:
        return INVITE_LINK_PREFIX + self.invite_code

    @property
    def picture_url(self) -> str | None:
        """The picture as a ``data:image/jpeg;base64,...`` URI, like the profiles'."""
        if self.picture is None:
            return None
        return "data:image/jpeg;base64," + base64.b64encode(self.picture).decode("ascii")

    def is_admin(self, phone: str) -> bool:
        return self.members.get(phone) in (ADMIN, SUPERADMIN)

    def admins(self) -> list[str]:
        return [phone for phone in self.members if self.is_admin(phone)]

    def check_admin(self, phone: str, what: str) -> None:
        """``InvalidParamError`` unless ``phone`` is an admin (``what``: "add people"...)."""
        if not self.is_admin(phone):
            raise InvalidParamError(ADMINS_ONLY.format(what=what), group_id=self.id)

    def check_send(self, phone: str) -> None:
        """With ANNOUNCE on, only admins send."""
        if self.announce and not self.is_admin(phone):
            raise InvalidParamError(ANNOUNCE_ONLY, group_id=self.id)

    def check_edit(self, phone: str) -> None:
        """With LOCKED on, only admins edit the subject, description and picture."""
        if self.locked and not self.is_admin(phone):
            raise InvalidParamError(LOCKED_ONLY, group_id=self.id)

    def participant(self, phone: str, lid_of: Callable[[str], str]) -> GroupParticipant:
        return GroupParticipant(
            id=f"{phone}@c.us", lid=lid_of(phone), role=self.members.get(phone, PARTICIPANT)
        )

    def info(self, lid_of: Callable[[str], str]) -> GroupInfo:
        """The group as WhatsApp describes it (``lid_of`` gives a phone's ``@lid``)."""
        return GroupInfo(
            id=self.id,
            subject=self.subject,
            description=self.description,
            owner=f"{self.owner}@c.us",
            created=self.created,
            announce=self.announce,
            locked=self.locked,
            participants=tuple(self.participant(p, lid_of) for p in self.members),
        )

    # --- participants changes: WhatsApp's code for one person --------------------------

    def add(self, phone: str) -> int:
        if phone in self.members:
            return ALREADY
        self.members[phone] = PARTICIPANT
        return DONE

    def remove(self, phone: str) -> int:
        role = self.members.get(phone)
        if role is None:
            return ABSENT
        if role == SUPERADMIN:
            return FORBIDDEN
        del self.members[phone]
        return DONE

    def set_admin(self, phone: str, admin: bool) -> int:
        """Promote (``admin``) or demote; done also when the role already was that."""
        role = self.members.get(phone)
        if role is None:
            return ABSENT
        if role == SUPERADMIN:
            return FORBIDDEN
        self.members[phone] = ADMIN if admin else PARTICIPANT
        return DONE

    def leave(self, phone: str) -> str | None:
        """``phone`` leaves (the super-admin too); see :meth:`ensure_admin`."""
        self.members.pop(phone, None)
        return self.ensure_admin()

    def ensure_admin(self, *, giving_up: str | None = None) -> str | None:
        """When no admin is left, WhatsApp makes the longest-standing member one (other
        than ``giving_up``, who just stepped down, when possible): returns its phone."""
        if not self.members or self.admins():
            return None
        others = [p for p in self.members if p != giving_up]
        heir = others[0] if others else next(iter(self.members))
        self.members[heir] = ADMIN
        return heir


class Groups:
    """Every group of the network, by id and by invite code, and who wrote which
    group message (so that members name quoted and reacted-to messages right)."""

    def __init__(self) -> None:
        self._groups: dict[str, SandboxGroup] = {}
        self._codes: dict[str, str] = {}  # invite code → group id
        self._authors: OrderedDict[str, str] = OrderedDict()  # message id → phone

    def create(self, owner: str, subject: str, members: Iterable[str], now: int) -> SandboxGroup:
        """A new group of ``owner`` (its super-admin) and ``members``."""
        group_id = self._new_id()
        group = SandboxGroup(
            id=group_id, subject=subject, owner=owner, created=now, invite_code=self._new_code()
        )
        group.members[owner] = SUPERADMIN
        for phone in members:
            group.members.setdefault(phone, PARTICIPANT)
        self._groups[group_id] = group
        self._codes[group.invite_code] = group_id
        return group

    def get(self, group_id: str) -> SandboxGroup | None:
        """The group with this id, if the network knows it."""
        return self._groups.get(group_id)

    def of(self, phone: str) -> list[SandboxGroup]:
        """The groups ``phone`` is a member of, oldest first."""
        return [g for g in self._groups.values() if phone in g.members]

    def member_group(self, group_id: str, phone: str) -> SandboxGroup:
        """The group, if ``phone`` is in it; ``NotFoundError`` otherwise (non-members do
        not see a group)."""
        group = self._groups.get(group_id)
        if group is None or phone not in group.members:
            raise NotFoundError(NOT_A_MEMBER, group_id=group_id)
        return group

    def by_code(self, code_or_link: str) -> SandboxGroup:
        """The group an invite code or link leads to; ``NotFoundError`` when none does."""
        code = invite_code_of(code_or_link)
        group_id = self._codes.get(code)
        group = self._groups.get(group_id) if group_id is not None else None
        if group is None:
            raise NotFoundError(NO_SUCH_INVITE, code=code)
        return group

    def reset_code(self, group: SandboxGroup) -> str:
        """A new invite code for the group; the old one stops working."""
        self._codes.pop(group.invite_code, None)
        group.invite_code = self._new_code()
        self._codes[group.invite_code] = group.id
        return group.invite_code

    def remember(self, message_id: str, author: str) -> None:
        """``author`` (a phone) wrote this group message."""
        self._authors[message_id] = author
        while len(self._authors) > AUTHORS_SIZE:
            self._authors.popitem(last=False)

    def author(self, message_id: str) -> str | None:
        return self._authors.get(message_id)

    def _new_id(self) -> str:
        while True:
            digits = "".join(secrets.choice(string.digits) for _ in range(ID_DIGITS))
            group_id = f"{ID_PREFIX}{digits}@g.us"
            if group_id not in self._groups:
                return group_id

    def _new_code(self) -> str:
        while True:
            code = _new_invite_code()
            if code not in self._codes:
                return code
