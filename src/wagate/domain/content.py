"""What a message carries beyond plain text: media, places, polls, cards, lists, events.

Engines get these ready to send (media already fetched, checked and converted by the
media pipeline) and report received messages with them (media as bytes, which the
messaging service moves into the media store).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaBlob:
    """A media file's bytes and what they are."""

    data: bytes
    mimetype: str
    filename: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    media: MediaBlob
    caption: str = ""
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None  # a small JPEG


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    media: MediaBlob  # media.filename is the name shown in the chat
    caption: str = ""
    thumbnail: bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Audio:
    media: MediaBlob
    voice: bool = True  # a push-to-talk voice note (OGG/Opus), else an audio file
    seconds: int = 0
    waveform: bytes | None = None  # 64 samples 0..100, how WhatsApp draws a voice note


@dataclass(frozen=True, slots=True, kw_only=True)
class Video:
    media: MediaBlob
    caption: str = ""
    note: bool = False  # a round video note
    seconds: int = 0
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    latitude: float
    longitude: float
    name: str | None = None  # the place's title
    address: str | None = None  # the text shown under it


@dataclass(frozen=True, slots=True, kw_only=True)
class Poll:
    name: str
    options: tuple[str, ...]
    multiple_answers: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactCard:
    display_name: str
    vcard: str  # the full "BEGIN:VCARD ... END:VCARD" text


@dataclass(frozen=True, slots=True, kw_only=True)
class Contacts:
    cards: tuple[ContactCard, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkPreview:
    text: str  # the message text; it contains the URL
    url: str
    title: str = ""
    description: str = ""
    thumbnail: bytes | None = None  # a JPEG
    high_quality: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ListRow:
    title: str
    row_id: str
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ListSection:
    title: str
    rows: tuple[ListRow, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ListMessage:
    title: str
    description: str
    button: str
    sections: tuple[ListSection, ...]
    footer: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class EventInvite:
    name: str
    start_time: int  # seconds since the epoch
    description: str = ""
    end_time: int | None = None
    location: str | None = None
    extra_guests_allowed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusText:
    """A text story: coloured background, font."""

    text: str
    background_color: str = "#1f2c34"  # "#rrggbb"
    font: int = 0  # WhatsApp's font number, 0..9
    link_preview: bool = True
    link_preview_high_quality: bool = False


Content = (
    Image
    | Document
    | Audio
    | Video
    | Location
    | Poll
    | Contacts
    | LinkPreview
    | ListMessage
    | EventInvite
    | StatusText
)


class EventResponse(StrEnum):
    GOING = "GOING"
    NOT_GOING = "NOT_GOING"
    MAYBE = "MAYBE"


def kind_of(content: Content | None) -> str:
    """The WEBJS ``type`` of a message with this content (``chat`` for plain text)."""
    match content:
        case None | StatusText():
            return "chat"
        case Image():
            return "image"
        case Document():
            return "document"
        case Audio(voice=voice):
            return "ptt" if voice else "audio"
        case Video():
            return "video"
        case Location():
            return "location"
        case Poll():
            return "poll_creation"
        case Contacts(cards=cards):
            return "vcard" if len(cards) == 1 else "multi_vcard"
        case LinkPreview():
            return "chat"
        case ListMessage():
            return "list"
        case EventInvite():
            return "event"


def media_of(content: Content | None) -> MediaBlob | None:
    match content:
        case Image(media=m) | Document(media=m) | Audio(media=m) | Video(media=m):
            return m
    return None


def display_text(content: Content | None, text: str = "") -> str:
    """The text WhatsApp shows for a message with this content (``text`` when none):
    a caption, a poll's or event's name, a place's name, the contacts' names."""
    match content:
        case Image(caption=caption) | Video(caption=caption) | Document(caption=caption):
            return caption
        case Poll(name=name) | EventInvite(name=name):
            return name
        case Location(name=name):
            return name or ""
        case LinkPreview(text=body) | StatusText(text=body):
            return body
        case ListMessage(description=description):
            return description
        case Contacts(cards=cards):
            return ", ".join(card.display_name for card in cards)
        case Audio():
            return ""
    return text
