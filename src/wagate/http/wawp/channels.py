"""Channels (newsletters; Wawp §7). ``channels/search…`` come before ``channels/{id}``;
the directory is searched with Wawp's ``GET channels/search`` or WAHA's
``POST channels/search/by-view`` and ``by-text``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from wagate.errors import MissingParamError
from wagate.http.deps import Call, WawpRouter
from wagate.http.params import Bool, InstanceParams, StrList
from wagate.http.wawp.send_media import FileParam
from wagate.services.channels import (
    CATEGORIES,
    COUNTRIES,
    INVITE_PREFIX,
    VIEWS,
    ChannelService,
    channel_object,
)

router = WawpRouter(tags=["Channels"])

ERRORS = [409, 422, 502]
SUCCESS = {"success": True}


def _channels(call: Call[Any]) -> ChannelService:
    return call.services.channels


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _channel_ref(value: str) -> str:
    """A channel id, or an invite code (or link) for looking one up."""
    text = value.strip().removeprefix(INVITE_PREFIX).strip("/")
    if not text:
        raise ValueError("give a …@newsletter id or an invite code")
    return text


def _channel_id(value: str) -> str:
    if not value.endswith("@newsletter"):
        raise ValueError("a channel id looks like <digits>@newsletter")
    return value


ChannelRef = Annotated[str, AfterValidator(_channel_ref)]
ChannelId = Annotated[str, AfterValidator(_channel_id)]
Upper = Annotated[str, BeforeValidator(_upper)]


class ListParams(InstanceParams):
    role: Annotated[Literal["OWNER", "ADMIN", "SUBSCRIBER"], BeforeValidator(_upper)] | None = (
        Field(None, description="Only the channels where the account has this role.")
    )


class CreateParams(InstanceParams):
    name: str = Field(description="The channel's name (up to 100 characters).")
    description: str = Field("", description="Its description.")
    picture: FileParam | None = Field(
        None, description="A JPEG or PNG (`{url}` or `{data}`), made a square JPEG."
    )
    type: str | None = Field(None, description="Accepted (`text`).")


class ChannelParams(InstanceParams):
    id: ChannelRef = Field(
        description="The channel (`…@newsletter`) or an invite code, in the path."
    )


class IdParams(InstanceParams):
    id: Annotated[ChannelRef, AfterValidator(_channel_id)] = Field(
        description="The channel, `<digits>@newsletter`, in the path."
    )


class PreviewParams(ChannelParams):
    limit: int = Field(50, ge=1, le=100, description="How many posts at most.")
    downloadMedia: Bool = Field(False, description="Accepted; media are linked, not fetched.")


class SearchParams(InstanceParams):
    view: Annotated[
        Literal["RECOMMENDED", "TRENDING", "POPULAR", "NEW"], BeforeValidator(_upper)
    ] = Field("RECOMMENDED", description="RECOMMENDED, TRENDING, POPULAR or NEW.")
    text: str | None = Field(None, description="Search by text instead of by view.")
    countries: StrList = Field(default_factory=list, description="ISO country codes.")
    categories: StrList = Field(default_factory=list, description="Category values.")
    limit: int = Field(50, ge=1, le=100, description="How many channels at most.")
    startCursor: str | None = Field(None, description="The `nextCursor` of the page before.")


@router.wawp("/channels", ListParams, methods=["GET"], summary="List channels", errors=ERRORS)
async def list_channels(call: Call[ListParams]) -> list[dict[str, Any]]:
    """The channels the account owns, administers or follows."""
    found = await _channels(call).list(call.session.instance_id, call.params.role)
    return [channel_object(c) for c in found]


@router.wawp(
    "/channels", CreateParams, methods=["POST"], summary="Create channel", errors=[*ERRORS, 413]
)
async def create_channel(call: Call[CreateParams]) -> dict[str, Any]:
    p = call.params
    services = call.services
    jpeg = None
    if p.picture is not None:
        await services.messaging.require_working(call.session.instance_id)
        jpeg = await services.media.profile_picture(p.picture.source(), route="channels")
    channel = await _channels(call).create(call.session.instance_id, p.name, p.description, jpeg)
    return channel_object(channel)


async def _search(call: Call[SearchParams], *, by_text: bool) -> dict[str, Any]:
    p = call.params
    if by_text and not p.text:
        raise MissingParamError("text")
    found = await _channels(call).search(
        call.session.instance_id,
        view=p.view,
        text=p.text,
        countries=[c.upper() for c in p.countries],
        categories=[c.upper() for c in p.categories],
        limit=p.limit,
        cursor=p.startCursor,
    )
    return {
        "channels": [channel_object(c) for c in found.channels],
        "page": {
            "startCursor": p.startCursor,
            "endCursor": found.next_cursor,
            "hasNextPage": found.next_cursor is not None,
        },
    }


@router.wawp(
    "/channels/search", SearchParams, methods=["GET"], summary="Search channels", errors=ERRORS
)
async def search(call: Call[SearchParams]) -> dict[str, Any]:
    """WhatsApp's channel directory: by `view`, or by `text` when given."""
    return await _search(call, by_text=False)


@router.wawp(
    "/channels/search/by-view",
    SearchParams,
    methods=["POST"],
    summary="Search by view",
    errors=ERRORS,
)
async def search_by_view(call: Call[SearchParams]) -> dict[str, Any]:
    return await _search(call, by_text=False)


@router.wawp(
    "/channels/search/by-text",
    SearchParams,
    methods=["POST"],
    summary="Search by text",
    errors=ERRORS,
)
async def search_by_text(call: Call[SearchParams]) -> dict[str, Any]:
    return await _search(call, by_text=True)


@router.wawp("/channels/search/views", InstanceParams, methods=["GET"], summary="Search views")
async def views(call: Call[InstanceParams]) -> list[dict[str, str]]:
    return [{"value": view, "name": view.title()} for view in VIEWS]


@router.wawp(
    "/channels/search/countries", InstanceParams, methods=["GET"], summary="Search countries"
)
async def countries(call: Call[InstanceParams]) -> list[dict[str, str]]:
    return [{"code": code, "name": name} for code, name in COUNTRIES]


@router.wawp(
    "/channels/search/categories", InstanceParams, methods=["GET"], summary="Search categories"
)
async def categories(call: Call[InstanceParams]) -> list[dict[str, str]]:
    return [{"value": value, "name": name} for value, name in CATEGORIES]


@router.wawp(
    "/channels/{id}", ChannelParams, methods=["GET"], summary="Get channel", errors=[404, *ERRORS]
)
async def get_channel(call: Call[ChannelParams]) -> dict[str, Any]:
    """A channel by its id or invite code."""
    return channel_object(await _channels(call).get(call.session.instance_id, call.params.id))


@router.wawp(
    "/channels/{id}", IdParams, methods=["DELETE"], summary="Delete channel", errors=[404, *ERRORS]
)
async def delete_channel(call: Call[IdParams]) -> dict[str, Any]:
    await _channels(call).delete(call.session.instance_id, call.params.id)
    return SUCCESS


@router.wawp(
    "/channels/{id}/messages/preview",
    PreviewParams,
    methods=["GET"],
    summary="Preview channel messages",
    errors=[404, *ERRORS],
)
async def preview(call: Call[PreviewParams]) -> list[dict[str, Any]]:
    """The newest posts, newest first, without following the channel."""
    p = call.params
    channel = await _channels(call).get(call.session.instance_id, p.id)
    return await _channels(call).preview(call.session.instance_id, channel.id, p.limit)


def _toggle(path: str, summary: str, follow: bool | None, mute: bool | None) -> None:
    async def toggle(call: Call[IdParams]) -> dict[str, Any]:
        channels, instance_id, channel_id = (
            _channels(call),
            call.session.instance_id,
            call.params.id,
        )
        if follow is not None:
            await channels.follow(instance_id, channel_id, follow)
        if mute is not None:
            await channels.mute(instance_id, channel_id, mute)
        return SUCCESS

    toggle.__name__ = f"{path}_channel"
    router.wawp(
        f"/channels/{{id}}/{path}",
        IdParams,
        methods=["POST"],
        summary=summary,
        errors=[404, *ERRORS],
    )(toggle)


for _path, _summary, _follow, _mute in (
    ("follow", "Follow channel", True, None),
    ("unfollow", "Unfollow channel", False, None),
    ("mute", "Mute channel", None, True),
    ("unmute", "Unmute channel", None, False),
):
    _toggle(_path, _summary, _follow, _mute)
