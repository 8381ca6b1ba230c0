"""The group operations of a sandbox session, and how what is said in a group reaches
its members.

Changes apply to the network's :class:`~wagate.engines.sandbox.groups.Groups` at once;
the events that tell them go to every member's linked sessions (ours included, so that
every chat learns the group), queued on this session's delivery after what was queued
before, and kept for offline sessions like messages are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Any

from wagate.domain.events import (
    AckChanged,
    EngineEvent,
    GroupParticipantsChanged,
    GroupUpdated,
    MessageSeen,
)
from wagate.domain.groups import GroupInfo, GroupSetting, ParticipantAction, ParticipantResult
from wagate.domain.messages import Ack, Message, MessageKey
from wagate.engines.sandbox.groups import (
    ABSENT,
    DONE,
    NOT_A_MEMBER,
    SandboxGroup,
    check_description,
    check_subject,
)
from wagate.engines.sandbox.network import VirtualPhone, lid_for_phone
from wagate.engines.sandbox.util import JPEG_MAGIC, SessionParts, _now
from wagate.errors import InvalidParamError

NOT_A_MEMBER_ID = "A group member is a person: <phone>@c.us or a known <lid>@lid"
NOT_A_GROUP_JPEG = "A group picture is a JPEG"


class SandboxGroupOperations(SessionParts):
    """Groups as WhatsApp runs them, for :class:`SandboxSession` (which provides the
    network, the account and the ordered delivery).

    Only members see a group (``NotFoundError`` for others and for unknown ids); what
    WhatsApp refuses (a non-admin's change, one that LOCKED or ANNOUNCE forbids) is
    ``InvalidParamError``.
    """

    # --- reading --------------------------------------------------------------------

    async def groups(self) -> list[GroupInfo]:
        """The groups the account is in, oldest first."""
        own = self._own_phone()
        return [g.info(lid_for_phone) for g in self._network.groups.of(own.phone)]

    async def group(self, group_id: str) -> GroupInfo:
        own = self._own_phone()
        return self._network.groups.member_group(group_id, own.phone).info(lid_for_phone)

    async def group_invite_info(self, code: str) -> GroupInfo:
        """The group of a valid invite code or link, members or not (``NotFoundError``
        for an unknown or reset code)."""
        self._own_phone()
        return self._network.groups.by_code(code).info(lid_for_phone)

    async def group_invite_code(self, group_id: str, *, revoke: bool = False) -> str:
        """The invite code (admins only); ``revoke`` resets it and tells the admins'
        sessions (``inviteLink``): only they may see it."""
        own, group = self._member_group(group_id)
        group.check_admin(own.phone, "see or reset the invite link")
        if revoke:
            self._network.groups.reset_code(group)
            self._updated(own, group, {"inviteLink": group.invite_link}, group.admins())
        return group.invite_code

    # --- membership -----------------------------------------------------------------

    async def create_group(self, subject: str, participants: Sequence[str]) -> GroupInfo:
        """A new group: we are its super-admin, the people with WhatsApp its members
        (numbers without are left out). Everyone's sessions get ``join`` with the group."""
        own = self._own_phone()
        subject = check_subject(subject)
        network = self._network
        people = [p for p in self._people(participants) if network.has_whatsapp(p)]
        group = network.groups.create(own.phone, subject, people, _now())
        self._joined(own, group, list(group.members), by=own.chat_id)
        return group.info(lid_for_phone)

    async def join_group(self, code: str) -> str:
        """Join with an invite code or link (a member already: nothing changes)."""
        own = self._own_phone()
        group = self._network.groups.by_code(code)
        if group.add(own.phone) == DONE:
            self._joined(own, group, [own.phone], by=None)
        return group.id

    async def leave_group(self, group_id: str) -> None:
        """Leave (the super-admin too); the last admin leaving makes the longest-standing
        member an admin, as WhatsApp does."""
        own, group = self._member_group(group_id)
        audience = list(group.members)
        heir = group.leave(own.phone)
        self._changed(own, group, "leave", [own.phone], audience, by=None)
        if heir is not None:
            self._changed(own, group, "promote", [heir], list(group.members), by=None)

    async def change_participants(
        self, group_id: str, action: ParticipantAction, participants: Sequence[str]
    ) -> list[ParticipantResult]:
        """Admins add, remove, promote or demote people: 200 done, 409 already a member,
        404 not a member (or, to add, not on WhatsApp), 403 the super-admin."""
        own, group = self._member_group(group_id)
        action = ParticipantAction(action)
        group.check_admin(own.phone, f"{action.value} members")
        phones = self._people(participants)
        before = dict(group.members)
        results: list[ParticipantResult] = []
        changed: list[str] = []
        for chat_id, phone in zip(participants, phones, strict=True):
            status = self._apply(group, action, phone)
            results.append(ParticipantResult(id=chat_id, status=status))
            if status == DONE and before.get(phone) != group.members.get(phone):
                changed.append(phone)
        if not changed:
            return results
        if action is ParticipantAction.ADD:
            self._joined(own, group, changed, by=own.chat_id)
        elif action is ParticipantAction.REMOVE:
            self._changed(own, group, "leave", changed, list(before), by=own.chat_id)
        else:
            self._changed(own, group, action.value, changed, list(group.members), by=own.chat_id)
        heir = group.ensure_admin(giving_up=own.phone)  # the last admin stepped down
        if heir is not None:
            self._changed(own, group, "promote", [heir], list(group.members), by=None)
        return results

    def _apply(self, group: SandboxGroup, action: ParticipantAction, phone: str) -> int:
        if action is ParticipantAction.ADD:
            return group.add(phone) if self._network.has_whatsapp(phone) else ABSENT
        if action is ParticipantAction.REMOVE:
            return group.remove(phone)
        return group.set_admin(phone, action is ParticipantAction.PROMOTE)

    # --- info and settings ----------------------------------------------------------

    async def set_group_subject(self, group_id: str, subject: str) -> None:
        own, group = self._member_group(group_id)
        group.check_edit(own.phone)
        subject = check_subject(subject)
        if subject != group.subject:
            group.subject = subject
            self._updated(own, group, {"subject": subject})

    async def set_group_description(self, group_id: str, description: str) -> None:
        own, group = self._member_group(group_id)
        group.check_edit(own.phone)
        description = check_description(description)
        if description != group.description:
            group.description = description
            self._updated(own, group, {"description": description})

    async def set_group_picture(self, group_id: str, jpeg: bytes | None) -> None:
        """Set (a JPEG) or remove the picture; members learn it with ``GroupUpdated``
        ``{"picture": <whether the group has one now>}`` and read it with
        :meth:`chat_picture`."""
        own, group = self._member_group(group_id)
        group.check_edit(own.phone)
        if jpeg is not None and not jpeg.startswith(JPEG_MAGIC):
            raise InvalidParamError(NOT_A_GROUP_JPEG, group_id=group_id)
        if jpeg != group.picture:
            group.picture = jpeg
            self._updated(own, group, {"picture": jpeg is not None})

    async def set_group_setting(self, group_id: str, setting: GroupSetting, on: bool) -> None:
        """Admins only; told as ``announce`` (ANNOUNCE) or ``restrict`` (LOCKED)."""
        own, group = self._member_group(group_id)
        group.check_admin(own.phone, "change its settings")
        if setting is GroupSetting.ANNOUNCE and group.announce != on:
            group.announce = on
            self._updated(own, group, {"announce": on})
        elif setting is GroupSetting.LOCKED and group.locked != on:
            group.locked = on
            self._updated(own, group, {"restrict": on})

    def _group_picture(self, chat_id: str) -> str | None:
        """A group's picture for a member; ``None`` for anyone else."""
        own = self._own_phone()
        group = self._network.groups.get(chat_id)
        if group is None or own.phone not in group.members:
            return None
        return group.picture_url

    # --- what members say -----------------------------------------------------------

    def _group_to_send(self, own: VirtualPhone, chat_id: str) -> SandboxGroup | None:
        """The group a message goes to, if the network knows it (others, e.g. groups
        of a previous server run, keep it at SERVER); refused when we are not a member
        or, with ANNOUNCE on, not an admin."""
        group = self._network.groups.get(chat_id)
        if group is None:
            return None
        if own.phone not in group.members:
            raise InvalidParamError(NOT_A_MEMBER, chat_id=chat_id)
        group.check_send(own.phone)
        return group

    def _post_to_group(
        self, own: VirtualPhone, group: SandboxGroup, message: Message, reply_to: MessageKey | None
    ) -> None:
        """Queue our message for the members: our other sessions see it as sent from
        another device, the members' sessions as received (``participant`` = us); we
        see DEVICE once each member got it on a device (virtual members at once)."""
        network = self._network
        members = [p for p in group.members if p != own.phone]
        network.groups.remember(message.key.id, own.phone)
        instance_id = self.instance_id

        def job() -> None:
            sent = MessageSeen(message=replace(message, source="app"))
            network.deliver(own.phone, sent, exclude=instance_id)
            waiting = {p for p in members if network.is_linked(p)}
            delivered = AckChanged(key=message.key, ack=Ack.DEVICE)

            def reached(phone: str) -> None:
                if phone in waiting:
                    waiting.discard(phone)
                    if not waiting:
                        network.deliver(own.phone, delivered)

            if not waiting:
                network.deliver(own.phone, delivered)
            quoted = self._writer(own, reply_to, None) if reply_to is not None else ""
            for phone in [p for p in members if p in waiting]:
                seen = MessageSeen(message=_as_seen_by(phone, message, reply_to, quoted))
                on_delivered = functools.partial(reached, phone)
                network.deliver(phone, seen, sender=own, in_group=True, on_delivered=on_delivered)

        self._schedule(job)

    def _writer(self, own: VirtualPhone, key: MessageKey, author: str | None) -> str:
        """The phone that wrote a group message (``""`` when unknown): ours when
        from_me, else ``author`` (a chat id) or the one the network remembers."""
        if key.from_me:
            return own.phone
        if author is not None:
            return self._network.resolve(author) or ""
        return self._network.groups.author(key.id) or ""

    def _tell_group(
        self,
        own: VirtualPhone,
        key: MessageKey,
        event_for: Callable[[MessageKey], EngineEvent],
        *,
        author: str | None = None,
        ours_too: bool = True,
        admins_for_others: bool = False,
    ) -> bool:
        """If ``key`` is in a group the network knows: queue ``event_for`` the message as
        each member names it, for the members (and our other sessions if ``ours_too``),
        and return ``True``. ``InvalidParamError`` when we are not a member, or when the
        message is another's and ``admins_for_others`` while we are not an admin."""
        group = self._network.groups.get(key.chat_id)
        if group is None:
            return False
        if own.phone not in group.members:
            raise InvalidParamError(NOT_A_MEMBER, chat_id=key.chat_id)
        if admins_for_others and not key.from_me:
            group.check_admin(own.phone, "delete other members' messages")
        network = self._network
        instance_id = self.instance_id
        writer = self._writer(own, key, author)
        events = {p: event_for(replace(key, from_me=p == writer)) for p in group.members}

        def job() -> None:
            for phone, event in events.items():
                if phone == own.phone:
                    if ours_too:
                        network.deliver(phone, event, exclude=instance_id)
                else:
                    network.deliver(phone, event, sender=own, in_group=True)

        self._schedule(job)
        return True

    # --- helpers --------------------------------------------------------------------

    def _member_group(self, group_id: str) -> tuple[VirtualPhone, SandboxGroup]:
        """Our account and the group, if we are in it (``NotFoundError`` otherwise)."""
        own = self._own_phone()
        return own, self._network.groups.member_group(group_id, own.phone)

    def _people(self, chat_ids: Sequence[str]) -> list[str]:
        """The phones these people's chat ids name; ``InvalidParamError`` for anything
        else (a group, a newsletter, an unknown lid)."""
        phones: list[str] = []
        for chat_id in chat_ids:
            phone = self._network.resolve(chat_id)
            if phone is None:
                raise InvalidParamError(NOT_A_MEMBER_ID, chat_id=chat_id)
            phones.append(phone)
        return phones

    def _joined(
        self, own: VirtualPhone, group: SandboxGroup, phones: list[str], by: str | None
    ) -> None:
        """Tell every member that these joined, with the whole group."""
        info = group.info(lid_for_phone)
        joined = tuple(p for p in info.participants if p.id.partition("@")[0] in phones)
        event = GroupParticipantsChanged(
            group_id=group.id,
            action="join",
            participants=joined,
            by=by,
            timestamp=_now(),
            group=info,
        )
        self._tell(own, list(group.members), event)

    def _changed(
        self,
        own: VirtualPhone,
        group: SandboxGroup,
        action: str,
        phones: list[str],
        audience: Collection[str],
        *,
        by: str | None,
    ) -> None:
        """Tell ``audience`` that these left or got a new role (given with each)."""
        members = tuple(group.participant(p, lid_for_phone) for p in phones)
        event = GroupParticipantsChanged(
            group_id=group.id, action=action, participants=members, by=by, timestamp=_now()
        )
        self._tell(own, audience, event)

    def _updated(
        self,
        own: VirtualPhone,
        group: SandboxGroup,
        changes: dict[str, Any],
        audience: Collection[str] | None = None,
    ) -> None:
        event = GroupUpdated(group_id=group.id, changes=changes, by=own.chat_id, timestamp=_now())
        self._tell(own, list(group.members) if audience is None else audience, event)

    def _tell(self, own: VirtualPhone, audience: Collection[str], event: EngineEvent) -> None:
        """Queue ``event`` for every session of these members (ours included)."""
        network = self._network
        phones = list(audience)

        def job() -> None:
            for phone in phones:
                network.deliver(phone, event, sender=own, in_group=True)

        self._schedule(job)


def _as_seen_by(phone: str, message: Message, reply_to: MessageKey | None, quoted: str) -> Message:
    """Our group message as the member ``phone`` receives it (``quoted``: the phone
    that wrote ``reply_to``)."""
    theirs = replace(reply_to, from_me=phone == quoted) if reply_to is not None else None
    return replace(
        message,
        key=replace(message.key, from_me=False),
        ack=Ack.DEVICE,
        reply_to=theirs.serialized if theirs is not None else None,
        source="app",
    )
