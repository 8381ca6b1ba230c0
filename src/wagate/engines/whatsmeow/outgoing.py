"""wagate → neonize: pure builders turning domain content into ``waE2E.Message`` protos.

Nothing here does I/O or touches a client: each ``*_message`` builder returns a message
ready for ``client.send_message``. The incoming direction (neonize events → domain values)
lives in :mod:`wagate.engines.whatsmeow.convert`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wagate.domain.content import (
    Audio,
    Contacts,
    Content,
    Document,
    EventInvite,
    Image,
    LinkPreview,
    ListMessage,
    Location,
    Poll,
    StatusText,
    Video,
)
from wagate.domain.messages import MessageKey
from wagate.engines.whatsmeow.protos import chat_id_to_jid_string, quiet_neonize_import

with quiet_neonize_import():
    from neonize.proto.waCommon.WACommon_pb2 import MessageKey as KeyProto
    from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """What a reply needs to name the quoted message."""

    id: str
    participant: str  # JID text of the quoted message's author
    message: Any = None  # the quoted waE2E.Message, when known (shown in the bubble)


def context_info(
    *, quote: Quote | None = None, mentions: Sequence[str] = (), remote_jid: str | None = None
) -> Any | None:
    """A ContextInfo for a reply and/or mentions, or None when neither applies."""
    if quote is None and not mentions:
        return None
    ctx = E.ContextInfo(mentionedJID=[chat_id_to_jid_string(m) for m in mentions])
    if quote is not None:
        ctx.stanzaID = quote.id
        ctx.participant = quote.participant
        ctx.quotedMessage.CopyFrom(
            quote.message if quote.message is not None else E.Message(conversation="")
        )
        if remote_jid:
            ctx.remoteJID = remote_jid
    return ctx


def text_message(text: str, *, context: Any | None = None) -> Any:
    if context is None:
        return E.Message(conversation=text)
    return E.Message(extendedTextMessage=E.ExtendedTextMessage(text=text, contextInfo=context))


def media_type_of(content: Content) -> str:
    """neonize's media type name for an upload (``MediaType[...]``)."""
    match content:
        case Image():
            return "MediaImage"
        case Video():
            return "MediaVideo"
        case Audio():
            return "MediaAudio"
        case _:
            return "MediaDocument"


def _media_fields(upload: Any, mimetype: str) -> dict[str, Any]:
    return {
        "URL": upload.url,
        "directPath": upload.DirectPath,
        "mediaKey": upload.MediaKey,
        "fileEncSHA256": upload.FileEncSHA256,
        "fileSHA256": upload.FileSHA256,
        "fileLength": upload.FileLength,
        "mimetype": mimetype,
        "mediaKeyTimestamp": int(time.time()),
    }


def media_message(
    content: Image | Video | Audio | Document, upload: Any, *, context: Any | None = None
) -> Any:
    """A media message from an ``UploadResponse`` (the backend uploaded the bytes)."""
    fields = _media_fields(upload, content.media.mimetype)
    if context is not None:
        fields["contextInfo"] = context
    match content:
        case Image():
            return E.Message(
                imageMessage=E.ImageMessage(
                    caption=content.caption,
                    width=content.width or 0,
                    height=content.height or 0,
                    JPEGThumbnail=content.thumbnail or b"",
                    **fields,
                )
            )
        case Video():
            video = E.VideoMessage(
                caption=content.caption,
                seconds=content.seconds,
                width=content.width or 0,
                height=content.height or 0,
                JPEGThumbnail=content.thumbnail or b"",
                **fields,
            )
            return E.Message(ptvMessage=video) if content.note else E.Message(videoMessage=video)
        case Audio():
            return E.Message(
                audioMessage=E.AudioMessage(
                    PTT=content.voice,
                    seconds=content.seconds,
                    waveform=content.waveform or b"",
                    **fields,
                )
            )
        case Document():
            name = content.media.filename or "file"
            return E.Message(
                documentMessage=E.DocumentMessage(
                    fileName=name,
                    title=name,
                    caption=content.caption,
                    JPEGThumbnail=content.thumbnail or b"",
                    **fields,
                )
            )


def location_message(loc: Location, *, context: Any | None = None) -> Any:
    m = E.LocationMessage(
        degreesLatitude=loc.latitude,
        degreesLongitude=loc.longitude,
        name=loc.name or "",
        address=loc.address or "",
    )
    if context is not None:
        m.contextInfo.CopyFrom(context)
    return E.Message(locationMessage=m)


def contacts_message(contacts: Contacts, *, context: Any | None = None) -> Any:
    cards = [E.ContactMessage(displayName=c.display_name, vcard=c.vcard) for c in contacts.cards]
    if len(cards) == 1:
        if context is not None:
            cards[0].contextInfo.CopyFrom(context)
        return E.Message(contactMessage=cards[0])
    arr = E.ContactsArrayMessage(displayName=f"{len(cards)} contacts", contacts=cards)
    if context is not None:
        arr.contextInfo.CopyFrom(context)
    return E.Message(contactsArrayMessage=arr)


def poll_message(poll: Poll, *, secret: bytes, context: Any | None = None) -> Any:
    """A poll (v3 for single choice, v1 for multiple, as WhatsApp clients send them);
    ``secret`` is the 32 random bytes votes are encrypted with."""
    m = E.PollCreationMessage(
        name=poll.name,
        options=[E.PollCreationMessage.Option(optionName=o) for o in poll.options],
        selectableOptionsCount=0 if poll.multiple_answers else 1,
    )
    if context is not None:
        m.contextInfo.CopyFrom(context)
    msg = E.Message(messageContextInfo=E.MessageContextInfo(messageSecret=secret))
    if poll.multiple_answers:
        msg.pollCreationMessage.CopyFrom(m)
    else:
        msg.pollCreationMessageV3.CopyFrom(m)
    return msg


def _key_proto(key: MessageKey, participant: str | None) -> Any:
    """The waCommon MessageKey naming ``key``; ``participant`` (JID text) is its author
    inside a group."""
    proto_key = KeyProto(
        remoteJID=chat_id_to_jid_string(key.chat_id), fromMe=key.from_me, ID=key.id
    )
    if participant:
        proto_key.participant = participant
    return proto_key


def reaction_message(key: MessageKey, reaction: str, *, participant: str | None = None) -> Any:
    return E.Message(
        reactionMessage=E.ReactionMessage(
            key=_key_proto(key, participant),
            text=reaction,
            senderTimestampMS=int(time.time() * 1000),
        )
    )


def pin_message(key: MessageKey, seconds: int, *, participant: str | None = None) -> Any:
    """Pin ``key`` in its chat for everyone for ``seconds`` (``0`` unpins), as WhatsApp
    clients send it: the duration rides in ``messageContextInfo``. neonize's own
    ``pin_message`` is marked non-functional, hence this builder."""
    pin = E.PinInChatMessage(
        key=_key_proto(key, participant),
        type=E.PinInChatMessage.PIN_FOR_ALL if seconds else E.PinInChatMessage.UNPIN_FOR_ALL,
        senderTimestampMS=int(time.time() * 1000),
    )
    if not seconds:
        return E.Message(pinInChatMessage=pin)
    return E.Message(
        pinInChatMessage=pin,
        messageContextInfo=E.MessageContextInfo(messageAddOnDurationInSecs=seconds),
    )


def list_message(lst: ListMessage, *, context: Any | None = None) -> Any:
    m = E.ListMessage(
        title=lst.title,
        description=lst.description,
        buttonText=lst.button,
        footerText=lst.footer,
        listType=E.ListMessage.SINGLE_SELECT,
        sections=[
            E.ListMessage.Section(
                title=s.title,
                rows=[
                    E.ListMessage.Row(title=r.title, description=r.description, rowID=r.row_id)
                    for r in s.rows
                ],
            )
            for s in lst.sections
        ],
    )
    if context is not None:
        m.contextInfo.CopyFrom(context)
    return E.Message(listMessage=m)


def event_message(invite: EventInvite, *, secret: bytes, context: Any | None = None) -> Any:
    m = E.EventMessage(
        name=invite.name,
        description=invite.description,
        startTime=invite.start_time,
        isCanceled=False,
        extraGuestsAllowed=invite.extra_guests_allowed,
    )
    if invite.end_time:
        m.endTime = invite.end_time
    if invite.location:
        m.location.CopyFrom(E.LocationMessage(name=invite.location))
    if context is not None:
        m.contextInfo.CopyFrom(context)
    return E.Message(eventMessage=m, messageContextInfo=E.MessageContextInfo(messageSecret=secret))


def link_preview_message(lp: LinkPreview, *, context: Any | None = None) -> Any:
    m = E.ExtendedTextMessage(
        text=lp.text,
        matchedText=lp.url,
        title=lp.title,
        description=lp.description,
        previewType=E.ExtendedTextMessage.NONE,
        JPEGThumbnail=lp.thumbnail or b"",
    )
    if context is not None:
        m.contextInfo.CopyFrom(context)
    return E.Message(extendedTextMessage=m)


def _argb(color: str) -> int:
    return 0xFF000000 | int(color.lstrip("#"), 16)  # opaque ARGB, the proto's fixed32


def status_text_message(status: StatusText) -> Any:
    return E.Message(
        extendedTextMessage=E.ExtendedTextMessage(
            text=status.text,
            backgroundArgb=_argb(status.background_color),
            textArgb=_argb("#ffffff"),
            font=_font(status.font),
        )
    )


def _font(font: int) -> int:
    valid = {v.number for v in E.ExtendedTextMessage.FontType.DESCRIPTOR.values}
    return font if font in valid else 0
