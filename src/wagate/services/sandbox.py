"""Playing the phone for sandbox sessions: scan a QR, confirm a pairing code, unlink."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wagate.domain.content import Content, EventResponse
from wagate.domain.messages import MessageKey
from wagate.domain.models import Session
from wagate.engines.sandbox import SandboxEngine
from wagate.errors import NotSupportedError
from wagate.services.messaging import MessagingService
from wagate.services.sessions import SessionService


class SandboxControl:
    """What a developer or a test does on the virtual phone of a sandbox session."""

    def __init__(
        self, sessions: SessionService, messaging: MessagingService, engine: SandboxEngine
    ) -> None:
        self._sessions = sessions
        self._messaging = messaging
        self._engine = engine

    async def scan(self, session: Session, phone: str, push_name: str | None) -> Session:
        """Link the session to the virtual phone ``phone`` as if it scanned the QR code."""
        self._require_sandbox(session)
        await self._engine.scan(session.instance_id, phone, push_name)
        return await self._sessions.wait_linked(session.instance_id)

    async def confirm_code(self, session: Session, code: str) -> Session:
        """Type the pairing code on the phone given to ``requestCode``."""
        self._require_sandbox(session)
        await self._engine.confirm_code(session.instance_id, code)
        return await self._sessions.wait_linked(session.instance_id)

    async def unlink(self, session: Session) -> Session:
        """Remove the linked device on the phone; the session fails with a reason."""
        self._require_sandbox(session)
        await self._engine.unlink(session.instance_id)
        return await self._sessions.wait_linked(session.instance_id)

    async def contact_message(
        self,
        session: Session,
        from_phone: str,
        body: str,
        *,
        reply_to: str | None = None,
        push_name: str | None = None,
        content: Content | None = None,
    ) -> dict[str, Any]:
        """A virtual contact sends the session a message (a ``message`` event); returns
        the message object as the session stored it."""
        self._require_sandbox(session)
        message = await self._engine.inject_message(
            session.instance_id,
            from_phone,
            body,
            reply_to=reply_to,
            push_name=push_name,
            content=content,
        )
        return await self._messaging.stored_message(session.instance_id, message.key)

    async def contact_vote(
        self,
        session: Session,
        from_phone: str,
        poll: MessageKey,
        selected: Sequence[str],
        *,
        undecryptable: bool = False,
    ) -> None:
        """A virtual contact votes on the session's poll (``poll.vote`` or ``.failed``)."""
        self._require_sandbox(session)
        if undecryptable:
            await self._engine.contact_vote_undecryptable(session.instance_id, from_phone, poll)
        else:
            await self._engine.contact_vote(session.instance_id, from_phone, poll, selected)

    async def contact_event_response(
        self,
        session: Session,
        from_phone: str,
        event: MessageKey,
        response: EventResponse,
        *,
        undecryptable: bool = False,
    ) -> None:
        """A virtual contact answers the session's event (``event.response`` or ``.failed``)."""
        self._require_sandbox(session)
        if undecryptable:
            await self._engine.contact_event_response_undecryptable(
                session.instance_id, from_phone, event
            )
        else:
            await self._engine.contact_event_response(
                session.instance_id, from_phone, event, response
            )

    async def contact_read(
        self, session: Session, from_phone: str, keys: Sequence[MessageKey] | None
    ) -> list[MessageKey]:
        """A virtual contact reads what the session sent it (READ acks come back)."""
        self._require_sandbox(session)
        return await self._engine.contact_mark_seen(session.instance_id, from_phone, keys)

    async def contact_react(
        self, session: Session, from_phone: str, key: MessageKey, reaction: str
    ) -> str:
        """A virtual contact reacts to a message of its chat with the session."""
        self._require_sandbox(session)
        return await self._engine.contact_react(session.instance_id, from_phone, key, reaction)

    def _require_sandbox(self, session: Session) -> None:
        if session.engine != self._engine.name:
            raise NotSupportedError(
                f"Sandbox control works on sandbox sessions; this one runs on {session.engine}"
            )
