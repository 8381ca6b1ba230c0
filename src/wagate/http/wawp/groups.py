"""Groups (Wawp §12). The routes with fixed names come before ``groups/{id}``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from wagate.domain.groups import GroupInfo, GroupSetting, ParticipantAction, ParticipantResult
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import Bool, InstanceParams
from wagate.http.wawp.fields import ChatId
from wagate.http.wawp.send_media import FileParam
from wagate.services.groups import INVITE_PREFIX, GroupService

router = WawpRouter(tags=["Groups"])

SUCCESS = {"success": True}
ERRORS = [404, 409, 502]
CHANGE_ERRORS = [404, 409, 422, 502]


def _groups(call: Call[Any]) -> GroupService:
    return call.services.groups


def _group_id(chat_id: str) -> str:
    if not chat_id.endswith("@g.us"):
        raise ValueError("a group id looks like <digits>@g.us")
    return chat_id


def _person(chat_id: str) -> str:
    if not chat_id.endswith(("@c.us", "@lid")):
        raise ValueError("a participant is a phone number, a …@c.us or a …@lid id")
    return chat_id


def _ids(value: Any) -> Any:
    """``[{"id": "…"}]`` as Wawp sends participants, or plain ids, or one id."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, dict):  # bracket notation: {"0": {...}, "1": {...}}
        value = list(value.values())
    if isinstance(value, list):
        return [item.get("id") if isinstance(item, dict) else item for item in value]
    return value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


GroupId = Annotated[ChatId, AfterValidator(_group_id)]
Person = Annotated[ChatId, AfterValidator(_person)]
People = Annotated[list[Person], BeforeValidator(_ids)]


class ListParams(InstanceParams):
    limit: int = Field(50, ge=1, le=1000, description="How many groups at most.")
    offset: int = Field(0, ge=0, description="How many groups to skip.")
    sortBy: Literal["subject", "id", "creation"] = Field(
        "creation", description="subject, id or creation."
    )
    sortOrder: Annotated[Literal["ASC", "DESC"], BeforeValidator(_upper)] = Field(
        "DESC", description="ASC or DESC."
    )


class CreateParams(InstanceParams):
    name: str = Field(description="The group's subject (up to 100 characters).")
    participants: People = Field(
        default_factory=list, description='`[{"id": "447…@c.us"}]` (or plain ids).'
    )


class CodeParams(InstanceParams):
    code: str = Field(description="An invite code, or a https://chat.whatsapp.com/ link.")


class GroupParams(InstanceParams):
    id: GroupId = Field(description="The group, `<digits>@g.us`, in the path.")


class PictureParams(GroupParams):
    refresh: Bool = Field(False, description="Accepted; the picture is always asked anew.")


class SetPictureParams(GroupParams):
    file: FileParam = Field(
        description="A JPEG or PNG (`{url}` or `{data}`); sent as a 640×640 square JPEG."
    )


class DescriptionParams(GroupParams):
    description: str = Field(description="The new description (empty clears it).")


class SubjectParams(GroupParams):
    subject: str = Field(description="The new subject (up to 100 characters).")


class AdminsOnlyParams(GroupParams):
    adminsOnly: Bool = Field(description="true: only admins may; false: every member may.")


class ParticipantsParams(GroupParams):
    participants: People = Field(description='`[{"id": "447…@c.us"}]` (or plain ids).')


def group_object(group: GroupInfo) -> dict[str, Any]:
    return group.to_json()


def _results(results: list[ParticipantResult]) -> list[dict[str, Any]]:
    return [result.to_json() for result in results]


# --- the groups of the session -----------------------------------------------------------


@router.wawp("/groups", ListParams, methods=["GET"], summary="Get groups", errors=[409, 502])
async def list_groups(call: Call[ListParams]) -> list[dict[str, Any]]:
    """The groups the account is in, as WhatsApp describes them now."""
    p = call.params
    found = await _groups(call).list(
        call.session.instance_id,
        limit=p.limit,
        offset=p.offset,
        sort_by=p.sortBy,
        descending=p.sortOrder == "DESC",
    )
    return [group_object(g) for g in found]


@router.wawp("/groups", CreateParams, methods=["POST"], summary="Create group", errors=[409, 502])
async def create_group(call: Call[CreateParams]) -> dict[str, Any]:
    """Create a group; the account is its super-admin."""
    p = call.params
    group = await _groups(call).create(call.session.instance_id, p.name, p.participants)
    return group_object(group)


@router.wawp(
    "/groups/join-info", CodeParams, methods=["GET"], summary="Get join info", errors=ERRORS
)
async def join_info(call: Call[CodeParams]) -> dict[str, Any]:
    """The group an invite code leads to, without joining it."""
    group = await _groups(call).invite_info(call.session.instance_id, call.params.code)
    return group_object(group)


@router.wawp("/groups/join", CodeParams, methods=["POST"], summary="Join group", errors=ERRORS)
async def join_group(call: Call[CodeParams]) -> dict[str, Any]:
    """Join the group of an invite code."""
    group_id = await _groups(call).join(call.session.instance_id, call.params.code)
    return {"id": group_id}


@router.wawp(
    "/groups/count", InstanceParams, methods=["GET"], summary="Count groups", errors=[409, 502]
)
async def count_groups(call: Call[InstanceParams]) -> dict[str, Any]:
    return {"count": await _groups(call).count(call.session.instance_id)}


@router.wawp(
    "/groups/refresh",
    InstanceParams,
    methods=["POST"],
    summary="Refresh groups",
    errors=[409, 502],
)
async def refresh_groups(call: Call[InstanceParams]) -> dict[str, Any]:
    """Ask WhatsApp for the account's groups again (every group route does anyway)."""
    return {"success": True, "count": await _groups(call).count(call.session.instance_id)}


# --- one group ---------------------------------------------------------------------------


@router.wawp("/groups/{id}", GroupParams, methods=["GET"], summary="Get group", errors=ERRORS)
async def get_group(call: Call[GroupParams]) -> dict[str, Any]:
    return group_object(await _groups(call).get(call.session.instance_id, call.params.id))


@router.wawp(
    "/groups/{id}", GroupParams, methods=["DELETE"], summary="Delete group", errors=CHANGE_ERRORS
)
async def delete_group(call: Call[GroupParams]) -> dict[str, Any]:
    """End a group as an admin can: remove every other member, then leave."""
    removed = await _groups(call).delete(call.session.instance_id, call.params.id)
    return {"success": True, "removed": _results(removed)}


@router.wawp(
    "/groups/{id}/leave", GroupParams, methods=["POST"], summary="Leave group", errors=ERRORS
)
async def leave_group(call: Call[GroupParams]) -> dict[str, Any]:
    await _groups(call).leave(call.session.instance_id, call.params.id)
    return SUCCESS


@router.wawp(
    "/groups/{id}/picture",
    PictureParams,
    methods=["GET"],
    summary="Get group picture",
    errors=ERRORS,
)
async def group_picture(call: Call[PictureParams]) -> dict[str, Any]:
    return {"url": await _groups(call).picture(call.session.instance_id, call.params.id)}


@router.wawp(
    "/groups/{id}/picture",
    SetPictureParams,
    methods=["PUT"],
    summary="Set group picture",
    errors=[404, 409, 413, 422, 502],
)
async def set_group_picture(call: Call[SetPictureParams]) -> dict[str, Any]:
    services = call.services
    await services.messaging.require_working(call.session.instance_id)
    jpeg = await services.media.profile_picture(
        call.params.file.source(), route="groups/{id}/picture"
    )
    await _groups(call).set_picture(call.session.instance_id, call.params.id, jpeg)
    return SUCCESS


@router.wawp(
    "/groups/{id}/picture",
    GroupParams,
    methods=["DELETE"],
    summary="Delete group picture",
    errors=CHANGE_ERRORS,
)
async def delete_group_picture(call: Call[GroupParams]) -> dict[str, Any]:
    await _groups(call).set_picture(call.session.instance_id, call.params.id, None)
    return SUCCESS


@router.wawp(
    "/groups/{id}/description",
    DescriptionParams,
    methods=["PUT"],
    summary="Set group description",
    errors=ERRORS,
)
async def set_description(call: Call[DescriptionParams]) -> dict[str, Any]:
    p = call.params
    await _groups(call).set_description(call.session.instance_id, p.id, p.description)
    return SUCCESS


@router.wawp(
    "/groups/{id}/subject",
    SubjectParams,
    methods=["PUT"],
    summary="Set group subject",
    errors=ERRORS,
)
async def set_subject(call: Call[SubjectParams]) -> dict[str, Any]:
    p = call.params
    await _groups(call).set_subject(call.session.instance_id, p.id, p.subject)
    return SUCCESS


SETTINGS = {
    "info-admin-only": GroupSetting.LOCKED,
    "messages-admin-only": GroupSetting.ANNOUNCE,
}


def _setting_routes(path: str, setting: GroupSetting) -> None:
    async def get_setting(call: Call[GroupParams]) -> dict[str, Any]:
        on = await _groups(call).setting(call.session.instance_id, call.params.id, setting)
        return {"adminsOnly": on}

    async def set_setting(call: Call[AdminsOnlyParams]) -> dict[str, Any]:
        p = call.params
        await _groups(call).set_setting(call.session.instance_id, p.id, setting, p.adminsOnly)
        return SUCCESS

    what = "edit the group's info" if setting is GroupSetting.LOCKED else "send messages"
    name = path.replace("-", "_")
    get_setting.__name__, set_setting.__name__ = f"get_{name}", f"set_{name}"
    get_setting.__doc__ = f"`adminsOnly`: whether only admins may {what}."
    set_setting.__doc__ = f"Let only admins (`adminsOnly=true`) or every member {what}."
    route = f"/groups/{{id}}/settings/security/{path}"
    router.wawp(route, GroupParams, methods=["GET"], summary=f"Get {path}", errors=ERRORS)(
        get_setting
    )
    router.wawp(route, AdminsOnlyParams, methods=["PUT"], summary=f"Set {path}", errors=ERRORS)(
        set_setting
    )


for _path, _setting in SETTINGS.items():
    _setting_routes(_path, _setting)


@router.wawp(
    "/groups/{id}/invite-code",
    GroupParams,
    methods=["GET"],
    summary="Get invite code",
    errors=ERRORS,
)
async def invite_code(call: Call[GroupParams]) -> dict[str, Any]:
    """The group's invite code and link (admins only)."""
    code = await _groups(call).invite(call.session.instance_id, call.params.id)
    return {"code": code, "link": f"{INVITE_PREFIX}{code}"}


@router.wawp(
    "/groups/{id}/invite-code/revoke",
    GroupParams,
    methods=["POST"],
    summary="Revoke invite code",
    errors=ERRORS,
)
async def revoke_invite_code(call: Call[GroupParams]) -> dict[str, Any]:
    """A new invite code; the old one stops working."""
    code = await _groups(call).invite(call.session.instance_id, call.params.id, revoke=True)
    return {"code": code, "link": f"{INVITE_PREFIX}{code}"}


@router.wawp(
    "/groups/{id}/participants",
    GroupParams,
    methods=["GET"],
    summary="Get participants",
    errors=ERRORS,
)
async def participants(call: Call[GroupParams]) -> list[dict[str, Any]]:
    found = await _groups(call).participants(call.session.instance_id, call.params.id)
    return [
        {**p.to_json(), "isAdmin": p.role != "participant", "isSuperAdmin": p.role == "superadmin"}
        for p in found
    ]


def _change_route(path: str, action: ParticipantAction, summary: str) -> None:
    async def change(call: Call[ParticipantsParams]) -> list[dict[str, Any]]:
        p = call.params
        results = await _groups(call).change(call.session.instance_id, p.id, action, p.participants)
        return _results(results)

    change.__name__ = path.replace("/", "_")
    change.__doc__ = (
        f"{summary}: one `{{id, status}}` per person (200 done; 403 not allowed, 404 not on "
        "WhatsApp or not a member, 409 already a member…)."
    )
    router.wawp(
        f"/groups/{{id}}/{path}",
        ParticipantsParams,
        methods=["POST"],
        summary=summary,
        errors=ERRORS,
    )(change)


for _path, _action, _summary in (
    ("participants/add", ParticipantAction.ADD, "Add participants"),
    ("participants/remove", ParticipantAction.REMOVE, "Remove participants"),
    ("admin/promote", ParticipantAction.PROMOTE, "Promote to admin"),
    ("admin/demote", ParticipantAction.DEMOTE, "Demote from admin"),
):
    _change_route(_path, _action, _summary)
