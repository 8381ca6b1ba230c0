"""Event envelopes and payloads, shaped as Wawp documents them (reference §14)."""

from __future__ import annotations

import time
from typing import Any

from wagate.domain.chats import Chat
from wagate.domain.clock import now_ms
from wagate.domain.content import (
    Audio,
    Contacts,
    Content,
    EventInvite,
    LinkPreview,
    ListMessage,
    Location,
    Poll,
    Video,
    kind_of,
    media_of,
)
from wagate.domain.events import (
    AckChanged,
    CallEvent,
    EventResponseFailed,
    EventResponseReceived,
    GroupParticipantsChanged,
    GroupUpdated,
    MessageEdited,
    MessageRevoked,
    PollVoteFailed,
    PollVoteReceived,
    PresenceChanged,
    RawEngineEvent,
    ReactionReceived,
)
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


def session_status(
    session: Session, status: SessionStatus, reason: str | None = None
) -> dict[str, Any]:
    return {
        "name": session.name,
        "instance_id": session.instance_id,
        "status": status.value,
        "reason": reason,
    }


def message(msg: Message, *, media_url: str | None = None) -> dict[str, Any]:
    """The WEBJS-like message object of ``message``/``message.any`` and send responses.

    ``media_url`` is where wagate serves the message's stored media, when it has some.
    """
    serialized = msg.key.serialized
    blob = media_of(msg.content)
    # As WEBJS: a received group message is "from" the group, written by its author.
    in_group = msg.key.chat_id.endswith("@g.us") and not msg.key.from_me
    sender = msg.key.chat_id if in_group else msg.sender
    payload = {
        "id": serialized,
        "timestamp": msg.timestamp,
        "from": sender,
        "fromMe": msg.key.from_me,
        "source": msg.source,
        "to": msg.recipient,
        "participant": msg.participant,
        "author": msg.participant if in_group else None,
        "body": msg.body,
        "hasMedia": blob is not None,
        "media": (
            {
                "url": media_url,
                "mimetype": blob.mimetype,
                "filename": blob.filename,
                "error": None if media_url else "The media is not stored",
            }
            if blob is not None
            else None
        ),
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
            "type": "revoked" if msg.revoked else kind_of(msg.content),
            "t": msg.timestamp,
            "from": sender,
            "author": msg.participant if in_group else None,
            "to": msg.recipient,
            "ack": int(msg.ack),
            "notifyName": msg.push_name,
            # The real engine's event, as it received it (absent on the sandbox).
            **({"raw": msg.raw} if msg.raw else {}),
        },
    }
    payload.update(_content_fields(msg.content))
    return payload


def _content_fields(content: Content | None) -> dict[str, Any]:
    """What each kind adds to the message object (WAHA's names where it has them)."""
    match content:
        case Location():
            return {
                "location": {
                    "latitude": content.latitude,
                    "longitude": content.longitude,
                    "name": content.name,
                    "description": content.address,
                }
            }
        case Contacts(cards=cards):
            return {"vCards": [card.vcard for card in cards]}
        case Poll():
            return {
                "poll": {
                    "name": content.name,
                    "options": list(content.options),
                    "multipleAnswers": content.multiple_answers,
                }
            }
        case EventInvite():
            return {
                "event": {
                    "name": content.name,
                    "description": content.description,
                    "startTime": content.start_time,
                    "endTime": content.end_time,
                    "location": {"name": content.location} if content.location else None,
                    "extraGuestsAllowed": content.extra_guests_allowed,
                }
            }
        case ListMessage():
            return {
                "list": {
                    "title": content.title,
                    "description": content.description,
                    "footer": content.footer,
                    "button": content.button,
                    "sections": [
                        {
                            "title": section.title,
                            "rows": [
                                {"title": r.title, "rowId": r.row_id, "description": r.description}
                                for r in section.rows
                            ],
                        }
                        for section in content.sections
                    ],
                }
            }
        case LinkPreview():
            return {
                "linkPreview": {
                    "url": content.url,
                    "title": content.title,
                    "description": content.description,
                }
            }
        case Audio() | Video():
            return {"duration": content.seconds}
    return {}


def poll_vote(event: PollVoteReceived, *, me_id: str | None) -> dict[str, Any]:
    return {
        "vote": {
            "id": event.poll.serialized,
            "selectedOptions": list(event.selected),
            "timestamp": event.timestamp,
            "from": event.voter,
            "fromMe": False,
            "to": me_id,
        },
        "poll": {
            "id": event.poll.serialized,
            "fromMe": event.poll.from_me,
            "to": event.poll.chat_id,
        },
    }


def poll_vote_failed(event: PollVoteFailed) -> dict[str, Any]:
    return {
        "vote": {"from": event.voter, "timestamp": event.timestamp, "selectedOptions": []},
        "poll": {"id": event.poll.serialized},
        "reason": event.reason,
    }


def event_response(event: EventResponseReceived) -> dict[str, Any]:
    return {
        "id": event.event.serialized,
        "eventId": event.event.serialized,
        "from": event.responder,
        "response": event.response.value,
        "timestamp": event.timestamp,
    }


def event_response_failed(event: EventResponseFailed) -> dict[str, Any]:
    return {
        "eventId": event.event.serialized,
        "from": event.responder,
        "reason": event.reason,
        "timestamp": event.timestamp,
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


def edited(event: MessageEdited, previous: str | None) -> dict[str, Any]:
    return {
        "id": event.key.serialized,
        "from": event.sender,
        "timestamp": event.timestamp,
        "newBody": event.new_body,
        "prevBody": previous,
    }


def revoked(event: MessageRevoked) -> dict[str, Any]:
    return {"id": event.key.serialized, "revokedBy": event.by, "timestamp": event.timestamp}


CALL_EVENTS = {"offer": "call.received", "accept": "call.accepted", "terminate": "call.rejected"}


def call(event: CallEvent) -> dict[str, Any]:
    return {
        "id": event.call_id,
        "from": event.from_,
        "timestamp": event.timestamp,
        "isVideo": event.is_video,
        "isGroup": event.from_.endswith("@g.us"),
        "reason": event.reason,
    }


def chat_archive(chat_id: str, archived: bool) -> dict[str, Any]:
    return {"chatId": chat_id, "archived": archived, "timestamp": int(time.time())}


def chat(chat: Chat, *, last_message: dict[str, Any] | None) -> dict[str, Any]:
    """A chat as ``chats`` lists it."""
    return {
        "id": chat.id,
        "name": chat.name,
        "isGroup": chat.is_group,
        "conversationTimestamp": chat.timestamp,
        "unreadCount": chat.unread_count,
        "archived": chat.archived,
        "markedUnread": chat.marked_unread,
        "lastMessage": last_message,
    }


GROUP_PARTICIPANT_EVENTS = {
    "join": "group.v2.join",
    "leave": "group.v2.leave",
    "promote": "group.v2.participants",
    "demote": "group.v2.participants",
}


def group_participants(event: GroupParticipantsChanged) -> dict[str, Any]:
    """``group.v2.join``/``leave``/``participants``: Wawp's ``chatId``, ``action`` and
    ``participants`` ids, with each member's ``@lid`` and role in ``participantsInfo``."""
    group = event.group.to_json() if event.group else {"id": event.group_id}
    return {
        "chatId": event.group_id,
        "action": event.action,
        "participants": [p.id for p in event.participants],
        "participantsInfo": [p.to_json() for p in event.participants],
        "by": event.by,
        "timestamp": event.timestamp or None,
        "group": group,
        "_data": event.raw,
    }


def group_update(event: GroupUpdated) -> dict[str, Any]:
    """``group.v2.update``: the group with only what changed (WAHA's shape)."""
    return {
        "chatId": event.group_id,
        "group": {"id": event.group_id, **event.changes},
        "by": event.by,
        "timestamp": event.timestamp or None,
        "_data": event.raw,
    }


def raw(event: RawEngineEvent) -> dict[str, Any]:
    return {"raw": {"event": event.name, "data": event.data}}
