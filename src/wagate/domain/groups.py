"""Groups: who is in one, with which role, and how it is set up."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

ROLES = ("participant", "admin", "superadmin")


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupParticipant:
    """A member: the phone id when known (else the ``@lid``), and the ``@lid`` too."""

    id: str
    lid: str | None = None
    role: str = "participant"  # one of ROLES

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "lid": self.lid, "role": self.role}


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupInfo:
    """A group as WhatsApp describes it."""

    id: str  # "<id>@g.us"
    subject: str
    description: str = ""
    owner: str | None = None
    created: int = 0  # seconds since the epoch
    announce: bool = False  # only admins may send
    locked: bool = False  # only admins may edit the group's info
    participants: tuple[GroupParticipant, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": self.subject,
            "description": self.description,
            "owner": self.owner,
            "creation": self.created or None,
            "announce": self.announce,
            "restrict": self.locked,
            "membersCanSendMessages": not self.announce,
            "participants": [p.to_json() for p in self.participants],
        }


class GroupSetting(StrEnum):
    ANNOUNCE = "announce"  # only admins may send messages
    LOCKED = "locked"  # only admins may edit the group's subject, description and picture


class ParticipantAction(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    PROMOTE = "promote"
    DEMOTE = "demote"


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantResult:
    """What became of one person in a participants change: ``status`` is WhatsApp's
    code (200 done; 403 not allowed or privacy, 404 not on WhatsApp, 408 recently left,
    409 already in the group…)."""

    id: str
    status: int = 200

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status}
