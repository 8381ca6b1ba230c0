"""The groups of :class:`~wagate.engines.whatsmeow.fake.FakeNeonizeClient`: neonize's
group methods, with its signatures, protos and exceptions, over groups kept in memory.

Script:

* at link time the account is already in ``recorded.GROUP`` ("Shop team", announce
  only, the contact its only admin; invite code :data:`FAKE_GROUP_INVITE`);
* ``create_group`` makes the account the super-admin of a new ``120363…@g.us`` group;
* WhatsApp's rules, as far as a test notices them: only admins change participants,
  settings and invite links, and the subject, description and picture once the group
  is locked; a description change must name the current description id
  (``previous_id``, else 409); an empty picture is refused;
* participants: numbers ending in ``0000`` cannot be added (``Error=403``, privacy, with
  an add request), members are not added twice (409), non-members not removed,
  promoted or demoted (404);
* invite links are ``https://chat.whatsapp.com/<code>``; a revoked code stops working.

Errors carry whatsmeow's texts (``that group does not exist``,
``you're not participating in that group``, IQ errors as ``info query returned …``).
"""

from __future__ import annotations

import asyncio
import secrets
import string
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wagate.engines.whatsmeow import recorded
from wagate.engines.whatsmeow.protos import quiet_neonize_import

with quiet_neonize_import():
    from neonize.exc import (
        CreateGroupError,
        GetGroupInfoError,
        GetGroupInviteLinkError,
        InviteLinkError,
        LeaveGroupError,
        SetGroupAnnounceError,
        SetGroupLockedError,
        SetGroupNameError,
        SetGroupPhotoError,
        SetGroupTopicError,
        UpdateGroupParticipantsError,
    )
    from neonize.proto import Neonize_pb2 as N

INVITE_LINK_PREFIX = "https://chat.whatsapp.com/"
FAKE_GROUP_INVITE = "FakeShopTeamInvite0001"
NOT_FOUND = "that group does not exist"
NOT_IN_GROUP = "you're not participating in that group"
FORBIDDEN = "info query returned status 403: forbidden"
LINK_UNAUTHORIZED = "you don't have the permission to get the group's invite link"
LINK_INVALID = "that group invite link is not valid"
LINK_REVOKED = "that group invite link has been revoked"
STALE_TOPIC = "info query returned status 409: conflict"
BAD_PICTURE = "the given data is not a valid image"
_CODE_ALPHABET = string.ascii_letters + string.digits


class FakeGroups:
    """Mixed into ``FakeNeonizeClient``, which calls :meth:`_init_groups` and, when an
    account links, :meth:`_seed_groups`."""

    if TYPE_CHECKING:
        me: Any

        def _check(self, op: str, *args: Any) -> None: ...

        def _own_user(self) -> str: ...

    def _init_groups(self) -> None:
        self.groups: dict[str, Any] = {}  # group user → GroupInfo, every group the fake knows
        self.invite_codes: dict[str, str] = {}  # group user → its invite code
        self.revoked_codes: set[str] = set()
        self.group_photos: dict[str, bytes] = {}
        self._group_counter = 0

    def _seed_groups(self, phone: str, lid: str) -> None:
        if recorded.GROUP not in self.groups:
            self.groups[recorded.GROUP] = recorded.group(me=phone, me_lid=lid)
            self.invite_codes[recorded.GROUP] = FAKE_GROUP_INVITE

    # --- who and where ---------------------------------------------------------------

    def _own_jids(self) -> tuple[Any, Any]:
        lid = self.me.LID.User if self.me is not None and self.me.LID.User else recorded.ME_LID
        return recorded.jid(self._own_user()), recorded.jid(lid, "lid")

    @staticmethod
    def _index(info: Any, member: Any) -> int | None:
        """Where ``member`` (a phone or lid JID) is among the group's participants."""
        for i, p in enumerate(info.Participants):
            ids = {(j.User, j.Server) for j in (p.JID, p.LID, p.PhoneNumber) if j.User}
            if (member.User, member.Server) in ids:
                return i
        return None

    def _mine(self, info: Any) -> int | None:
        """Where we are among the group's participants; ``None`` when not in it."""
        for own in self._own_jids():
            i = self._index(info, own)
            if i is not None:
                return i
        return None

    def _joined(self, jid: Any, error: type[Exception]) -> tuple[Any, Any]:
        """A group we are in and our entry in it, else ``error`` with whatsmeow's text."""
        info = self.groups.get(jid.User) if jid.Server == "g.us" else None
        if info is None:
            raise error(NOT_FOUND)
        i = self._mine(info)
        if i is None:
            raise error(NOT_IN_GROUP)
        return info, info.Participants[i]

    def _admin_of(self, jid: Any, error: type[Exception], *, unless_open: bool = False) -> Any:
        """A group we administer (or, with ``unless_open``, one that is not locked)."""
        info, mine = self._joined(jid, error)
        if not (mine.IsAdmin or (unless_open and not info.GroupLocked.isLocked)):
            raise error(FORBIDDEN)
        return info

    def _by_code(self, code: str, error: type[Exception]) -> Any:
        code = code.removeprefix(INVITE_LINK_PREFIX)  # as whatsmeow
        if code in self.revoked_codes:
            raise error(LINK_REVOKED)
        for user, known in self.invite_codes.items():
            if known == code:
                return self.groups[user]
        raise error(LINK_INVALID)

    # --- neonize's group methods ---------------------------------------------------------

    async def get_joined_groups(self) -> list[Any]:
        self._check("get_joined_groups")
        return [info for info in self.groups.values() if self._mine(info) is not None]

    async def get_group_info(self, jid: Any) -> Any:
        self._check("get_group_info", jid)
        return self._joined(jid, GetGroupInfoError)[0]

    async def create_group(
        self,
        name: str,
        participants: list[Any] = [],  # noqa: B006 - neonize's signature
        linked_parent: Any = None,
        group_parent: Any = None,
    ) -> Any:
        """As WhatsApp answers: everyone asked, those it could not add with an ``Error``."""
        self._check("create_group", name, participants, linked_parent, group_parent)
        if not name:
            raise CreateGroupError("info query returned status 400: bad-request")
        self._group_counter += 1
        user = f"120363100000{self._group_counter:06d}"
        phone, lid = self._own_jids()
        info = recorded.group(name, me=phone.User, me_lid=lid.User)
        info.JID.User = user
        info.OwnerJID.CopyFrom(lid)
        info.OwnerPN.CopyFrom(phone)
        info.GroupName.NameSetBy.CopyFrom(phone)
        topic = N.GroupTopic(Topic="", TopicID="", TopicSetAt=0, TopicDeleted=False)
        topic.TopicSetBy.CopyFrom(recorded.empty_jid())
        info.GroupTopic.CopyFrom(topic)
        info.GroupAnnounce.IsAnnounce = False
        info.GroupCreated = int(time.time())
        del info.Participants[:]
        own = recorded.group_participant(phone, superadmin=True)
        own.LID.CopyFrom(lid)
        answered = [own, *(self._added(p) for p in participants)]
        self.groups[user] = N.GroupInfo()
        self.groups[user].CopyFrom(info)
        self.groups[user].Participants.extend(p for p in answered if not p.Error)
        info.Participants.extend(answered)
        return info

    @staticmethod
    def _added(member: Any) -> Any:
        if not member.User.endswith("0000"):
            return recorded.group_participant(member)
        refused = recorded.group_participant(member, error=403)
        refused.AddRequest.CopyFrom(
            N.GroupParticipantAddRequest(Code="FakeAddRequest", Expiration=time.time() + 86400)
        )
        return refused

    async def get_group_info_from_link(self, code: str) -> Any:
        self._check("get_group_info_from_link", code)
        return self._by_code(code, GetGroupInfoError)

    async def join_group_with_link(self, code: str) -> Any:
        self._check("join_group_with_link", code)
        info = self._by_code(code, InviteLinkError)
        if self._mine(info) is None:
            phone, lid = self._own_jids()
            own = recorded.group_participant(phone)
            own.LID.CopyFrom(lid)
            info.Participants.append(own)
        return info.JID

    async def leave_group(self, jid: Any) -> None:
        self._check("leave_group", jid)
        if jid.User not in self.groups:
            raise LeaveGroupError("info query returned status 404: item-not-found")
        info = self.groups[jid.User]
        i = self._mine(info)
        if i is None:
            raise LeaveGroupError(FORBIDDEN)
        del info.Participants[i]

    async def set_group_name(self, jid: Any, name: str) -> None:
        self._check("set_group_name", jid, name)
        info = self._admin_of(jid, SetGroupNameError, unless_open=True)
        info.GroupName.Name = name
        info.GroupName.NameSetAt = int(time.time())

    async def set_group_topic(self, jid: Any, previous_id: str, new_id: str, topic: str) -> None:
        """As whatsmeow: empty ids are the current one and a generated one; an empty
        topic deletes the description."""
        self._check("set_group_topic", jid, previous_id, new_id, topic)
        info = self._admin_of(jid, SetGroupTopicError, unless_open=True)
        current = info.GroupTopic.TopicID
        if (previous_id or current) != current:
            raise SetGroupTopicError(STALE_TOPIC)
        info.GroupTopic.Topic = topic
        info.GroupTopic.TopicID = new_id or f"3EB0{secrets.token_hex(9).upper()}"
        info.GroupTopic.TopicSetAt = int(time.time())
        info.GroupTopic.TopicSetBy.CopyFrom(self._own_jids()[0])
        info.GroupTopic.TopicDeleted = not topic

    async def set_group_photo(self, jid: Any, file_or_bytes: str | bytes) -> str:
        self._check("set_group_photo", jid, file_or_bytes)
        self._admin_of(jid, SetGroupPhotoError, unless_open=True)
        data = file_or_bytes
        if isinstance(data, str):
            data = await asyncio.to_thread(Path(data).read_bytes)
        if not data:  # neonize's empty picture: WhatsApp answers 406, not a removal
            raise SetGroupPhotoError(BAD_PICTURE)
        self.group_photos[jid.User] = data
        return str(int(time.time()))

    async def set_group_announce(self, jid: Any, announce: bool) -> None:
        self._check("set_group_announce", jid, announce)
        self._admin_of(jid, SetGroupAnnounceError).GroupAnnounce.IsAnnounce = announce

    async def set_group_locked(self, jid: Any, locked: bool) -> None:
        self._check("set_group_locked", jid, locked)
        self._admin_of(jid, SetGroupLockedError).GroupLocked.isLocked = locked

    async def get_group_invite_link(self, jid: Any, revoke: bool = False) -> str:
        self._check("get_group_invite_link", jid, revoke)
        _, mine = self._joined(jid, GetGroupInviteLinkError)
        if not mine.IsAdmin:
            raise GetGroupInviteLinkError(LINK_UNAUTHORIZED)
        code = self.invite_codes.get(jid.User)
        if revoke or code is None:
            if code is not None:
                self.revoked_codes.add(code)
            code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(22))
            self.invite_codes[jid.User] = code
        return INVITE_LINK_PREFIX + code

    async def update_group_participants(
        self, jid: Any, participants_changes: list[Any], action: Any
    ) -> list[Any]:
        """One answer per person, in order, each with WhatsApp's code in ``Error``."""
        self._check("update_group_participants", jid, participants_changes, action)
        info = self._admin_of(jid, UpdateGroupParticipantsError)
        return [self._change(info, member, str(action.value)) for member in participants_changes]

    def _change(self, info: Any, member: Any, action: str) -> Any:
        i = self._index(info, member)
        if action == "add":
            if i is not None:
                return recorded.group_participant(member, error=409)
            answer = self._added(member)
            if not answer.Error:
                info.Participants.append(answer)
            return answer
        if i is None:
            return recorded.group_participant(member, error=404)
        if action == "remove":
            del info.Participants[i]
            return recorded.group_participant(member)
        promote = action == "promote"
        info.Participants[i].IsAdmin = promote
        info.Participants[i].IsSuperAdmin = False
        return recorded.group_participant(member, admin=promote)
