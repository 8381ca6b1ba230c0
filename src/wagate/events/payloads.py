"""Event envelopes and payloads, shaped as Wawp documents them (reference §14)."""

from __future__ import annotations

from typing import Any

from wagate.domain.clock import now_ms
from wagate.domain.events import AckChanged, PresenceChanged, ReactionReceived
from wagate.domain.messages import Message
from wagate.domain.models import Session
from wagate.domain.status import SessionStatus
from wagate.domain.webhooks import new_event_id


def envelope(session: Session, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The envelope every webhook and WebSocket subscriber receives."""
    return {
        "id": new_event_id(),
        "timestamp": now_ms(),
        "event": event,
        "session": session.name,
        "instance_id": session.instance_id,
        "metadata": session.config.get("metadata", {}),
        "me": session.me.to_json() if session.me else None,
        "payload": payload,
        "engine": session.engine,
    }


def session_status(session: Session, status: SessionStatus) -> dict[str, Any]:
    return {"name": session.name, "instance_id": session.instance_id, "status": status.value}


def message(msg: Message) -> dict[str, Any]:
    """The WEBJS-like message object of ``message``/``message.any`` and send responses."""
    serialized = msg.key.serialized
    return {
        "id": serialized,
        "timestamp": msg.timestamp,
        "from": msg.sender,
        "fromMe": msg.key.from_me,
        "source": msg.source,
        "to": msg.recipient,
        "participant": msg.participant,
        "body": msg.body,
        "hasMedia": False,
        "ack": int(msg.ack),
        "ackName": msg.ack.name,
        "replyTo": {"id": msg.reply_to} if msg.reply_to else None,
        "mentionedIds": list(msg.mentions),
        "_data": {
            "id": {
                "fromMe": msg.key.from_me,
                "remote": msg.key.chat_id,
                "id": msg.key.id,
                "_serialized": serialized,
            },
            "body": msg.body,
            "type": "chat",
            "t": msg.timestamp,
            "from": msg.sender,
            "to": msg.recipient,
            "ack": int(msg.ack),
            "notifyName": msg.push_name,
        },
    }


def ack(event: AckChanged, *, me_id: str | None) -> dict[str, Any]:
    return {
        "id": event.key.serialized,
        "from": me_id if event.key.from_me else event.key.chat_id,
        "to": event.key.chat_id if event.key.from_me else me_id,
        "fromMe": event.key.from_me,
        "chatId": event.key.chat_id,
        "participant": event.by,
        "ack": int(event.ack),
        "ackName": event.ack.name,
    }


def reaction(event: ReactionReceived) -> dict[str, Any]:
    return {
        "id": event.reaction_id,
        "timestamp": event.timestamp,
        "from": event.sender,
        "senderId": event.sender,
        "chatId": event.key.chat_id,
        "messageId": event.key.serialized,
        "reaction": event.reaction,
    }


def presence(event: PresenceChanged) -> dict[str, Any]:
    return {
        "chatId": event.chat_id,
        "from": event.sender,
        "type": event.presence.value,
        "lastSeen": event.last_seen,
    }
