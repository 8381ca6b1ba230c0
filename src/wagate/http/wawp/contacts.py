"""Contacts: the people the account knows (Wawp §11)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from wagate.domain.contacts import Contact
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import Bool, InstanceParams
from wagate.http.wawp.fields import ChatId, Phone

router = WawpRouter(tags=["Contacts"])

SUCCESS = {"success": True}


def _person(chat_id: str) -> str:
    if not chat_id.endswith(("@c.us", "@lid")):
        raise ValueError("a contact is a phone number, a …@c.us or a …@lid id")
    return chat_id


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


ContactId = Annotated[ChatId, AfterValidator(_person)]


class AllParams(InstanceParams):
    limit: int = Field(50, ge=1, le=1000, description="How many contacts at most.")
    offset: int = Field(0, ge=0, description="How many contacts to skip.")
    sortBy: Literal["name", "id"] = Field("name", description="name or id.")
    sortOrder: Annotated[Literal["ASC", "DESC"], BeforeValidator(_upper)] = Field(
        "ASC", description="ASC or DESC."
    )


class ContactParams(InstanceParams):
    contactId: ContactId = Field(description="A phone number, `…@c.us` or `…@lid`.")


class PictureParams(ContactParams):
    refresh: Bool = Field(False, description="Accepted; the picture is always asked anew.")


class ExistsParams(InstanceParams):
    phone: Phone = Field(description="The number with its country code (`+` and spaces ok).")


class SaveParams(ContactParams):
    firstName: str = Field(max_length=50, description="First name in the address book.")
    lastName: str = Field("", max_length=50, description="Last name in the address book.")


def contact_object(contact: Contact, *, me: str | None) -> dict[str, Any]:
    """A contact as WAHA's WEBJS engine describes one."""
    return {
        "id": contact.id,
        "number": contact.id.partition("@")[0] if contact.id.endswith("@c.us") else None,
        "lid": contact.lid,
        "name": contact.name,
        "pushname": contact.push_name,
        "shortName": contact.name.split()[0] if contact.name else None,
        "isMe": contact.id == me,
        "isUser": True,
        "isGroup": False,
        "isWAContact": True,
        "isMyContact": contact.is_my_contact,
        "isBlocked": contact.is_blocked,
        "isBusiness": contact.is_business,
    }


def _me(call: Call[Any]) -> str | None:
    return call.session.me.id if call.session.me else None


@router.wawp(
    "/contacts/all", AllParams, methods=["GET"], summary="Get all contacts", errors=[409, 502]
)
async def all_contacts(call: Call[AllParams]) -> list[dict[str, Any]]:
    """Every contact the account knows of: its address book and the people it talked to."""
    p = call.params
    found = await call.services.contacts.all(
        call.session.instance_id,
        limit=p.limit,
        offset=p.offset,
        sort_by=p.sortBy,
        descending=p.sortOrder == "DESC",
    )
    return [contact_object(c, me=_me(call)) for c in found]


@router.wawp(
    "/contacts", ContactParams, methods=["GET"], summary="Get contact basic info", errors=[409, 502]
)
async def get_contact(call: Call[ContactParams]) -> dict[str, Any]:
    """What the account knows of one person."""
    found = await call.services.contacts.get(call.session.instance_id, call.params.contactId)
    return contact_object(found, me=_me(call))


@router.wawp(
    "/contacts/check-exists",
    ExistsParams,
    methods=["GET"],
    summary="Check phone number exists",
    errors=[409, 502],
)
async def check_exists(call: Call[ExistsParams]) -> dict[str, Any]:
    """Whether a number has WhatsApp, and its chat id when it has."""
    chat_id = await call.services.contacts.exists(call.session.instance_id, call.params.phone)
    return {"numberExists": chat_id is not None, "chatId": chat_id}


@router.wawp(
    "/contacts/about",
    ContactParams,
    methods=["GET"],
    summary='Get contact "About"',
    errors=[409, 502],
)
async def about(call: Call[ContactParams]) -> dict[str, Any]:
    """A person's About text (`null` when they have none or hide it)."""
    text = await call.services.contacts.about(call.session.instance_id, call.params.contactId)
    return {"about": text}


@router.wawp(
    "/contacts/profile-picture",
    PictureParams,
    methods=["GET"],
    summary="Get contact profile picture",
    errors=[409, 502],
)
async def profile_picture(call: Call[PictureParams]) -> dict[str, Any]:
    """The URL of a person's picture (`null` when they have none or hide it)."""
    url = await call.services.contacts.picture(call.session.instance_id, call.params.contactId)
    return {"profilePictureURL": url}


@router.wawp(
    "/contacts/block", ContactParams, methods=["POST"], summary="Block contact", errors=[409, 502]
)
async def block(call: Call[ContactParams]) -> dict[str, Any]:
    await call.services.contacts.block(call.session.instance_id, call.params.contactId, True)
    return SUCCESS


@router.wawp(
    "/contacts/unblock",
    ContactParams,
    methods=["POST"],
    summary="Unblock contact",
    errors=[409, 502],
)
async def unblock(call: Call[ContactParams]) -> dict[str, Any]:
    await call.services.contacts.block(call.session.instance_id, call.params.contactId, False)
    return SUCCESS


@router.wawp(
    "/contacts/{contactId}",
    SaveParams,
    methods=["PUT"],
    summary="Create or update contact",
    errors=[409, 422, 502],
)
async def save_contact(call: Call[SaveParams]) -> dict[str, Any]:
    """Save a person in the account's address book, or rename them there."""
    p = call.params
    await call.services.contacts.save(
        call.session.instance_id, p.contactId, p.firstName, p.lastName
    )
    return SUCCESS
