"""The whatsmeow engine: sessions whose clients run in supervised worker processes.

Every :class:`WhatsmeowSession` call is a request to the worker that holds the session
(see :mod:`wagate.engines.whatsmeow.supervisor`). Events come back through the
supervisor and reach the session's sink in order, one at a time, from one task per
session: a slow sink delays that session only, and nothing is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wagate.domain.chats import Channel, ChannelSearch, ChatChange
from wagate.domain.contacts import Contact, Profile
from wagate.domain.content import Content
from wagate.domain.events import EngineEvent, LoggedIn, LoggedOut, PresenceChanged
from wagate.domain.groups import GroupInfo, GroupSetting, ParticipantAction, ParticipantResult
from wagate.domain.messages import Message, MessageKey, Presence
from wagate.engines.base import DeviceStore, Engine, EngineSession, EventSink
from wagate.engines.whatsmeow import pgstore
from wagate.engines.whatsmeow.backend import APP_STATE_UNSUPPORTED, BackendConfig
from wagate.engines.whatsmeow.supervisor import Supervisor
from wagate.errors import NotSupportedError

log = logging.getLogger(__name__)

ENGINE_NAME = "whatsmeow"
DEFAULT_BACKEND = "wagate.engines.whatsmeow.neonize_backend:create"
STORE_SUFFIXES = ("", "-wal", "-shm", "-journal")
SINK_DRAIN_SECONDS = 5.0


def postgres_dsn(database_url: str | None) -> str | None:
    """The DSN whatsmeow (Go's lib/pq) can use for ``database_url``, or ``None`` when it
    is not a PostgreSQL URL: ``postgresql+asyncpg://…`` → ``postgres://…``, asyncpg's
    ``ssl=`` → ``sslmode=``, and ``sslmode=prefer`` unless given (lib/pq's own default,
    ``require``, fails on a server without TLS where asyncpg and psql connect)."""
    if not database_url:
        return None
    parts = urlsplit(database_url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgres", "postgresql"):
        return None
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    ssl = query.pop("ssl", None)
    query.setdefault("sslmode", ssl or "prefer")
    return urlunsplit(("postgres", parts.netloc, parts.path, urlencode(query), parts.fragment))


class WhatsmeowSession(EngineSession):
    """One session; its client lives in a worker process."""

    def __init__(
        self, instance_id: str, sink: EventSink, *, engine: WhatsmeowEngine, config: BackendConfig
    ) -> None:
        self.instance_id = instance_id
        self._sink = sink
        self._engine = engine
        self._config = config
        self._inbox: asyncio.Queue[EngineEvent | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._deliver(), name=f"wagate-whatsmeow-{instance_id}")

    # --- events -------------------------------------------------------------------------

    def enqueue(self, event: EngineEvent) -> None:
        self._inbox.put_nowait(event)

    async def _deliver(self) -> None:
        while (event := await self._inbox.get()) is not None:
            try:
                await self._engine.remember_device(self.instance_id, event)
                await self._sink(event)
            except Exception:
                log.exception("the sink of %s failed on %r", self.instance_id, event)

    def retire(self) -> None:
        """Stop once the events already queued are delivered."""
        self._inbox.put_nowait(None)

    async def closed(self, grace: float) -> None:
        """Wait for the delivery to end (after :meth:`retire`); cancel it after ``grace`` s."""
        _, pending = await asyncio.wait({self._task}, timeout=grace)
        for task in pending:
            task.cancel()
            await asyncio.wait({task})

    # --- EngineSession ------------------------------------------------------------------

    async def connect(self) -> None:
        await self._engine.supervisor.connect(self._config)

    async def disconnect(self) -> None:
        await self._engine.supervisor.disconnect(self.instance_id)

    async def logout(self) -> None:
        await self._engine.supervisor.logout(self.instance_id)
        await self._engine.remember_device(self.instance_id, LoggedOut(reason="logout"))

    async def request_pairing_code(self, phone: str) -> str:
        number = phone.strip().removeprefix("+")
        return cast(str, await self._call("pair_phone", number))

    async def send_text(
        self,
        chat_id: str,
        text: str,
        *,
        reply_to: MessageKey | None = None,
        mentions: Sequence[str] = (),
    ) -> Message:
        message = await self._call(
            "send_text", chat_id, text, reply_to=reply_to, mentions=tuple(mentions)
        )
        return cast(Message, message)

    async def send_message(
        self,
        chat_id: str,
        content: Content,
        *,
        reply_to: MessageKey | None = None,
        mentions: Sequence[str] = (),
    ) -> Message:
        message = await self._call(
            "send_message", chat_id, content, reply_to=reply_to, mentions=tuple(mentions)
        )
        return cast(Message, message)

    async def vote_poll(self, poll: MessageKey, selected: Sequence[str]) -> Message:
        return cast(Message, await self._call("vote_poll", poll, tuple(selected)))

    async def post_status(self, content: Content, *, recipients: Sequence[str] = ()) -> Message:
        message = await self._call("post_status", content, recipients=tuple(recipients))
        return cast(Message, message)

    async def delete_status(self, key: MessageKey) -> None:
        await self._call("delete_status", key)

    async def mark_seen(
        self, chat_id: str, keys: Sequence[MessageKey], *, participant: str | None = None
    ) -> None:
        await self._call("mark_seen", chat_id, tuple(keys), participant=participant)

    async def set_chat_presence(self, chat_id: str, presence: Presence) -> None:
        await self._call("set_chat_presence", chat_id, presence)

    async def set_presence(self, presence: Presence) -> None:
        await self._call("set_presence", presence)

    async def get_presence(self, chat_id: str) -> list[PresenceChanged]:
        return cast(list[PresenceChanged], await self._call("get_presence", chat_id))

    async def react(self, key: MessageKey, reaction: str) -> str:
        return cast(str, await self._call("react", key, reaction))

    async def star(self, key: MessageKey, star: bool) -> None:
        await self._call("star", key, star)

    async def revoke(self, key: MessageKey, *, author: str | None = None) -> None:
        await self._call("revoke", key, author=author)

    async def edit(self, key: MessageKey, text: str) -> None:
        await self._call("edit", key, text)

    async def pin(self, key: MessageKey, seconds: int, *, author: str | None = None) -> None:
        await self._call("pin", key, seconds, author=author)

    async def chat_picture(self, chat_id: str) -> str | None:
        return cast(str | None, await self._call("chat_picture", chat_id))

    async def change_chat(self, chat_id: str, change: ChatChange) -> None:
        await self._call("change_chat", chat_id, change)

    async def profile(self) -> Profile:
        return cast(Profile, await self._call("profile"))

    async def set_profile_name(self, name: str) -> None:
        await self._call("set_profile_name", name)

    async def set_profile_status(self, status: str) -> None:
        await self._call("set_profile_status", status)

    async def set_profile_picture(self, jpeg: bytes | None) -> None:
        await self._call("set_profile_picture", jpeg)

    async def contacts(self) -> list[Contact]:
        return cast(list[Contact], await self._call("contacts"))

    async def contact(self, chat_id: str) -> Contact:
        return cast(Contact, await self._call("contact", chat_id))

    async def check_exists(self, phone: str) -> str | None:
        return cast(str | None, await self._call("check_exists", phone))

    async def about(self, chat_id: str) -> str | None:
        return cast(str | None, await self._call("about", chat_id))

    async def block(self, chat_id: str, block: bool) -> None:
        await self._call("block", chat_id, block)

    async def save_contact(self, chat_id: str, first_name: str, last_name: str) -> None:
        await self._call("save_contact", chat_id, first_name, last_name)

    async def groups(self) -> list[GroupInfo]:
        return cast(list[GroupInfo], await self._call("groups"))

    async def group(self, group_id: str) -> GroupInfo:
        return cast(GroupInfo, await self._call("group", group_id))

    async def create_group(self, subject: str, participants: Sequence[str]) -> GroupInfo:
        return cast(GroupInfo, await self._call("create_group", subject, list(participants)))

    async def group_invite_info(self, code: str) -> GroupInfo:
        return cast(GroupInfo, await self._call("group_invite_info", code))

    async def join_group(self, code: str) -> str:
        return cast(str, await self._call("join_group", code))

    async def leave_group(self, group_id: str) -> None:
        await self._call("leave_group", group_id)

    async def set_group_subject(self, group_id: str, subject: str) -> None:
        await self._call("set_group_subject", group_id, subject)

    async def set_group_description(self, group_id: str, description: str) -> None:
        await self._call("set_group_description", group_id, description)

    async def set_group_picture(self, group_id: str, jpeg: bytes | None) -> None:
        await self._call("set_group_picture", group_id, jpeg)

    async def set_group_setting(self, group_id: str, setting: GroupSetting, on: bool) -> None:
        await self._call("set_group_setting", group_id, setting, on)

    async def group_invite_code(self, group_id: str, *, revoke: bool = False) -> str:
        return cast(str, await self._call("group_invite_code", group_id, revoke=revoke))

    async def change_participants(
        self, group_id: str, action: ParticipantAction, participants: Sequence[str]
    ) -> list[ParticipantResult]:
        return cast(
            list[ParticipantResult],
            await self._call("change_participants", group_id, action, list(participants)),
        )

    async def channels(self) -> list[Channel]:
        return cast(list[Channel], await self._call("channels"))

    async def channel(self, channel: str) -> Channel:
        return cast(Channel, await self._call("channel", channel))

    async def create_channel(self, name: str, description: str, jpeg: bytes | None) -> Channel:
        return cast(Channel, await self._call("create_channel", name, description, jpeg))

    async def delete_channel(self, channel_id: str) -> None:
        await self._call("delete_channel", channel_id)

    async def channel_messages(self, channel_id: str, limit: int) -> list[Message]:
        return cast(list[Message], await self._call("channel_messages", channel_id, limit))

    async def follow_channel(self, channel_id: str, follow: bool) -> None:
        await self._call("follow_channel", channel_id, follow)

    async def mute_channel(self, channel_id: str, mute: bool) -> None:
        await self._call("mute_channel", channel_id, mute)

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
        found = await self._call(
            "search_channels",
            view=view,
            text=text,
            countries=tuple(countries),
            categories=tuple(categories),
            limit=limit,
            cursor=cursor,
        )
        return cast(ChannelSearch, found)

    async def check_labels(self) -> None:
        """Labels are app state, which neonize can neither write nor receive."""
        raise NotSupportedError(APP_STATE_UNSUPPORTED)

    async def _call(self, op: str, *args: Any, **kwargs: Any) -> Any:
        return await self._engine.supervisor.call(self.instance_id, op, *args, **kwargs)


class WhatsmeowEngine(Engine):
    """WhatsApp through whatsmeow (neonize), sessions sharded over worker processes.

    ``backend`` names the factory workers build clients with (``module:function``); the
    default is the neonize one, tests use ``wagate.engines.whatsmeow.echo_backend:create``.
    """

    name = ENGINE_NAME

    def __init__(
        self,
        *,
        data_dir: Path,
        device_name: str,
        sessions_per_worker: int = 50,
        backend: str = DEFAULT_BACKEND,
        database_url: str | None = None,
        devices: DeviceStore | None = None,
        restart_backoff: tuple[float, float] = (1.0, 60.0),
        max_restarts: int = 5,
        stop_timeout: float = 10.0,
    ) -> None:
        self._root = Path(data_dir) / "whatsmeow"
        self._backend = backend
        self._device_name = device_name
        # With PostgreSQL every device lives in that one database, keyed by its JID,
        # which ``devices`` keeps per session (see pgstore); else a SQLite file each.
        self._dsn = postgres_dsn(database_url)
        self._devices = devices
        self._sessions: dict[str, WhatsmeowSession] = {}
        self.supervisor = Supervisor(
            backend,
            deliver=self._deliver,
            sessions_per_worker=sessions_per_worker,
            restart_backoff=restart_backoff,
            max_restarts=max_restarts,
            stop_timeout=stop_timeout,
        )

    def device_store_path(self, instance_id: str) -> Path:
        """The session's SQLite device store (when no PostgreSQL DSN is configured)."""
        return self._root / f"{instance_id}.db"

    def media_dir(self, instance_id: str) -> Path:
        return self._root / "media" / instance_id

    def device_store_of(self, instance_id: str) -> str:
        """The session's device store: the shared PostgreSQL DSN, or its SQLite file."""
        return self._dsn or str(self.device_store_path(instance_id))

    async def config_for(self, instance_id: str) -> BackendConfig:
        media_dir = self.media_dir(instance_id)
        await asyncio.to_thread(media_dir.mkdir, parents=True, exist_ok=True)
        return BackendConfig(
            instance_id=instance_id,
            device_store=self.device_store_of(instance_id),
            device_name=self._device_name,
            media_dir=media_dir,
            device_jid=await self._device_jid(instance_id),
        )

    async def _device_jid(self, instance_id: str) -> str | None:
        data = await self._devices.load(instance_id) if self._devices is not None else None
        jid = (data or {}).get("jid")
        return jid if isinstance(jid, str) and jid else None

    async def remember_device(self, instance_id: str, event: EngineEvent) -> None:
        """Keep the linked device's JID (to resume it), and forget it once unlinked."""
        if self._devices is None:
            return
        if isinstance(event, LoggedIn) and event.me.jid:
            await self._devices.save(instance_id, ENGINE_NAME, {"jid": event.me.jid})
        elif isinstance(event, LoggedOut):
            await self._devices.delete(instance_id)

    async def open_session(self, instance_id: str, sink: EventSink) -> WhatsmeowSession:
        _refuse_real_engine_under_pytest(self._backend)
        config = await self.config_for(instance_id)
        previous = self._sessions.get(instance_id)
        if previous is not None:
            previous.retire()
        session = WhatsmeowSession(instance_id, sink, engine=self, config=config)
        self._sessions[instance_id] = session
        return session

    async def forget(self, instance_id: str) -> None:
        """Close the session in its worker and delete its device and media.

        The phone still lists the device until WhatsApp drops it; log out first to
        unlink it there too.
        """
        await self.supervisor.forget(instance_id)
        session = self._sessions.pop(instance_id, None)
        if session is not None:
            session.retire()
        if self._dsn is not None:
            jid = await self._device_jid(instance_id)
            if jid:
                await pgstore.delete_device(self._dsn, jid)
        if self._devices is not None:
            await self._devices.delete(instance_id)
        await asyncio.to_thread(self._delete_files, instance_id)

    def _delete_files(self, instance_id: str) -> None:
        if self._dsn is None:
            store = self.device_store_path(instance_id)
            for suffix in STORE_SUFFIXES:
                store.with_name(store.name + suffix).unlink(missing_ok=True)
        shutil.rmtree(self.media_dir(instance_id), ignore_errors=True)

    async def close(self) -> None:
        await self.supervisor.close()
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.retire()
        await asyncio.gather(*(session.closed(SINK_DRAIN_SECONDS) for session in sessions))

    def _deliver(self, instance_id: str, event: EngineEvent) -> None:
        session = self._sessions.get(instance_id)
        if session is None:
            log.debug("dropping %r for %s: no open session", event, instance_id)
            return
        session.enqueue(event)


ALLOW_REAL_ENGINE = "WAGATE_ALLOW_REAL_ENGINE"


def _refuse_real_engine_under_pytest(backend: str) -> None:
    """Tests never talk to WhatsApp by accident: the real backend needs a yes."""
    if (
        backend == DEFAULT_BACKEND
        and "PYTEST_CURRENT_TEST" in os.environ
        and os.environ.get(ALLOW_REAL_ENGINE) != "1"
    ):
        raise NotSupportedError(
            f"The real WhatsApp engine does not run under pytest; set {ALLOW_REAL_ENGINE}=1"
        )
