"""A pure-Python :class:`ClientBackend` for testing the worker machinery (no neonize).

It behaves like a client just enough to drive real worker processes:

* ``connect`` reports ``LoggedIn`` when its device store (a marker file holding the
  account as JSON) says it is linked, else a ``QrCodeChanged`` from another thread, as
  neonize's callbacks do. It also writes to fd 1 and ``print``s, as neonize's Go code
  does, which must not corrupt the frame pipe.
* ``pair_phone(phone)`` links at once: it writes the marker and reports ``LoggedIn``.
* ``send_text`` returns the message at SERVER; some chat ids misbehave on purpose:
  ``invalid@c.us`` raises InvalidParamError, ``boom@c.us`` a plain RuntimeError,
  ``crash-exit@c.us`` ends the process with ``os._exit(1)`` and ``crash-segv@c.us``
  with SIGSEGV (a Go fault, as far as the supervisor can tell).
* ``connect`` crashes the same way while a file ``<device store>.crash`` exists
  (holding ``exit`` or ``segv``).
* everything else raises NotSupportedError.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from wagate.domain.chats import Channel, ChannelSearch, ChatChange
from wagate.domain.contacts import Contact, Profile
from wagate.domain.content import Content
from wagate.domain.events import LoggedIn, PresenceChanged, QrCodeChanged
from wagate.domain.groups import GroupInfo, GroupSetting, ParticipantAction, ParticipantResult
from wagate.domain.messages import Ack, Message, MessageKey, Presence
from wagate.domain.models import Me
from wagate.engines.whatsmeow.backend import BackendConfig, ClientBackend, Emit
from wagate.errors import InvalidParamError, NotSupportedError

PAIRING_CODE = "ECHO-CODE"


def crash(how: str) -> None:
    """End this process abruptly, like a fatal error in Go code."""
    sys.stderr.write(f"echo backend: crashing ({how})\n")
    sys.stderr.flush()
    if how == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
        time.sleep(5)  # pragma: no cover - the signal ends us first
    os._exit(1)


class EchoBackend:
    def __init__(self, config: BackendConfig, emit: Emit) -> None:
        self._config = config
        self._emit = emit
        self._marker = Path(config.device_store)
        self._qr_count = 0

    def _me(self) -> Me | None:
        try:
            data = json.loads(self._marker.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return Me.from_json(data)

    async def connect(self) -> None:
        crash_file = self._marker.with_name(self._marker.name + ".crash")
        if crash_file.exists():
            crash(crash_file.read_text("utf-8").strip() or "exit")
        os.write(1, b"Go says hello on fd 1\n")
        print("and Python prints on sys.stdout")
        me = self._me()
        if me is not None:
            self._emit(LoggedIn(me=me))
            return
        self._qr_count += 1
        value = f"echo-qr-{self._config.instance_id}-{self._qr_count}"
        threading.Thread(target=self._emit, args=(QrCodeChanged(value=value),)).start()

    async def disconnect(self) -> None:
        return None

    async def logout(self) -> None:
        self._marker.unlink(missing_ok=True)

    async def pair_phone(self, phone: str) -> str:
        if not phone.isdigit():
            raise InvalidParamError("A phone number has only digits", phone=phone)
        me = Me(id=f"{phone}@c.us", push_name=self._config.device_name)
        self._marker.write_text(json.dumps(me.to_json()), "utf-8")
        self._emit(LoggedIn(me=me))
        return PAIRING_CODE

    async def send_text(
        self, chat_id: str, text: str, *, reply_to: MessageKey | None, mentions: Sequence[str]
    ) -> Message:
        if chat_id.startswith("crash-"):
            crash(chat_id.removeprefix("crash-").split("@")[0])
        if chat_id == "invalid@c.us":
            raise InvalidParamError("Invalid chat", chat_id=chat_id)
        if chat_id == "boom@c.us":
            raise RuntimeError("boom")
        me = self._me()
        own = me.id if me is not None else "unknown@c.us"
        return Message(
            key=MessageKey(chat_id=chat_id, id=f"ECHO{time.time_ns()}", from_me=True),
            timestamp=int(time.time()),
            sender=own,
            recipient=chat_id,
            body=text,
            ack=Ack.SERVER,
            reply_to=reply_to.serialized if reply_to is not None else None,
            mentions=tuple(mentions),
            source="api",
        )

    async def send_message(
        self,
        chat_id: str,
        content: Content,
        *,
        reply_to: MessageKey | None,
        mentions: Sequence[str],
    ) -> Message:
        raise NotSupportedError("The echo backend sends text only")

    async def mark_seen(
        self, chat_id: str, keys: Sequence[MessageKey], *, participant: str | None
    ) -> None:
        raise NotSupportedError("The echo backend cannot mark messages as seen")

    async def set_chat_presence(self, chat_id: str, presence: Presence) -> None:
        raise NotSupportedError("The echo backend cannot send typing states")

    async def set_presence(self, presence: Presence) -> None:
        raise NotSupportedError("The echo backend cannot set presence")

    async def get_presence(self, chat_id: str) -> list[PresenceChanged]:
        raise NotSupportedError("The echo backend cannot read presence")

    async def react(self, key: MessageKey, reaction: str) -> str:
        raise NotSupportedError("The echo backend cannot send reactions")

    async def star(self, key: MessageKey, star: bool) -> None:
        raise NotSupportedError("The echo backend cannot star messages")

    async def vote_poll(self, poll: MessageKey, selected: Sequence[str]) -> Message:
        raise NotSupportedError("The echo backend cannot vote on polls")

    async def post_status(self, content: Content, *, recipients: Sequence[str]) -> Message:
        raise NotSupportedError("The echo backend cannot post statuses")

    async def delete_status(self, key: MessageKey) -> None:
        raise NotSupportedError("The echo backend cannot delete statuses")

    async def revoke(self, key: MessageKey, *, author: str | None) -> None:
        raise NotSupportedError("The echo backend cannot delete messages for everyone")

    async def edit(self, key: MessageKey, text: str) -> None:
        raise NotSupportedError("The echo backend cannot edit messages")

    async def pin(self, key: MessageKey, seconds: int, *, author: str | None) -> None:
        raise NotSupportedError("The echo backend cannot pin messages")

    async def chat_picture(self, chat_id: str) -> str | None:
        raise NotSupportedError("The echo backend cannot read chat pictures")

    async def change_chat(self, chat_id: str, change: ChatChange) -> None:
        raise NotSupportedError(f"The echo backend cannot {change.value} chats")

    async def profile(self) -> Profile:
        raise NotSupportedError("The echo backend cannot read the profile")

    async def set_profile_name(self, name: str) -> None:
        raise NotSupportedError("The echo backend cannot change the profile name")

    async def set_profile_status(self, status: str) -> None:
        raise NotSupportedError("The echo backend cannot change the profile status")

    async def set_profile_picture(self, jpeg: bytes | None) -> None:
        raise NotSupportedError("The echo backend cannot change the profile picture")

    async def contacts(self) -> list[Contact]:
        raise NotSupportedError("The echo backend cannot list contacts")

    async def contact(self, chat_id: str) -> Contact:
        raise NotSupportedError("The echo backend cannot read contacts")

    async def check_exists(self, phone: str) -> str | None:
        raise NotSupportedError("The echo backend cannot check numbers")

    async def about(self, chat_id: str) -> str | None:
        raise NotSupportedError("The echo backend cannot read About texts")

    async def block(self, chat_id: str, block: bool) -> None:
        raise NotSupportedError("The echo backend cannot block contacts")

    async def save_contact(self, chat_id: str, first_name: str, last_name: str) -> None:
        raise NotSupportedError("The echo backend cannot change the address book")

    async def groups(self) -> list[GroupInfo]:
        raise NotSupportedError("The echo backend has no groups")

    async def group(self, group_id: str) -> GroupInfo:
        raise NotSupportedError("The echo backend has no groups")

    async def create_group(self, subject: str, participants: Sequence[str]) -> GroupInfo:
        raise NotSupportedError("The echo backend cannot create groups")

    async def group_invite_info(self, code: str) -> GroupInfo:
        raise NotSupportedError("The echo backend cannot read group invites")

    async def join_group(self, code: str) -> str:
        raise NotSupportedError("The echo backend cannot join groups")

    async def leave_group(self, group_id: str) -> None:
        raise NotSupportedError("The echo backend cannot leave groups")

    async def set_group_subject(self, group_id: str, subject: str) -> None:
        raise NotSupportedError("The echo backend cannot rename groups")

    async def set_group_description(self, group_id: str, description: str) -> None:
        raise NotSupportedError("The echo backend cannot change group descriptions")

    async def set_group_picture(self, group_id: str, jpeg: bytes | None) -> None:
        raise NotSupportedError("The echo backend cannot change group pictures")

    async def set_group_setting(self, group_id: str, setting: GroupSetting, on: bool) -> None:
        raise NotSupportedError("The echo backend cannot change group settings")

    async def group_invite_code(self, group_id: str, *, revoke: bool = False) -> str:
        raise NotSupportedError("The echo backend cannot read group invite codes")

    async def change_participants(
        self, group_id: str, action: ParticipantAction, participants: Sequence[str]
    ) -> list[ParticipantResult]:
        raise NotSupportedError("The echo backend cannot change group participants")

    async def channels(self) -> list[Channel]:
        raise NotSupportedError("The echo backend has no channels")

    async def channel(self, channel: str) -> Channel:
        raise NotSupportedError("The echo backend has no channels")

    async def create_channel(self, name: str, description: str, jpeg: bytes | None) -> Channel:
        raise NotSupportedError("The echo backend cannot create channels")

    async def delete_channel(self, channel_id: str) -> None:
        raise NotSupportedError("The echo backend cannot delete channels")

    async def channel_messages(self, channel_id: str, limit: int) -> list[Message]:
        raise NotSupportedError("The echo backend cannot read channel posts")

    async def follow_channel(self, channel_id: str, follow: bool) -> None:
        raise NotSupportedError("The echo backend cannot follow channels")

    async def mute_channel(self, channel_id: str, mute: bool) -> None:
        raise NotSupportedError("The echo backend cannot mute channels")

    async def search_channels(
        self,
        *,
        view: str | None,
        text: str | None,
        countries: Sequence[str],
        categories: Sequence[str],
        limit: int,
        cursor: str | None,
    ) -> ChannelSearch:
        raise NotSupportedError("The echo backend cannot search channels")


def create(config: BackendConfig, emit: Emit) -> ClientBackend:
    return EchoBackend(config, emit)
