"""Domain records shared by services, engines and the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wagate.domain.status import SessionStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class Me:
    """The WhatsApp account a session is linked to."""

    id: str  # "<phone>@c.us"
    lid: str | None = None  # "<digits>@lid"
    push_name: str = ""
    jid: str | None = None  # this linked device: "<phone>:<device>@s.whatsapp.net"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "lid": self.lid, "pushName": self.push_name, "jid": self.jid}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Me:
        return cls(
            id=data["id"],
            lid=data.get("lid"),
            push_name=data.get("pushName") or "",
            jid=data.get("jid"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessToken:
    """An API access token (only its hash is ever stored)."""

    id: str
    name: str
    is_admin: bool
    created_at: int  # ms since the epoch
    revoked_at: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A WhatsApp session ("instance") as the store holds it."""

    instance_id: str
    name: str
    owner_token_id: str
    engine: str
    config: dict[str, Any] = field(default_factory=dict)
    status: SessionStatus = SessionStatus.STOPPED
    status_reason: str | None = None
    me: Me | None = None
    should_run: bool = False
    created_at: int = 0
    updated_at: int = 0
