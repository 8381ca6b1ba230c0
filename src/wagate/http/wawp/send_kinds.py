"""Sending places, polls, contact cards, link previews, lists and events (Wawp §5)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from wagate.domain.content import (
    ContactCard,
    Contacts,
    EventInvite,
    LinkPreview,
    ListMessage,
    ListRow,
    ListSection,
    Location,
    Poll,
)
from wagate.domain.ids import normalize_phone
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import Bool, InstanceParams, json_text, to_str_list
from wagate.http.wawp.fields import ChatId, MessageId, OptionalMessageId, message_key

router = WawpRouter(tags=["Send messages"])

SEND_ERRORS = [409, 422, 502]
MAX_POLL_OPTIONS = 12


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ChatParams(InstanceParams):
    chatId: ChatId = Field(description="The chat to send to.")
    reply_to: OptionalMessageId = Field(None, description="Id of the message to quote.")


def _reply(params: ChatParams) -> Any:
    return message_key(params.reply_to) if params.reply_to else None


# --- location ------------------------------------------------------------------------


class LocationParams(ChatParams):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    title: str | None = Field(None, max_length=256, description="The place's name.")
    message: str | None = Field(None, max_length=1024, description="Text shown under it.")


@router.wawp(
    "/sendLocation", LocationParams, methods=["POST"], summary="Send location", errors=SEND_ERRORS
)
async def send_location(call: Call[LocationParams]) -> dict[str, Any]:
    """A pin on the map, with an optional name and text."""
    p = call.params
    place = Location(latitude=p.latitude, longitude=p.longitude, name=p.title, address=p.message)
    return await call.services.messaging.send_content(
        call.session.instance_id, p.chatId, place, reply_to=_reply(p)
    )


# --- poll --------------------------------------------------------------------------


class PollIn(_Strict):
    name: str = Field(min_length=1, max_length=255)
    options: Annotated[list[str], BeforeValidator(to_str_list)] = Field(
        min_length=2, max_length=MAX_POLL_OPTIONS
    )
    multipleAnswers: Bool = False

    @field_validator("options")
    @classmethod
    def _options(cls, options: list[str]) -> list[str]:
        cleaned = [option.strip() for option in options]
        if any(not option or len(option) > 100 for option in cleaned):
            raise ValueError("each option has 1 to 100 characters")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("options must be different")
        return cleaned


class PollParams(ChatParams):
    poll: Annotated[PollIn, BeforeValidator(json_text)] = Field(
        description="`{name, options[], multipleAnswers}`; 2 to 12 different options."
    )


@router.wawp("/sendPoll", PollParams, methods=["POST"], summary="Send poll", errors=SEND_ERRORS)
async def send_poll(call: Call[PollParams]) -> dict[str, Any]:
    """A poll; votes arrive as `poll.vote` events."""
    p = call.params
    poll = Poll(
        name=p.poll.name, options=tuple(p.poll.options), multiple_answers=p.poll.multipleAnswers
    )
    return await call.services.messaging.send_content(
        call.session.instance_id, p.chatId, poll, reply_to=_reply(p)
    )


def _votes(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip() in ("", "[]")):
        return []
    return value if isinstance(value, list) else to_str_list(value)


class PollVoteParams(ChatParams):
    messageId: MessageId = Field(description="The poll's message id.")
    votes: Annotated[list[int | str], BeforeValidator(_votes)] = Field(
        max_length=MAX_POLL_OPTIONS,
        description="Option names or 0-based indexes; `[]` (or an empty value) retracts.",
    )


@router.wawp(
    "/sendPollVote",
    PollVoteParams,
    methods=["POST"],
    summary="Vote on a poll",
    errors=[*SEND_ERRORS, 404],
)
async def send_poll_vote(call: Call[PollVoteParams]) -> dict[str, Any]:
    """Vote on a poll of the chat (your vote replaces an earlier one)."""
    p = call.params
    return await call.services.messaging.vote(
        call.session.instance_id, message_key(p.messageId), p.votes
    )


# --- contact cards ---------------------------------------------------------------------

_FN = re.compile(r"^FN[;:](.*)$", re.MULTILINE)


class ContactIn(_Strict):
    fullName: str | None = Field(None, max_length=256)
    organization: str | None = Field(None, max_length=256)
    phoneNumber: str | None = Field(None, max_length=32)
    whatsappId: str | None = Field(None, max_length=32)
    vcard: str | None = Field(None, max_length=65536)

    @model_validator(mode="after")
    def _complete(self) -> ContactIn:
        if self.vcard:
            text = self.vcard.strip()
            if not (text.upper().startswith("BEGIN:VCARD") and text.upper().endswith("END:VCARD")):
                raise ValueError("vcard must run from BEGIN:VCARD to END:VCARD")
        elif not (self.fullName and self.phoneNumber):
            raise ValueError("give fullName and phoneNumber, or a vcard")
        else:
            normalize_phone(self.whatsappId or self.phoneNumber)  # a clear 400, not later
        return self

    def card(self) -> ContactCard:
        if self.vcard:
            found = _FN.search(self.vcard.replace("\r\n", "\n"))
            name = found.group(1).strip() if found else "Contact"
            return ContactCard(display_name=name, vcard=self.vcard.strip())
        assert self.fullName
        assert self.phoneNumber
        waid = normalize_phone(self.whatsappId or self.phoneNumber)
        lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_escape(self.fullName)}"]
        if self.organization:
            lines.append(f"ORG:{_escape(self.organization)};")
        lines += [f"TEL;type=CELL;type=VOICE;waid={waid}:{self.phoneNumber}", "END:VCARD"]
        return ContactCard(display_name=self.fullName, vcard="\n".join(lines))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", " ")


class ContactsParams(ChatParams):
    contacts: Annotated[list[ContactIn], BeforeValidator(json_text)] = Field(
        min_length=1,
        max_length=50,
        description="`[{fullName, organization, phoneNumber, whatsappId}]` or `[{vcard}]`.",
    )


@router.wawp(
    "/sendContactVcard",
    ContactsParams,
    methods=["POST"],
    summary="Send contact vCard",
    errors=SEND_ERRORS,
)
async def send_contact_vcard(call: Call[ContactsParams]) -> dict[str, Any]:
    """One or more contact cards in one message."""
    p = call.params
    contacts = Contacts(cards=tuple(contact.card() for contact in p.contacts))
    return await call.services.messaging.send_content(
        call.session.instance_id, p.chatId, contacts, reply_to=_reply(p)
    )


# --- link preview ------------------------------------------------------------------------


class LinkPreviewParams(ChatParams):
    url: str = Field(max_length=4096, description="The link to preview (http or https).")
    text: str | None = Field(None, max_length=4096, description="The message; default: the URL.")
    title: str = Field("", max_length=256)
    description: str = Field("", max_length=1024)
    thumbnail: str | None = Field(None, max_length=4096, description="URL of the preview image.")
    linkPreviewHighQuality: Bool = False

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://\S+$", value):
            raise ValueError("must be an http:// or https:// URL")
        return value


@router.wawp(
    "/sendLinkPreview",
    LinkPreviewParams,
    methods=["POST"],
    summary="Send link preview",
    errors=[*SEND_ERRORS, 413],
)
async def send_link_preview(call: Call[LinkPreviewParams]) -> dict[str, Any]:
    """A message with a link card you describe (title, description, image)."""
    p = call.params
    text = p.text or p.url
    if p.url not in text:
        text = f"{text}\n{p.url}"
    thumbnail = await call.services.media.thumbnail_of(p.thumbnail) if p.thumbnail else None
    preview = LinkPreview(
        text=text,
        url=p.url,
        title=p.title,
        description=p.description,
        thumbnail=thumbnail,
        high_quality=p.linkPreviewHighQuality,
    )
    return await call.services.messaging.send_content(
        call.session.instance_id, p.chatId, preview, reply_to=_reply(p)
    )


# --- list -------------------------------------------------------------------------------


class RowIn(_Strict):
    title: str = Field(min_length=1, max_length=24)
    rowId: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=72)


class SectionIn(_Strict):
    title: str = Field(min_length=1, max_length=24)
    rows: list[RowIn] = Field(min_length=1, max_length=10)


class ListIn(_Strict):
    title: str = Field(min_length=1, max_length=60)
    description: str = Field(min_length=1, max_length=1024)
    footer: str = Field("", max_length=60)
    button: str = Field(min_length=1, max_length=20)
    sections: list[SectionIn] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _rows(self) -> ListIn:
        rows = [row.rowId for section in self.sections for row in section.rows]
        if len(rows) > 10:
            raise ValueError("a list has at most 10 rows in all")
        if len(set(rows)) != len(rows):
            raise ValueError("rowId values must be different")
        return self


class ListParams(ChatParams):
    message: Annotated[ListIn, BeforeValidator(json_text)] = Field(
        description="`{title, description, footer, button, sections[{title, rows[{title, "
        "rowId, description}]}]}`"
    )


@router.wawp("/sendList", ListParams, methods=["POST"], summary="Send list", errors=SEND_ERRORS)
async def send_list(call: Call[ListParams]) -> dict[str, Any]:
    """A menu: a button that opens sections of rows to pick from."""
    m = call.params.message
    content = ListMessage(
        title=m.title,
        description=m.description,
        footer=m.footer,
        button=m.button,
        sections=tuple(
            ListSection(
                title=s.title,
                rows=tuple(
                    ListRow(title=r.title, row_id=r.rowId, description=r.description)
                    for r in s.rows
                ),
            )
            for s in m.sections
        ),
    )
    return await call.services.messaging.send_content(
        call.session.instance_id, call.params.chatId, content, reply_to=_reply(call.params)
    )


# --- event ------------------------------------------------------------------------------


class PlaceIn(_Strict):
    name: str = Field(min_length=1, max_length=256)


class EventIn(_Strict):
    name: str = Field(min_length=1, max_length=256)
    description: str = Field("", max_length=2048)
    startTime: int = Field(gt=0, description="Unix seconds.")
    endTime: int | None = Field(None, gt=0)
    location: PlaceIn | None = None
    extraGuestsAllowed: Bool = False

    @model_validator(mode="after")
    def _times(self) -> EventIn:
        if self.endTime is not None and self.endTime <= self.startTime:
            raise ValueError("endTime must be after startTime")
        return self


class EventParams(ChatParams):
    event: Annotated[EventIn, BeforeValidator(json_text)] = Field(
        description="`{name, description, startTime, endTime, location{name}, extraGuestsAllowed}`"
    )


@router.wawp("/sendEvent", EventParams, methods=["POST"], summary="Send event", errors=SEND_ERRORS)
async def send_event(call: Call[EventParams]) -> dict[str, Any]:
    """An event invitation; answers arrive as `event.response` events."""
    e = call.params.event
    invite = EventInvite(
        name=e.name,
        description=e.description,
        start_time=e.startTime,
        end_time=e.endTime,
        location=e.location.name if e.location else None,
        extra_guests_allowed=e.extraGuestsAllowed,
    )
    return await call.services.messaging.send_content(
        call.session.instance_id, call.params.chatId, invite, reply_to=_reply(call.params)
    )
