"""Groups, through the engine (the session must be WORKING): what WhatsApp says of them,
and changes to them. What happens in a group reaches webhooks as ``group.v2.*`` events."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from wagate.domain.groups import (
    GroupInfo,
    GroupParticipant,
    GroupSetting,
    ParticipantAction,
    ParticipantResult,
)
from wagate.errors import InvalidParamError
from wagate.services.sessions import SessionService

MAX_SUBJECT_LENGTH = 100  # WhatsApp's limits
MAX_DESCRIPTION_LENGTH = 2048
MAX_PARTICIPANTS = 1024
INVITE_PREFIX = "https://chat.whatsapp.com/"


class GroupService:
    def __init__(self, sessions: SessionService) -> None:
        self._sessions = sessions

    async def list(
        self, instance_id: str, *, limit: int, offset: int, sort_by: str, descending: bool
    ) -> builtins.list[GroupInfo]:
        _, engine = await self._sessions.working_engine_session(instance_id)
        found = await engine.groups()
        if sort_by == "subject":
            found.sort(key=lambda g: (g.subject.casefold(), g.id), reverse=descending)
        elif sort_by == "creation":
            found.sort(key=lambda g: (g.created, g.id), reverse=descending)
        else:
            found.sort(key=lambda g: g.id, reverse=descending)
        return found[offset : offset + limit]

    async def count(self, instance_id: str) -> int:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return len(await engine.groups())

    async def get(self, instance_id: str, group_id: str) -> GroupInfo:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.group(group_id)

    async def create(
        self, instance_id: str, subject: str, participants: Sequence[str]
    ) -> GroupInfo:
        _check_subject(subject, "name")
        if len(participants) > MAX_PARTICIPANTS:
            raise InvalidParamError(
                f"Invalid parameter participants: more than {MAX_PARTICIPANTS}",
                param="participants",
            )
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.create_group(subject, participants)

    async def invite_info(self, instance_id: str, code: str) -> GroupInfo:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.group_invite_info(invite_code(code))

    async def join(self, instance_id: str, code: str) -> str:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.join_group(invite_code(code))

    async def leave(self, instance_id: str, group_id: str) -> None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.leave_group(group_id)

    async def delete(self, instance_id: str, group_id: str) -> builtins.list[ParticipantResult]:
        """What an admin does to end a group (WhatsApp has no "delete for everyone"):
        remove every other member, then leave."""
        session, engine = await self._sessions.working_engine_session(instance_id)
        group = await engine.group(group_id)
        me = session.me
        ours = {me.id, me.lid} if me is not None else set()
        others = [p.id for p in group.participants if p.id not in ours and p.lid not in ours]
        removed = (
            await engine.change_participants(group_id, ParticipantAction.REMOVE, others)
            if others
            else []
        )
        await engine.leave_group(group_id)
        return removed

    async def set_subject(self, instance_id: str, group_id: str, subject: str) -> None:
        _check_subject(subject)
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.set_group_subject(group_id, subject)

    async def set_description(self, instance_id: str, group_id: str, description: str) -> None:
        if len(description) > MAX_DESCRIPTION_LENGTH:
            raise InvalidParamError(
                f"Invalid parameter description: longer than {MAX_DESCRIPTION_LENGTH} characters",
                param="description",
            )
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.set_group_description(group_id, description)

    async def picture(self, instance_id: str, group_id: str) -> str | None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.chat_picture(group_id)

    async def set_picture(self, instance_id: str, group_id: str, jpeg: bytes | None) -> None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.set_group_picture(group_id, jpeg)

    async def setting(self, instance_id: str, group_id: str, setting: GroupSetting) -> bool:
        group = await self.get(instance_id, group_id)
        return group.announce if setting is GroupSetting.ANNOUNCE else group.locked

    async def set_setting(
        self, instance_id: str, group_id: str, setting: GroupSetting, on: bool
    ) -> None:
        _, engine = await self._sessions.working_engine_session(instance_id)
        await engine.set_group_setting(group_id, setting, on)

    async def invite(self, instance_id: str, group_id: str, *, revoke: bool = False) -> str:
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.group_invite_code(group_id, revoke=revoke)

    async def participants(
        self, instance_id: str, group_id: str
    ) -> builtins.list[GroupParticipant]:
        return list((await self.get(instance_id, group_id)).participants)

    async def change(
        self,
        instance_id: str,
        group_id: str,
        action: ParticipantAction,
        participants: Sequence[str],
    ) -> builtins.list[ParticipantResult]:
        if not participants:
            raise InvalidParamError(
                "Invalid parameter participants: name at least one", param="participants"
            )
        _, engine = await self._sessions.working_engine_session(instance_id)
        return await engine.change_participants(group_id, action, participants)


def invite_code(code: str) -> str:
    """The code of an invite code or link (``https://chat.whatsapp.com/<code>``)."""
    text = code.strip().removeprefix(INVITE_PREFIX).strip("/")
    if not text or not text.isalnum():
        raise InvalidParamError(
            "Invalid parameter code: an invite code or a https://chat.whatsapp.com/ link",
            param="code",
        )
    return text


def _check_subject(subject: str, param: str = "subject") -> None:
    if not subject.strip():
        raise InvalidParamError(f"Invalid parameter {param}: it is empty", param=param)
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise InvalidParamError(
            f"Invalid parameter {param}: longer than {MAX_SUBJECT_LENGTH} characters",
            param=param,
        )
