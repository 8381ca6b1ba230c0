"""Sandbox control: play the phone of a sandbox session (wagate's own routes)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from wagate.domain.content import EventResponse
from wagate.domain.ids import normalize_phone
from wagate.errors import InvalidParamError, NotSupportedError
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import Bool, InstanceParams, StrList
from wagate.http.wawp.fields import (
    MessageId,
    MessageIdList,
    OptionalMessageId,
    Phone,
    message_key,
)
from wagate.http.wawp.render import SessionOut, session_view
from wagate.http.wawp.send_media import FileParam
from wagate.services.container import Services
from wagate.services.messaging import MAX_TEXT_LENGTH
from wagate.services.sandbox import SandboxControl

router = WawpRouter(tags=["Sandbox"])


class ScanParams(InstanceParams):
    phone: str = Field(description="Number of the virtual phone that scans, e.g. 15550001111.")
    push_name: str | None = Field(
        None, max_length=100, description="Display name of that account (default: Sandbox NNNN)."
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalize_phone(value)


class ConfirmCodeParams(InstanceParams):
    code: str = Field(description="The pairing code `requestCode` returned, e.g. ABCD-EFGH.")


class ContactMessageParams(InstanceParams):
    from_: Phone = Field(
        alias="from", description="Number of the virtual contact that writes, e.g. 15550002222."
    )
    message: str = Field("", max_length=MAX_TEXT_LENGTH, description="The text or caption.")
    file: FileParam | None = Field(
        None, description="Media it sends: `{url}` or `{data}`, with `filename`, `mimetype`."
    )
    reply_to: OptionalMessageId = Field(None, description="Id of the message it quotes.")
    push_name: str | None = Field(None, max_length=100, description="The contact's name.")


class ContactReadParams(InstanceParams):
    from_: Phone = Field(alias="from", description="Number of the virtual contact that reads.")
    messageIds: MessageIdList | None = Field(
        None, description="Messages the session sent it (default: every unread one)."
    )


class ContactReactParams(InstanceParams):
    from_: Phone = Field(alias="from", description="Number of the virtual contact.")
    messageId: MessageId = Field(description="The message it reacts to.")
    reaction: str = Field(max_length=32, description="An emoji; empty removes it.")


def _control(services: Services) -> SandboxControl:
    if services.sandbox is None:
        raise NotSupportedError("The sandbox is disabled on this server")
    return services.sandbox


@router.wawp(
    "/sandbox/scan",
    ScanParams,
    methods=["POST"],
    summary="Scan the QR code with a virtual phone",
    errors=[409, 422],
    response_model=SessionOut,
)
async def scan(call: Call[ScanParams]) -> dict[str, Any]:
    """Link a sandbox session waiting in SCAN_QR_CODE to the virtual phone `phone`."""
    session = await _control(call.services).scan(
        call.session, call.params.phone, call.params.push_name
    )
    return await session_view(call.services, session)


@router.wawp(
    "/sandbox/confirm-code",
    ConfirmCodeParams,
    methods=["POST"],
    summary="Type the pairing code on the virtual phone",
    errors=[409, 422],
    response_model=SessionOut,
)
async def confirm_code(call: Call[ConfirmCodeParams]) -> dict[str, Any]:
    """Complete a `requestCode` login, as if the code was typed on that phone."""
    session = await _control(call.services).confirm_code(call.session, call.params.code)
    return await session_view(call.services, session)


@router.wawp(
    "/sandbox/unlink",
    InstanceParams,
    methods=["POST"],
    summary="Remove the linked device on the virtual phone",
    errors=[409, 422],
    response_model=SessionOut,
)
async def unlink(call: Call[InstanceParams]) -> dict[str, Any]:
    """The session goes FAILED with a reason; logout or start gives a new QR code."""
    session = await _control(call.services).unlink(call.session)
    return await session_view(call.services, session)


@router.wawp(
    "/sandbox/message",
    ContactMessageParams,
    methods=["POST"],
    summary="A virtual contact sends the session a message",
    errors=[409, 422],
)
async def contact_message(call: Call[ContactMessageParams]) -> dict[str, Any]:
    """Deliver an inbound message (text, or media with `file`) from the virtual contact
    `from`; returns it as the session received it."""
    p = call.params
    content = None
    if p.file is not None:
        content = await call.services.media.any_content(
            p.file.source(), caption=p.message, route="sandbox/message"
        )
    elif not p.message:
        raise InvalidParamError("Invalid parameter message: give a text or a file", param="message")
    return await _control(call.services).contact_message(
        call.session,
        p.from_,
        p.message,
        reply_to=p.reply_to,
        push_name=p.push_name,
        content=content,
    )


class ContactVoteParams(InstanceParams):
    from_: Phone = Field(alias="from", description="Number of the virtual contact that votes.")
    messageId: MessageId = Field(description="The poll, as the session names it.")
    votes: StrList = Field(default_factory=list, description="Option names; `[]` retracts.")
    undecryptable: Bool = Field(False, description="Deliver a vote that cannot be read.")


class ContactEventResponseParams(InstanceParams):
    from_: Phone = Field(alias="from", description="Number of the virtual contact that answers.")
    messageId: MessageId = Field(description="The event, as the session names it.")
    response: EventResponse = Field(EventResponse.GOING, description="GOING, NOT_GOING or MAYBE.")
    undecryptable: Bool = Field(False, description="Deliver an answer that cannot be read.")


@router.wawp(
    "/sandbox/vote",
    ContactVoteParams,
    methods=["POST"],
    summary="A virtual contact votes on a poll",
    errors=[409, 422],
)
async def contact_vote(call: Call[ContactVoteParams]) -> dict[str, Any]:
    """The session gets `poll.vote` (or `poll.vote.failed` with `undecryptable`)."""
    p = call.params
    await _control(call.services).contact_vote(
        call.session, p.from_, message_key(p.messageId), p.votes, undecryptable=p.undecryptable
    )
    return {"success": True}


@router.wawp(
    "/sandbox/event-response",
    ContactEventResponseParams,
    methods=["POST"],
    summary="A virtual contact answers an event",
    errors=[409, 422],
)
async def contact_event_response(call: Call[ContactEventResponseParams]) -> dict[str, Any]:
    """The session gets `event.response` (or `event.response.failed`)."""
    p = call.params
    await _control(call.services).contact_event_response(
        call.session, p.from_, message_key(p.messageId), p.response, undecryptable=p.undecryptable
    )
    return {"success": True}


@router.wawp(
    "/sandbox/read",
    ContactReadParams,
    methods=["POST"],
    summary="A virtual contact reads the session's messages",
    errors=[409, 422],
)
async def contact_read(call: Call[ContactReadParams]) -> dict[str, Any]:
    """The contact opens the chat: the session gets READ receipts (`message.ack`)."""
    ids = call.params.messageIds
    keys = [message_key(m) for m in ids] if ids is not None else None
    read = await _control(call.services).contact_read(call.session, call.params.from_, keys)
    return {"read": [key.serialized for key in read]}


@router.wawp(
    "/sandbox/react",
    ContactReactParams,
    methods=["POST"],
    summary="A virtual contact reacts to a message",
    errors=[409, 422],
)
async def contact_react(call: Call[ContactReactParams]) -> dict[str, Any]:
    """The session gets a `message.reaction` event."""
    p = call.params
    reaction_id = await _control(call.services).contact_react(
        call.session, p.from_, message_key(p.messageId), p.reaction
    )
    return {"id": reaction_id}
