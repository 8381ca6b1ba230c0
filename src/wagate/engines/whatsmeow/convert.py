"""neonize → wagate: pure translations from neonize's protobuf events to domain values.

Nothing here does I/O or touches a client. :func:`convert_event` turns one neonize event
(a ``neonize.proto.Neonize_pb2`` message, as a handler receives it) into zero or more
:data:`Converted` values. The outgoing direction (domain content → ``waE2E.Message``)
lives in :mod:`wagate.engines.whatsmeow.outgoing`; the JID helpers here serve both.

Facts about neonize 0.5.2's encoding that shape this module (read in its Go encoder):

* ``MessageInfo.Timestamp`` is in **milliseconds**; receipts, presence, calls and
  ``SendResponse`` carry **seconds**. :func:`_seconds` accepts both.
* JIDs are proto2 with required fields: build them with :func:`chat_id_to_jid`.
* Its receipt encoder maps whatsmeow's ``played-self`` to ``SERVER_ERROR`` and leaves a
  real ``server-error`` receipt without a type; see :func:`_receipt_ack`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from wagate.domain.content import (
    Audio,
    ContactCard,
    Contacts,
    Content,
    Document,
    EventInvite,
    Image,
    LinkPreview,
    ListMessage,
    ListRow,
    ListSection,
    Location,
    MediaBlob,
    Poll,
    Video,
)
from wagate.domain.events import (
    AckChanged,
    CallEvent,
    ConnectionFailed,
    ConnectionLost,
    EngineEvent,
    EventResponseFailed,
    GroupParticipantsChanged,
    GroupUpdated,
    HistoryReceived,
    LidsLearned,
    LoggedOut,
    MessageEdited,
    MessageRevoked,
    MessageSeen,
    PresenceChanged,
    QrCodeChanged,
    RawEngineEvent,
    ReactionReceived,
)
from wagate.domain.groups import GroupInfo, GroupParticipant
from wagate.domain.ids import STATUS_BROADCAST
from wagate.domain.messages import Ack, Message, MessageKey, Presence
from wagate.engines.whatsmeow.protos import (
    jid_string_to_chat_id,
    jid_to_chat_id,
    quiet_neonize_import,
    raw_json,
)
from wagate.engines.whatsmeow.protos import seconds as _seconds
from wagate.engines.whatsmeow.protos import user_of as _user

with quiet_neonize_import():
    from neonize.proto import Neonize_pb2 as N
    from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E

# --- values beyond the domain -------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadHint:
    """What the backend needs to fetch a received media file with ``download_any``."""

    media_type: str  # image / video / audio / document / sticker
    message: bytes  # the serialized waE2E.Message that holds the media
    mimetype: str
    file_length: int
    direct_path: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaPending:
    """A media message whose bytes are still to download: ``seen`` has ``data=b""``."""

    seen: MessageSeen
    hint: DownloadHint


@dataclass(frozen=True, slots=True, kw_only=True)
class PollVotePending:
    """An encrypted poll vote: the backend decrypts ``event`` (a serialized neonize
    Message event) with ``client.decrypt_poll_vote`` and maps the option hashes."""

    poll: MessageKey
    voter: str
    timestamp: int
    event: bytes


Converted = (
    EngineEvent
    | MessageEdited
    | MessageRevoked
    | CallEvent
    | RawEngineEvent
    | MediaPending
    | PollVotePending
)


def _jid_or_none(source: Any, name: str) -> str | None:
    if not source.HasField(name):
        return None
    return jid_to_chat_id(getattr(source, name)) or None


@dataclass(frozen=True, slots=True)
class Parties:
    """Who is who in a MessageSource, phone ids preferred over lids."""

    chat_id: str
    sender: str  # phone id when known, else lid
    sender_phone: str | None
    sender_lid: str | None
    is_group: bool
    from_me: bool
    pairs: tuple[tuple[str, str], ...] = ()  # (phone id, lid) pairs the source reveals


def parties(source: Any) -> Parties:
    """Chat and sender of a MessageSource, with phone id and lid both filled when the
    event carries both (``Sender``/``SenderAlt``; ``RecipientAlt`` for our own DMs)."""
    chat = jid_to_chat_id(source.Chat)
    sender = _jid_or_none(source, "Sender") or chat
    alt = _jid_or_none(source, "SenderAlt")
    phone = lid = None
    for value in (sender, alt):
        if value and value.endswith("@c.us"):
            phone = phone or value
        elif value and value.endswith("@lid"):
            lid = lid or value
    is_group = bool(source.IsGroup) or chat.endswith("@g.us")
    from_me = bool(source.IsFromMe)
    pairs = [(phone, lid)] if phone and lid else []
    if not is_group and chat.endswith("@lid"):
        if from_me:
            recipient_alt = _jid_or_none(source, "RecipientAlt")
            if recipient_alt and recipient_alt.endswith("@c.us"):
                pairs.append((recipient_alt, chat))
                chat = recipient_alt
        elif phone and _user(chat) == _user(lid):
            chat = phone
    return Parties(chat, phone or lid or sender, phone, lid, is_group, from_me, tuple(pairs))


def _learned(pairs: Sequence[tuple[str, str]], items: list[Converted]) -> list[Converted]:
    """``items``, after what they taught about who is behind which lid."""
    return [LidsLearned(pairs=tuple(dict.fromkeys(pairs))), *items] if pairs else items


_Handler = Callable[[Any, str | None, str | None], list[Converted]]


# --- incoming ------------------------------------------------------------------------------


def convert_event(
    event: Any, *, me: str | None = None, me_lid: str | None = None
) -> list[Converted]:
    """One neonize event → what wagate makes of it. ``me``/``me_lid`` are the session's own
    ids, when known (they decide ``from_me`` of quoted and reacted messages)."""
    name = type(event).__name__
    handler = _HANDLERS.get(name)
    if handler is None:
        return [RawEngineEvent(name=name, data=raw_json(event))]
    return handler(event, me, me_lid)


def qr_value(data: bytes | str) -> QrCodeChanged:
    """The value neonize's QR callback passes → a QR event."""
    return QrCodeChanged(value=data.decode() if isinstance(data, bytes) else data)


def _ev_qr(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    return [QrCodeChanged(value=ev.Codes[0])] if ev.Codes else []


def _ev_pair_status(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    if ev.Status == N.PairStatus.ERROR:
        return [
            ConnectionFailed(reason=f"Linking the device failed: {ev.Error or 'unknown error'}")
        ]
    return []


def _ev_none(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    return []


def _failure_reason(ev: Any) -> str:
    return str(N.ConnectFailureReason.Name(ev.Reason)) if ev.HasField("Reason") else "UNKNOWN"


def _ev_logged_out(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    reason = _failure_reason(ev)
    when = " while connecting" if ev.OnConnect else ""
    return [LoggedOut(reason=f"WhatsApp logged this device out{when} ({reason})")]


def _ev_stream_replaced(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    return [
        ConnectionFailed(
            reason="Another client connected with this device's credentials; "
            "this session stopped to avoid a reconnect loop"
        )
    ]


def _ev_temporary_ban(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    code = N.TemporaryBan.TempBanReason.Name(ev.Code) if ev.HasField("Code") else "UNKNOWN"
    return [
        ConnectionFailed(
            reason=f"WhatsApp temporarily banned this account ({code}); "
            f"the ban expires in {int(ev.Expire)} seconds"
        )
    ]


def _ev_connect_failure(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    text = f": {ev.Message}" if ev.Message else ""
    return [
        ConnectionFailed(reason=f"WhatsApp refused the connection ({_failure_reason(ev)}){text}")
    ]


def _ev_client_outdated(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    return [
        ConnectionFailed(
            reason="WhatsApp says this client version is outdated; update neonize/whatsmeow"
        )
    ]


def _ev_disconnected(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    return [ConnectionLost(reason="Disconnected from WhatsApp")]


def _ev_keepalive_timeout(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    return [ConnectionLost(reason=f"Keep-alive timed out ({int(ev.ErrorCount)} failures)")]


def _ev_stream_error(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    return [ConnectionLost(reason=f"Stream error from WhatsApp ({ev.Code or 'unknown'})")]


def _receipt_ack(ev: Any) -> Ack | None:
    """delivered → DEVICE, read → READ, played → PLAYED, server error → ERROR.

    neonize 0.5.2 encodes whatsmeow's ``played-self`` as ``SERVER_ERROR`` (and a real
    server error with no type); a SERVER_ERROR on our own receipt is therefore ignored.
    """
    t = ev.Type
    if not ev.HasField("Type"):
        return None
    if t == N.Receipt.DELIVERED:
        return Ack.DEVICE
    if t == N.Receipt.READ:
        return Ack.READ
    if t == N.Receipt.PLAYED:
        return Ack.PLAYED
    if t == N.Receipt.SERVER_ERROR and not ev.MessageSource.IsFromMe:
        return Ack.ERROR
    return None


def _ev_receipt(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    ack = _receipt_ack(ev)
    if ack is None:
        return []
    p = parties(ev.MessageSource)
    by = p.sender if p.is_group else None
    return [
        AckChanged(key=MessageKey(chat_id=p.chat_id, id=mid, from_me=True), ack=ack, by=by)
        for mid in ev.MessageIDs
    ]


def _ev_presence(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    who = jid_to_chat_id(ev.From)
    last_seen = _seconds(ev.LastSeen) or None
    presence = Presence.UNAVAILABLE if ev.Unavailable else Presence.AVAILABLE
    return [PresenceChanged(chat_id=who, sender=who, presence=presence, last_seen=last_seen)]


def _ev_chat_presence(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    p = parties(ev.MessageSource)
    if ev.State == N.ChatPresence.COMPOSING:
        audio = ev.HasField("Media") and ev.Media == N.ChatPresence.AUDIO
        presence = Presence.RECORDING if audio else Presence.COMPOSING
    else:
        presence = Presence.PAUSED
    return _learned(
        p.pairs, [PresenceChanged(chat_id=p.chat_id, sender=p.sender, presence=presence)]
    )


def _node_has_tag(node: Any, tag: str) -> bool:
    if node.Tag == tag:
        return True
    return any(_node_has_tag(child, tag) for child in node.Nodes)


def _call(kind: str) -> _Handler:
    def convert(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
        meta = ev.basicCallMeta
        caller = jid_to_chat_id(meta.callCreator) if meta.HasField("callCreator") else ""
        pairs: list[tuple[str, str]] = []
        if meta.HasField("callCreatorAlt"):
            alt = jid_to_chat_id(meta.callCreatorAlt)
            if alt.endswith("@c.us") and caller.endswith("@lid"):
                pairs.append((alt, caller))
            elif alt.endswith("@lid") and caller.endswith("@c.us"):
                pairs.append((caller, alt))
            if alt.endswith("@c.us") and not caller.endswith("@c.us"):
                caller = alt
        caller = caller or jid_to_chat_id(getattr(meta, "from"))
        is_video = ev.HasField("data") and _node_has_tag(ev.data, "video")
        reason = str(ev.reason) if kind == "terminate" and ev.reason else None
        call = CallEvent(
            kind=kind,
            call_id=meta.callID,
            from_=caller,
            is_video=is_video,
            timestamp=_seconds(meta.timestamp),
            reason=reason,
        )
        return _learned(pairs, [call])

    return convert


# --- messages ------------------------------------------------------------------------------

_WRAPPERS = (
    "ephemeralMessage",
    "viewOnceMessage",
    "viewOnceMessageV2",
    "viewOnceMessageV2Extension",
    "documentWithCaptionMessage",
    "editedMessage",
    "groupMentionedMessage",
    "botInvokeMessage",
)


def unwrap(msg: Any) -> Any:
    """The inner message of ephemeral / view-once / device-sent / edited wrappers."""
    for _ in range(5):
        if msg.HasField("deviceSentMessage") and msg.deviceSentMessage.HasField("message"):
            msg = msg.deviceSentMessage.message
            continue
        for name in _WRAPPERS:
            if msg.HasField(name) and getattr(msg, name).HasField("message"):
                msg = getattr(msg, name).message
                break
        else:
            return msg
    return msg


# The fields of a waE2E.Message that hold media, with the media type neonize downloads by.
MEDIA_FIELDS = (
    ("imageMessage", "image"),
    ("videoMessage", "video"),
    ("ptvMessage", "video"),
    ("audioMessage", "audio"),
    ("documentMessage", "document"),
    ("stickerMessage", "sticker"),
)
_CONTEXT_FIELDS = (
    "extendedTextMessage",
    "imageMessage",
    "videoMessage",
    "ptvMessage",
    "audioMessage",
    "documentMessage",
    "stickerMessage",
    "locationMessage",
    "liveLocationMessage",
    "contactMessage",
    "contactsArrayMessage",
    "pollCreationMessage",
    "pollCreationMessageV2",
    "pollCreationMessageV3",
    "eventMessage",
    "listMessage",
)
_POLL_FIELDS = ("pollCreationMessage", "pollCreationMessageV2", "pollCreationMessageV3")


def _context_info(msg: Any) -> Any | None:
    for name in _CONTEXT_FIELDS:
        if msg.HasField(name):
            part = getattr(msg, name)
            if part.HasField("contextInfo"):
                return part.contextInfo
            return None
    return None


def _key_from_me(
    participant: str,
    key_from_me: bool,
    *,
    actor_is_me: bool,
    is_group: bool,
    me: str | None,
    me_lid: str | None,
) -> bool:
    """Whether the message another message points at was ours (from our point of view)."""
    if participant and (me or me_lid):
        return _user(participant) in {_user(me), _user(me_lid)} - {""}
    if actor_is_me:
        return key_from_me
    return not key_from_me and not is_group


def _quoted_key(
    ctx: Any, chat_id: str, p: Parties, me: str | None, me_lid: str | None
) -> str | None:
    if ctx is None or not ctx.stanzaID:
        return None
    participant = jid_string_to_chat_id(ctx.participant)
    if participant and (me or me_lid):
        from_me = _user(participant) in {_user(me), _user(me_lid)} - {""}
    elif participant:
        from_me = participant != p.sender if not p.is_group else False
    else:
        from_me = False
    remote = jid_string_to_chat_id(ctx.remoteJID) if ctx.remoteJID else chat_id
    return MessageKey(chat_id=remote, id=ctx.stanzaID, from_me=from_me).serialized


def _blob(part: Any, default_mime: str, filename: str | None = None) -> MediaBlob:
    return MediaBlob(data=b"", mimetype=part.mimetype or default_mime, filename=filename)


def _opt(value: int) -> int | None:
    return int(value) or None


def content_of(msg: Any) -> tuple[str, Content | None, str | None]:  # noqa: C901
    """(body, content, media type) of an unwrapped message; media have ``data=b""``."""
    if msg.HasField("imageMessage"):
        m = msg.imageMessage
        thumb = bytes(m.JPEGThumbnail) or None
        img = Image(
            media=_blob(m, "image/jpeg"),
            caption=m.caption,
            width=_opt(m.width),
            height=_opt(m.height),
            thumbnail=thumb,
        )
        return m.caption, img, "image"
    for name in ("videoMessage", "ptvMessage"):
        if msg.HasField(name):
            m = getattr(msg, name)
            video = Video(
                media=_blob(m, "video/mp4"),
                caption=m.caption,
                note=name == "ptvMessage",
                seconds=int(m.seconds),
                width=_opt(m.width),
                height=_opt(m.height),
                thumbnail=bytes(m.JPEGThumbnail) or None,
            )
            return m.caption, video, "video"
    if msg.HasField("audioMessage"):
        m = msg.audioMessage
        audio = Audio(
            media=_blob(m, "audio/ogg; codecs=opus"),
            voice=bool(m.PTT),
            seconds=int(m.seconds),
            waveform=bytes(m.waveform) or None,
        )
        return "", audio, "audio"
    if msg.HasField("documentMessage"):
        m = msg.documentMessage
        filename = m.fileName or m.title or None
        doc = Document(
            media=_blob(m, "application/octet-stream", filename),
            caption=m.caption,
            thumbnail=bytes(m.JPEGThumbnail) or None,
        )
        return m.caption, doc, "document"
    if msg.HasField("stickerMessage"):
        m = msg.stickerMessage
        return (
            "",
            Image(media=_blob(m, "image/webp"), width=_opt(m.width), height=_opt(m.height)),
            "sticker",
        )
    if msg.HasField("locationMessage") or msg.HasField("liveLocationMessage"):
        live = not msg.HasField("locationMessage")
        m = msg.liveLocationMessage if live else msg.locationMessage
        place = None if live else (m.name or None)
        address = (m.caption if live else m.address) or None
        loc = Location(
            latitude=m.degreesLatitude, longitude=m.degreesLongitude, name=place, address=address
        )
        return place or "", loc, None
    if msg.HasField("contactMessage"):
        m = msg.contactMessage
        card = ContactCard(display_name=m.displayName, vcard=m.vcard)
        return m.displayName, Contacts(cards=(card,)), None
    if msg.HasField("contactsArrayMessage"):
        m = msg.contactsArrayMessage
        cards = tuple(ContactCard(display_name=c.displayName, vcard=c.vcard) for c in m.contacts)
        return m.displayName, Contacts(cards=cards), None
    for name in _POLL_FIELDS:
        if msg.HasField(name):
            m = getattr(msg, name)
            options = tuple(o.optionName for o in m.options)
            poll = Poll(
                name=m.name, options=options, multiple_answers=m.selectableOptionsCount != 1
            )
            return m.name, poll, None
    if msg.HasField("eventMessage"):
        m = msg.eventMessage
        where = (m.location.name or m.location.address or None) if m.HasField("location") else None
        invite = EventInvite(
            name=m.name,
            start_time=_seconds(m.startTime),
            description=m.description,
            end_time=_seconds(m.endTime) or None,
            location=where,
            extra_guests_allowed=bool(m.extraGuestsAllowed),
        )
        return m.name, invite, None
    if msg.HasField("listMessage"):
        m = msg.listMessage
        sections = tuple(
            ListSection(
                title=s.title,
                rows=tuple(
                    ListRow(title=r.title, row_id=r.rowID, description=r.description)
                    for r in s.rows
                ),
            )
            for s in m.sections
        )
        lst = ListMessage(
            title=m.title,
            description=m.description,
            button=m.buttonText,
            sections=sections,
            footer=m.footerText,
        )
        return m.description, lst, None
    if msg.HasField("extendedTextMessage"):
        m = msg.extendedTextMessage
        if m.matchedText and (m.title or m.description):
            preview = LinkPreview(
                text=m.text,
                url=m.matchedText,
                title=m.title,
                description=m.description,
                thumbnail=bytes(m.JPEGThumbnail) or None,
            )
            return m.text, preview, None
        return m.text, None, None
    if msg.HasField("conversation"):
        return msg.conversation, None, None
    raise LookupError("no content wagate understands")


def _ev_message(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    p = parties(ev.Info.MessageSource)
    return _learned(p.pairs, _message(ev, p, me, me_lid))


def _message(ev: Any, p: Parties, me: str | None, me_lid: str | None) -> list[Converted]:
    info = ev.Info
    msg = unwrap(ev.Message)
    timestamp = _seconds(info.Timestamp)
    if msg.HasField("protocolMessage"):
        return _protocol(ev, msg.protocolMessage, p, timestamp, me, me_lid)
    if msg.HasField("reactionMessage"):
        r = msg.reactionMessage
        participant = jid_string_to_chat_id(r.key.participant)
        from_me = _key_from_me(
            participant,
            r.key.fromMe,
            actor_is_me=p.from_me,
            is_group=p.is_group,
            me=me,
            me_lid=me_lid,
        )
        key = MessageKey(chat_id=p.chat_id, id=r.key.ID, from_me=from_me)
        ts = _seconds(r.senderTimestampMS) or timestamp
        return [
            ReactionReceived(
                key=key, reaction_id=info.ID, sender=p.sender, reaction=r.text, timestamp=ts
            )
        ]
    if msg.HasField("pollUpdateMessage"):
        u = msg.pollUpdateMessage
        participant = jid_string_to_chat_id(u.pollCreationMessageKey.participant)
        from_me = _key_from_me(
            participant,
            u.pollCreationMessageKey.fromMe,
            actor_is_me=p.from_me,
            is_group=p.is_group,
            me=me,
            me_lid=me_lid,
        )
        poll = MessageKey(chat_id=p.chat_id, id=u.pollCreationMessageKey.ID, from_me=from_me)
        return [
            PollVotePending(
                poll=poll, voter=p.sender, timestamp=timestamp, event=ev.SerializePartialToString()
            )
        ]
    if msg.HasField("encEventResponseMessage"):
        k = msg.encEventResponseMessage.eventCreationMessageKey
        participant = jid_string_to_chat_id(k.participant)
        from_me = _key_from_me(
            participant, k.fromMe, actor_is_me=p.from_me, is_group=p.is_group, me=me, me_lid=me_lid
        )
        return [
            EventResponseFailed(
                event=MessageKey(chat_id=p.chat_id, id=k.ID, from_me=from_me),
                responder=p.sender,
                reason="neonize 0.5.2 cannot decrypt event responses",
                timestamp=timestamp,
            )
        ]
    try:
        body, content, media_type = content_of(msg)
    except LookupError:
        return [RawEngineEvent(name="Message", data=raw_json(ev))]
    ctx = _context_info(msg)
    mentions = tuple(jid_string_to_chat_id(j) for j in ctx.mentionedJID) if ctx else ()
    is_dm_in = not p.from_me and not p.is_group and p.chat_id != STATUS_BROADCAST
    message = Message(
        key=MessageKey(chat_id=p.chat_id, id=info.ID, from_me=p.from_me),
        timestamp=timestamp,
        sender=(me or p.sender) if p.from_me else p.sender,
        recipient=(me or p.chat_id) if is_dm_in else p.chat_id,
        body=body,
        ack=Ack.SERVER if p.from_me else Ack.DEVICE,
        participant=p.sender if p.is_group or p.chat_id == STATUS_BROADCAST else None,
        reply_to=_quoted_key(ctx, p.chat_id, p, me, me_lid),
        mentions=mentions,
        push_name=info.Pushname or None,
        source="app",
        content=content,
        raw=raw_json(ev),
    )
    seen = MessageSeen(message=message)
    if media_type is None:
        return [seen]
    part = getattr(msg, _media_field(msg))
    hint = DownloadHint(
        media_type=media_type,
        message=msg.SerializePartialToString(),
        mimetype=part.mimetype,
        file_length=int(part.fileLength),
        direct_path=part.directPath,
    )
    return [MediaPending(seen=seen, hint=hint)]


def _media_field(msg: Any) -> str:
    for name, _ in MEDIA_FIELDS:
        if msg.HasField(name):
            return name
    raise LookupError("no media")


def _protocol(
    ev: Any, pm: Any, p: Parties, timestamp: int, me: str | None, me_lid: str | None
) -> list[Converted]:
    participant = jid_string_to_chat_id(pm.key.participant)
    from_me = _key_from_me(
        participant, pm.key.fromMe, actor_is_me=p.from_me, is_group=p.is_group, me=me, me_lid=me_lid
    )
    if not participant and not p.is_group:
        from_me = p.from_me  # in a DM one can only revoke/edit one's own messages
    key = MessageKey(chat_id=p.chat_id, id=pm.key.ID, from_me=from_me)
    if pm.type == E.ProtocolMessage.REVOKE:
        return [MessageRevoked(key=key, by=p.sender, timestamp=timestamp)]
    if pm.type == E.ProtocolMessage.MESSAGE_EDIT:
        try:
            body, _, _ = content_of(unwrap(pm.editedMessage))
        except LookupError:
            body = ""
        ts = _seconds(pm.timestampMS) or timestamp
        return [MessageEdited(key=key, new_body=body, sender=p.sender, timestamp=ts)]
    kind = E.ProtocolMessage.Type.Name(pm.type) if pm.HasField("type") else "UNKNOWN"
    return [RawEngineEvent(name=f"ProtocolMessage.{kind}", data=raw_json(ev))]


_HISTORY_ACKS = {
    "ERROR": Ack.ERROR,
    "PENDING": Ack.PENDING,
    "SERVER_ACK": Ack.SERVER,
    "DELIVERY_ACK": Ack.DEVICE,
    "READ": Ack.READ,
    "PLAYED": Ack.PLAYED,
}


def _ev_history_sync(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    """A chunk of history → the messages we can read (media without their bytes)."""
    found: list[Message] = []
    for conversation in ev.Data.conversations:
        chat_id = jid_string_to_chat_id(conversation.ID)
        for item in conversation.messages:
            message = _history_message(item.message, chat_id, me)
            if message is not None:
                found.append(message)
    return [HistoryReceived(messages=tuple(found))] if found else []


def _history_message(info: Any, chat_id: str, me: str | None) -> Message | None:
    if not info.HasField("message") or not info.key.ID:
        return None
    try:
        body, content, _ = content_of(unwrap(info.message))
    except LookupError:
        return None  # protocol messages, reactions, votes: not messages of the chat
    group = chat_id.endswith("@g.us")
    from_me = bool(info.key.fromMe)
    author = info.participant or info.key.participant
    sender = (me or chat_id) if from_me else (jid_string_to_chat_id(author) if group else chat_id)
    status = type(info).Status.Name(info.status) if info.HasField("status") else "DELIVERY_ACK"
    return Message(
        key=MessageKey(chat_id=chat_id, id=info.key.ID, from_me=from_me),
        timestamp=_seconds(info.messageTimestamp),
        sender=sender,
        recipient=chat_id if from_me or group else (me or chat_id),
        body=body,
        ack=_HISTORY_ACKS.get(status, Ack.DEVICE),
        participant=sender if group else None,
        push_name=info.pushName or None,
        source="app",
        content=content,
        raw=raw_json(info),
    )


# --- groups ---------------------------------------------------------------------------------


def _member(
    jid: Any, lid: Any = None, phone: Any = None, role: str = "participant"
) -> GroupParticipant:
    """A group member from a JID and, when the event has them, its lid and phone JIDs."""
    ids = [jid_to_chat_id(j) for j in (phone, jid, lid) if j is not None and j.User]
    number = next((i for i in ids if i.endswith("@c.us")), None)
    hidden = next((i for i in ids if i.endswith("@lid")), None)
    return GroupParticipant(id=number or hidden or ids[0], lid=hidden, role=role)


def _role(participant: Any) -> str:
    if participant.IsSuperAdmin:
        return "superadmin"
    return "admin" if participant.IsAdmin else "participant"


def group_info(info: Any) -> GroupInfo:
    """neonize's ``GroupInfo`` → the domain's."""
    owner = None
    if info.HasField("OwnerPN") and info.OwnerPN.User:
        owner = jid_to_chat_id(info.OwnerPN)
    elif info.HasField("OwnerJID") and info.OwnerJID.User:
        owner = jid_to_chat_id(info.OwnerJID)
    return GroupInfo(
        id=jid_to_chat_id(info.JID),
        subject=info.GroupName.Name,
        description=info.GroupTopic.Topic,
        owner=owner,
        created=_seconds(info.GroupCreated),
        announce=bool(info.GroupAnnounce.IsAnnounce),
        locked=bool(info.GroupLocked.isLocked),
        participants=tuple(
            _member(
                p.JID,
                p.LID if p.HasField("LID") else None,
                p.PhoneNumber if p.HasField("PhoneNumber") else None,
                _role(p),
            )
            for p in info.Participants
        ),
    )


def _ev_joined_group(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    """The session's account joined a group (added, invited, or created it)."""
    info = group_info(ev.GroupInfo)
    ours = [p for p in info.participants if p.id in (me, me_lid) or p.lid == me_lid]
    if not ours and me:
        ours = [GroupParticipant(id=me, lid=me_lid)]
    by = None
    for field_name in ("SenderPN", "Sender"):
        if ev.HasField(field_name) and getattr(ev, field_name).User:
            by = jid_to_chat_id(getattr(ev, field_name))
            break
    joined = GroupParticipantsChanged(
        group_id=info.id,
        action="join",
        participants=tuple(ours),
        by=by if by not in (me, me_lid) else None,
        group=info,
        raw=raw_json(ev),
    )
    pairs = [(p.id, p.lid) for p in info.participants if p.lid and p.id.endswith("@c.us")]
    return _learned(pairs, [joined])


def _ev_group_info(ev: Any, me: str | None, me_lid: str | None) -> list[Converted]:
    """Membership and settings changes of a group, one domain event per kind."""
    group = jid_to_chat_id(ev.JID)
    by = jid_to_chat_id(ev.Sender) if ev.HasField("Sender") and ev.Sender.User else None
    timestamp = _seconds(ev.Timestamp)
    raw = raw_json(ev)
    found: list[Converted] = []
    for action, jids, role in (
        ("join", ev.Join, "participant"),
        ("leave", ev.Leave, "participant"),
        ("promote", ev.Promote, "admin"),
        ("demote", ev.Demote, "participant"),
    ):
        if jids:
            members = tuple(_member(j, role=role) for j in jids)
            actor = None if by is not None and [by] == [m.id for m in members] else by
            found.append(
                GroupParticipantsChanged(
                    group_id=group,
                    action=action,
                    participants=members,
                    by=actor,
                    timestamp=timestamp,
                    raw=raw,
                )
            )
    changes: dict[str, Any] = {}
    if ev.HasField("Name"):
        changes["subject"] = ev.Name.Name
    if ev.HasField("Topic"):
        changes["description"] = "" if ev.Topic.TopicDeleted else ev.Topic.Topic
    if ev.HasField("Announce"):
        changes["announce"] = bool(ev.Announce.IsAnnounce)
    if ev.HasField("Locked"):
        changes["restrict"] = bool(ev.Locked.isLocked)
    if ev.HasField("Ephemeral"):
        on = ev.Ephemeral.IsEphemeral
        changes["ephemeralSeconds"] = int(ev.Ephemeral.DisappearingTimer) if on else 0
    if ev.NewInviteLink:
        changes["inviteLink"] = ev.NewInviteLink
    if ev.HasField("Delete") and ev.Delete.Deleted:
        changes["deleted"] = True
    if changes:
        found.append(
            GroupUpdated(group_id=group, changes=changes, by=by, timestamp=timestamp, raw=raw)
        )
    return found or [RawEngineEvent(name="GroupInfoEvent", data=raw)]


_HANDLERS: dict[str, _Handler] = {
    "HistorySync": _ev_history_sync,
    "QR": _ev_qr,
    "PairStatus": _ev_pair_status,
    "Connected": _ev_none,
    "LoggedOut": _ev_logged_out,
    "StreamReplaced": _ev_stream_replaced,
    "TemporaryBan": _ev_temporary_ban,
    "ConnectFailure": _ev_connect_failure,
    "ClientOutdated": _ev_client_outdated,
    "Disconnected": _ev_disconnected,
    "KeepAliveTimeout": _ev_keepalive_timeout,
    "StreamError": _ev_stream_error,
    "Receipt": _ev_receipt,
    "Presence": _ev_presence,
    "ChatPresence": _ev_chat_presence,
    "Message": _ev_message,
    "CallOffer": _call("offer"),
    "CallAccept": _call("accept"),
    "CallTerminate": _call("terminate"),
    "JoinedGroup": _ev_joined_group,
    "GroupInfoEvent": _ev_group_info,
}
