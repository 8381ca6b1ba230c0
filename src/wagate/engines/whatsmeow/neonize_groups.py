"""The group operations of :class:`~wagate.engines.whatsmeow.neonize_backend.NeonizeBackend`,
as a mixin over neonize 0.5.2's async client (whatsmeow's ``group.go`` underneath).

What whatsmeow and neonize do here, and what that means for wagate:

* invite codes travel bare: whatsmeow strips ``https://chat.whatsapp.com/`` itself and
  answers invite links with that prefix, so :func:`invite_code` is the one place a code
  or link becomes a code;
* ``SetGroupTopic`` needs the current topic id (WhatsApp refuses a stale one); it is read
  from the group's info, and the new id is made here as whatsmeow makes message ids;
  an empty description deletes it;
* neonize hands ``SetGroupPhoto`` an empty picture where whatsmeow removes only on none,
  so a group picture cannot be removed (as with the profile picture);
* a participants change answers per person, with WhatsApp's code in ``Error`` (0 done).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any

from wagate.domain.groups import GroupInfo, GroupSetting, ParticipantAction, ParticipantResult
from wagate.engines.whatsmeow import protos as pb
from wagate.engines.whatsmeow.convert import group_info
from wagate.engines.whatsmeow.protos import quiet_neonize_import
from wagate.errors import InvalidParamError, NotFoundError, NotSupportedError, UpstreamError

if TYPE_CHECKING:
    from wagate.domain.models import Me

with quiet_neonize_import():
    from neonize.utils.enum import ParticipantChange

log = logging.getLogger(__name__)

INVITE_LINK_PREFIX = "https://chat.whatsapp.com/"
GROUP_PICTURE_REMOVAL_UNSUPPORTED = (
    "neonize 0.5.2 cannot remove a group picture: it hands whatsmeow an empty "
    "picture where whatsmeow removes only on none"
)
# whatsmeow's ErrGroupNotFound / ErrNotInGroup (IQ 404 / 403 on a group info query).
NOT_IN_GROUP_MARKERS = (
    "that group does not exist",
    "not participating in that group",
    "status 404",
    "status 403",
)
# whatsmeow's ErrInviteLinkRevoked / ErrInviteLinkInvalid (IQ 410 / 406).
INVITE_GONE_MARKERS = ("invite link has been revoked", "invite link is not valid")
# The status of someone WhatsApp's answer to a participants change does not name.
UNANSWERED = 500

_GROUP_ID = re.compile(r"[0-9]+(-[0-9]+)?@g\.us")  # new ids, and old "<phone>-<time>" ones
_MEMBER_ID = re.compile(r"[0-9]+(@(c\.us|s\.whatsapp\.net|lid))?")
_INVITE_CODE = re.compile(r"[A-Za-z0-9_-]+")
_INVITE_PREFIXES = ("https://", "http://", "chat.whatsapp.com/", "invite/")
_CHANGES = {
    ParticipantAction.ADD: ParticipantChange.ADD,
    ParticipantAction.REMOVE: ParticipantChange.REMOVE,
    ParticipantAction.PROMOTE: ParticipantChange.PROMOTE,
    ParticipantAction.DEMOTE: ParticipantChange.DEMOTE,
}


def group_jid(group_id: str) -> Any:
    """A wagate group id (``<digits>@g.us``) → its JID proto; anything else is refused."""
    if not _GROUP_ID.fullmatch(group_id):
        raise InvalidParamError("A group id is <digits>@g.us", group_id=group_id)
    return pb.chat_id_to_jid(group_id)


def member_jid(chat_id: str) -> Any:
    """A person's chat id (``<phone>@c.us``, ``<lid>@lid`` or bare digits) → a JID proto."""
    if not _MEMBER_ID.fullmatch(chat_id):
        raise InvalidParamError("A participant is a person's chat id", participant=chat_id)
    return pb.chat_id_to_jid(chat_id)


def invite_code(code_or_link: str) -> str:
    """The bare code of an invite code or a ``https://chat.whatsapp.com/<code>`` link."""
    code = pb.link_code(code_or_link, _INVITE_PREFIXES)
    if not _INVITE_CODE.fullmatch(code):
        raise InvalidParamError("Not a group invite code or link", code=code_or_link)
    return code


def topic_id() -> str:
    """A new description id, made as whatsmeow's ``GenerateMessageID`` makes ids."""
    return "3EB0" + secrets.token_hex(9).upper()


def participant_results(asked: Sequence[str], answered: Sequence[Any]) -> list[ParticipantResult]:
    """One result per person asked, matched to WhatsApp's answer by any of their ids
    (it may answer a phone number with its ``@lid``, naming the phone beside it)."""
    status: dict[str, int] = {}
    for participant in answered:
        for jid in (participant.JID, participant.PhoneNumber, participant.LID):
            if chat_id := pb.jid_to_chat_id(jid):  # "" for an empty or unset JID
                status.setdefault(chat_id, int(participant.Error) or 200)
    results = []
    for chat_id in asked:
        own = pb.jid_to_chat_id(pb.chat_id_to_jid(chat_id))
        results.append(ParticipantResult(id=own, status=status.get(own, UNANSWERED)))
    return results


def without_failed(info: Any) -> Any:
    """A created group's info without the people WhatsApp did not add (an ``Error`` code)."""
    failed = [p for p in info.Participants if p.Error]
    if not failed:
        return info
    log.info(
        "group %s created without %s",
        pb.jid_to_chat_id(info.JID),
        ", ".join(f"{pb.jid_to_chat_id(p.JID)} ({p.Error})" for p in failed),
    )
    kept = [p for p in info.Participants if not p.Error]
    created = type(info)()
    created.CopyFrom(info)
    del created.Participants[:]
    created.Participants.extend(kept)
    return created


class GroupOps:
    """Groups for a backend that has a neonize client; mixed into ``NeonizeBackend``."""

    # What the backend provides (NeonizeBackend), declared for the type checker.
    _client: Any

    if TYPE_CHECKING:

        def _require_me(self) -> Me: ...

        @staticmethod
        async def _upstream(what: str, awaitable: Awaitable[Any]) -> Any: ...

        @staticmethod
        async def _unless_hidden(
            what: str, awaitable: Awaitable[Any], markers: Sequence[str]
        ) -> Any: ...

    async def _group_proto(self, jid: Any, what: str) -> Any:
        """whatsmeow's info of a group we are in; ``NotFoundError`` when we are not."""
        info = await self._unless_hidden(
            what, self._client.get_group_info(jid), NOT_IN_GROUP_MARKERS
        )
        if info is None:
            raise NotFoundError("The account is not in that group", group_id=pb.jid_to_chat_id(jid))
        return info

    async def _by_invite(self, what: str, awaitable: Awaitable[Any], code: str) -> Any:
        """An invite call; a revoked or unknown code is ``NotFoundError``."""
        found = await self._unless_hidden(what, awaitable, INVITE_GONE_MARKERS)
        if found is None:
            raise NotFoundError("The invite link has been revoked or is not valid", code=code)
        return found

    async def groups(self) -> list[GroupInfo]:
        self._require_me()
        found = await self._upstream("Reading the groups", self._client.get_joined_groups())
        return [group_info(info) for info in found]

    async def group(self, group_id: str) -> GroupInfo:
        self._require_me()
        return group_info(await self._group_proto(group_jid(group_id), "Reading the group"))

    async def create_group(self, subject: str, participants: Sequence[str]) -> GroupInfo:
        self._require_me()
        if not subject.strip():
            raise InvalidParamError("A group needs a subject")
        jids = [member_jid(p) for p in participants]
        info = await self._upstream("Creating the group", self._client.create_group(subject, jids))
        return group_info(without_failed(info))

    async def group_invite_info(self, code: str) -> GroupInfo:
        self._require_me()
        bare = invite_code(code)
        info = await self._by_invite(
            "Reading the invite", self._client.get_group_info_from_link(bare), bare
        )
        return group_info(info)

    async def join_group(self, code: str) -> str:
        self._require_me()
        bare = invite_code(code)
        jid = await self._by_invite(
            "Joining the group", self._client.join_group_with_link(bare), bare
        )
        group_id = pb.jid_to_chat_id(jid)
        if not group_id:
            raise UpstreamError("Joining the group failed: WhatsApp named no group")
        return group_id

    async def leave_group(self, group_id: str) -> None:
        self._require_me()
        await self._upstream("Leaving the group", self._client.leave_group(group_jid(group_id)))

    async def set_group_subject(self, group_id: str, subject: str) -> None:
        self._require_me()
        jid = group_jid(group_id)
        if not subject.strip():
            raise InvalidParamError("A group needs a subject")
        await self._upstream("Renaming the group", self._client.set_group_name(jid, subject))

    async def set_group_description(self, group_id: str, description: str) -> None:
        self._require_me()
        jid = group_jid(group_id)
        what = "Changing the group description"
        current = await self._group_proto(jid, what)
        previous = str(current.GroupTopic.TopicID)
        await self._upstream(
            what, self._client.set_group_topic(jid, previous, topic_id(), description)
        )

    async def set_group_picture(self, group_id: str, jpeg: bytes | None) -> None:
        self._require_me()
        jid = group_jid(group_id)
        if jpeg is None:
            raise NotSupportedError(GROUP_PICTURE_REMOVAL_UNSUPPORTED)
        if not jpeg:
            raise InvalidParamError("The picture is empty")
        await self._upstream(
            "Setting the group picture", self._client.set_group_photo(jid, bytes(jpeg))
        )

    async def set_group_setting(self, group_id: str, setting: GroupSetting, on: bool) -> None:
        self._require_me()
        jid = group_jid(group_id)
        match setting:
            case GroupSetting.ANNOUNCE:
                call = self._client.set_group_announce(jid, on)
            case GroupSetting.LOCKED:
                call = self._client.set_group_locked(jid, on)
            case _:
                raise InvalidParamError("Unknown group setting", setting=str(setting))
        await self._upstream("Changing the group setting", call)

    async def group_invite_code(self, group_id: str, *, revoke: bool = False) -> str:
        self._require_me()
        link = await self._upstream(
            "Revoking the invite link" if revoke else "Reading the invite link",
            self._client.get_group_invite_link(group_jid(group_id), revoke),
        )
        return invite_code(str(link))

    async def change_participants(
        self, group_id: str, action: ParticipantAction, participants: Sequence[str]
    ) -> list[ParticipantResult]:
        self._require_me()
        jid = group_jid(group_id)
        change = _CHANGES.get(action)
        if change is None:
            raise InvalidParamError("Unknown participants action", action=str(action))
        if not participants:
            raise InvalidParamError("Name at least one participant")
        jids = [member_jid(p) for p in participants]
        answered = await self._upstream(
            "Changing the participants",
            self._client.update_group_participants(jid, jids, change),
        )
        return participant_results(participants, answered)
