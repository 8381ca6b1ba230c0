"""The real :class:`~wagate.engines.whatsmeow.backend.ClientBackend`: one account on
neonize's async client (``neonize.aioze.client.NewAClient``).

How it copes with neonize 0.5.2 (see docs on its traps):

* one handler per event type, all registered before ``connect`` (Go drops the rest);
* neonize runs each handler as its own task, concurrently, and swallows exceptions:
  every handler converts synchronously and hands off before its first ``await``, and
  logs anything that goes wrong;
* order: events are emitted at once unless slow work (a media download, a poll-vote
  decryption, fetching our own id on ``Connected``) is pending, in which case they wait
  behind it in a per-session queue;
* neonize's ``connect`` fails fast when offline ("failed to dial …"); that and a
  watchdog (no QR code and no connection after ``connect_timeout``) end in
  ``ConnectionFailed`` instead of a hang;
* the client's garbage-collection finalizer calls Go ``Stop(uuid)``: a stale client
  would stop a newer one with the same id, so the backend keeps one client for its
  lifetime and detaches that finalizer (it stops the client itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import asyncpg

from wagate.domain.chats import ChatChange
from wagate.domain.contacts import Contact, Profile
from wagate.domain.content import (
    Audio,
    Contacts,
    Content,
    Document,
    EventInvite,
    Image,
    LinkPreview,
    ListMessage,
    Location,
    Poll,
    StatusText,
    Video,
    display_text,
)
from wagate.domain.events import (
    ConnectionFailed,
    EngineEvent,
    LoggedIn,
    MessageSeen,
    PollVoteFailed,
    PollVoteReceived,
    PresenceChanged,
)
from wagate.domain.ids import STATUS_BROADCAST
from wagate.domain.messages import Ack, Message, MessageKey, Presence
from wagate.domain.models import Me
from wagate.engines.whatsmeow import convert as cv
from wagate.engines.whatsmeow import outgoing as og
from wagate.engines.whatsmeow import pgstore
from wagate.engines.whatsmeow import protos as pb
from wagate.engines.whatsmeow.backend import (
    APP_STATE_UNSUPPORTED,
    BackendConfig,
    ClientBackend,
    Emit,
)
from wagate.engines.whatsmeow.neonize_channels import ChannelOps
from wagate.engines.whatsmeow.neonize_groups import GroupOps
from wagate.engines.whatsmeow.protos import quiet_neonize_import
from wagate.errors import (
    InvalidParamError,
    NotSupportedError,
    SessionNotReadyError,
    UpstreamError,
    WagateError,
)

with quiet_neonize_import():
    from neonize.proto import Neonize_pb2 as N
    from neonize.proto.waCompanionReg.WAWebProtobufsCompanionReg_pb2 import DeviceProps
    from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E
    from neonize.utils.enum import (
        BlocklistAction,
        ChatPresence,
        ChatPresenceMedia,
        ClientName,
        ClientType,
        MediaType,
        ReceiptType,
    )
    from neonize.utils.enum import Presence as NeonizePresence

log = logging.getLogger(__name__)

ClientFactory = Callable[..., Any]
Job = Callable[[], Awaitable[None]]

PICTURE_REMOVAL_UNSUPPORTED = (
    "neonize 0.5.2 cannot remove the profile picture: it hands whatsmeow an empty "
    "picture where whatsmeow removes only on none"
)
OFFLINE_PREFIX = "Could not reach WhatsApp's servers from this machine: "
# What whatsmeow answers when something is hidden from us (an IQ "not-authorized").
HIDDEN_MARKERS = ("not-authorized", "status 401")
# ... or, for a picture, when there is none (ErrProfilePictureNotSet /
# ErrProfilePictureUnauthorized, wrapping the IQ error).
NO_PICTURE_MARKERS = (
    *HIDDEN_MARKERS,
    "item-not-found",
    "status 404",
    "does not have a profile picture",
    "hidden their profile picture",
)
CACHE_SIZE = 2000
DOWNLOAD_TIMEOUT = 120.0


_EVENT_NAMES = (
    "Connected",
    "PairStatus",
    "LoggedOut",
    "StreamReplaced",
    "TemporaryBan",
    "ConnectFailure",
    "ClientOutdated",
    "StreamError",
    "Disconnected",
    "KeepAliveTimeout",
    "KeepAliveRestored",
    "Message",
    "Receipt",
    "ChatPresence",
    "Presence",
    "CallOffer",
    "CallAccept",
    "CallTerminate",
    "JoinedGroup",
    "GroupInfoEvent",
    "NewsletterJoin",
    "NewsletterLeave",
    "NewsletterMuteChange",
    "NewsletterLiveUpdate",
    "Picture",
    "IdentityChange",
    "UndecryptableMessage",
    "OfflineSyncCompleted",
    "HistorySync",
)


def _event_classes() -> list[Any]:
    """Every neonize event type the backend subscribes to (one handler each)."""
    return [getattr(N, name) for name in _EVENT_NAMES]


def neonize_error_text(exc: BaseException) -> str:
    """The message of a neonize error; some (``GetProfilePictureError``) carry the whole
    ``*ReturnFunction`` proto, whose ``Error`` field is the message."""
    arg = exc.args[0] if len(exc.args) == 1 else None
    error = getattr(arg, "Error", None)
    return error if isinstance(error, str) and error else str(exc)


def contact_of(chat_id: str, info: Any, blocked: set[str]) -> Contact:
    """A contact-store entry (neonize ``ContactInfo``) → a :class:`Contact`: a name
    only when the address book has one, a business when WhatsApp told us its name."""
    name = info.FullName or info.FirstName
    return Contact(
        id=chat_id,
        lid=chat_id if chat_id.endswith("@lid") else None,
        name=name or None,
        push_name=info.PushName or None,
        is_my_contact=bool(name),
        is_blocked=chat_id in blocked,
        is_business=bool(info.BusinessName),
    )


def device_props(config: BackendConfig) -> Any:
    """What WhatsApp shows under "Linked devices": our name, as a Chrome browser."""
    return DeviceProps(os=config.device_name, platformType=DeviceProps.CHROME)


class NeonizeBackend(GroupOps, ChannelOps):
    """One account on neonize's async client; the group and channel operations are in
    :class:`~.neonize_groups.GroupOps` and :class:`~.neonize_channels.ChannelOps`."""

    def __init__(
        self,
        config: BackendConfig,
        emit: Emit,
        *,
        client_factory: ClientFactory,
        connect_timeout: float = 60.0,
        register_timeout: float = 30.0,
    ) -> None:
        self._config = config
        self._emit = emit
        self._client_factory = client_factory
        self._connect_timeout = connect_timeout
        self._register_timeout = register_timeout
        self._client: Any = None
        self._connect_task: asyncio.Task[Any] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[Job] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._pending = 0
        self._registered: asyncio.Event | None = None
        self._alive = False  # a QR code or a connection since connect()
        self._closing = False
        self._failed = False
        self._me: Me | None = None
        self._seen: OrderedDict[str, tuple[str, Any, Any]] = OrderedDict()  # id → jid, msg, info
        self._polls: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._presence: dict[str, PresenceChanged] = {}

    # --- the client --------------------------------------------------------------------

    @property
    def client(self) -> Any:
        return self._client

    @property
    def me(self) -> Me | None:
        return self._me

    async def _make_client(self) -> Any:
        os.environ["NEONIZE_BOT_TAG"] = "off"  # no <bot biz_bot="1"/> fingerprint
        client = self._client_factory(
            self._config.device_store,
            props=device_props(self._config),
            uuid=self._config.instance_id,
            **await self._device_choice(),
        )
        finalizer = getattr(client, "_stop_finalizer", None)
        if finalizer is not None:
            finalizer.detach()
        client.event.qr(self._on_qr)
        for cls in _event_classes():
            client.event(cls)(self._on_event)
        return client

    async def _device_choice(self) -> dict[str, Any]:
        """Which device neonize opens (see :mod:`~wagate.engines.whatsmeow.pgstore`).

        A SQLite store holds this session's device only: neonize takes the first one.
        A shared PostgreSQL store: this session's device when it is still there, else a
        new device to link.
        """
        store, jid = self._config.device_store, self._config.device_jid
        if not pgstore.is_postgres(store):
            return {}
        if jid and await pgstore.device_exists(store, jid):
            return {"jid": pb.device_jid_from_string(jid)}
        if jid:
            log.warning("%s: device %s is gone; linking anew", self._config.instance_id, jid)
        return {"new_device": True}

    async def _on_qr(self, _client: Any, data: bytes) -> None:
        self._safely(self._handle_qr, data)

    async def _on_event(self, _client: Any, event: Any) -> None:
        self._safely(self._handle, event)

    def _safely(self, func: Callable[[Any], None], arg: Any) -> None:
        try:
            func(arg)
        except Exception:
            log.exception("%s: handling a neonize event failed", self._config.instance_id)

    def _handle_qr(self, data: bytes) -> None:
        self._alive = True
        if self._registered is not None:
            self._registered.set()
        self._publish(cv.qr_value(data))

    def _handle(self, event: Any) -> None:
        name = type(event).__name__
        if name == "Connected":
            self._alive = True
            if self._registered is not None:
                self._registered.set()
            self._enqueue(self._announce_login)
            return
        if name == "Message":
            self._remember(event)
        me = self._me.id if self._me else None
        lid = self._me.lid if self._me else None
        for item in cv.convert_event(event, me=me, me_lid=lid):
            self._dispatch(item)

    def _dispatch(self, item: cv.Converted) -> None:
        match item:
            case cv.MediaPending():
                self._enqueue(lambda: self._download(item))
            case cv.PollVotePending():
                self._enqueue(lambda: self._decrypt_vote(item))
            case PresenceChanged():
                self._presence[item.chat_id] = item
                self._publish(item)
            case MessageSeen(message=Message(content=Poll() as poll, key=key)):
                self._remember_poll(key.id, poll.options)
                self._publish(item)
            case _:
                self._publish(item)

    # --- ordered hand-off ----------------------------------------------------------------

    def _publish(self, event: EngineEvent) -> None:
        """Emit now, unless slow work is queued: then after it, in order."""
        if self._pending == 0:
            self._emit(event)
            return

        async def later() -> None:
            self._emit(event)

        self._enqueue(later)

    def _enqueue(self, job: Job) -> None:
        if self._queue is None:
            self._queue = asyncio.Queue()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work(self._queue))
        self._pending += 1
        self._queue.put_nowait(job)

    async def _work(self, queue: asyncio.Queue[Job]) -> None:
        while True:
            job = await queue.get()
            try:
                await job()
            except Exception:
                log.exception("%s: a queued engine job failed", self._config.instance_id)
            finally:
                self._pending -= 1

    async def _announce_login(self) -> None:
        me = await self._fetch_me()
        self._me = me
        self._emit(LoggedIn(me=me))

    async def _fetch_me(self) -> Me:
        device: Any = None
        with contextlib.suppress(Exception):
            device = await self._client.get_me()
        if device is None or not device.HasField("JID") or not device.JID.User:
            device = getattr(self._client, "me", None)
        if device is None or not device.JID.User:
            raise UpstreamError("Connected, but the client does not know its own account")
        lid = pb.jid_to_chat_id(device.LID) if device.HasField("LID") and device.LID.User else None
        return Me(
            id=pb.jid_to_chat_id(device.JID),
            lid=lid,
            push_name=device.PushName,
            jid=pb.device_jid_string(device.JID),
        )

    async def _download(self, item: cv.MediaPending) -> None:
        seen = item.seen
        content = seen.message.content
        try:
            message = E.Message.FromString(item.hint.message)
            data = await asyncio.wait_for(self._client.download_any(message), DOWNLOAD_TIMEOUT)
        except Exception as exc:
            log.warning(
                "%s: downloading %s %s failed: %s",
                self._config.instance_id,
                item.hint.media_type,
                seen.message.key.id,
                exc,
            )
            self._emit(seen)  # the media stays empty (data == b"")
            return
        if isinstance(content, Image | Video | Audio | Document):
            media = dataclasses.replace(content.media, data=bytes(data))
            content = dataclasses.replace(content, media=media)
            seen = MessageSeen(message=dataclasses.replace(seen.message, content=content))
        self._emit(seen)

    async def _decrypt_vote(self, item: cv.PollVotePending) -> None:
        options = self._polls.get(item.poll.id)
        try:
            vote = await self._client.decrypt_poll_vote(N.Message.FromString(item.event))
        except Exception as exc:
            self._emit(
                PollVoteFailed(
                    poll=item.poll,
                    voter=item.voter,
                    timestamp=item.timestamp,
                    reason=f"The vote could not be decrypted: {exc}",
                )
            )
            return
        if options is None:
            self._emit(
                PollVoteFailed(
                    poll=item.poll,
                    voter=item.voter,
                    timestamp=item.timestamp,
                    reason="This worker does not know the poll's options",
                )
            )
            return
        by_hash = {hashlib.sha256(o.encode()).digest(): o for o in options}
        selected = tuple(by_hash.get(bytes(h), bytes(h).hex()) for h in vote.selectedOptions)
        self._emit(
            PollVoteReceived(
                poll=item.poll, voter=item.voter, selected=selected, timestamp=item.timestamp
            )
        )

    def _remember(self, event: Any) -> None:
        src = event.Info.MessageSource
        sender = f"{src.Sender.User}@{src.Sender.Server}" if src.Sender.User else ""
        self._cache(self._seen, event.Info.ID, (sender, cv.unwrap(event.Message), event.Info))

    def _remember_poll(self, msg_id: str, options: tuple[str, ...]) -> None:
        self._cache(self._polls, msg_id, options)

    @staticmethod
    def _cache(cache: OrderedDict[str, Any], key: str, value: Any) -> None:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)

    # --- lifecycle -------------------------------------------------------------------

    async def connect(self) -> None:
        if self._connect_task is not None and not self._connect_task.done():
            return
        self._registered = asyncio.Event()
        self._alive = self._closing = self._failed = False
        if self._client is None:
            try:
                self._client = await self._make_client()
            except (OSError, asyncpg.PostgresError) as exc:
                self._fail(f"The device store could not be read: {exc}")
                return
        try:
            task = await self._client.connect()
        except Exception as exc:
            self._fail(OFFLINE_PREFIX + str(exc) if "dial" in str(exc) else str(exc))
            return
        self._connect_task = task
        if isinstance(task, asyncio.Future):
            task.add_done_callback(self._on_connect_done)
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())

    def _fail(self, reason: str) -> None:
        if self._failed or self._closing:
            return
        self._failed = True
        self._publish(ConnectionFailed(reason=reason))

    def _on_connect_done(self, task: asyncio.Future[Any]) -> None:
        if self._closing or self._failed or task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            # Nothing here reconnects a client whose connect loop ended: say so, and a
            # restart (or the user) starts it again.
            self._fail("The WhatsApp client stopped; restart the session")
        elif not self._alive or "dial" in str(exc):
            self._fail(OFFLINE_PREFIX + str(exc))
        else:
            self._fail(f"The WhatsApp client stopped: {exc}")
        if self._watchdog is not None:
            self._watchdog.cancel()

    async def _watch(self) -> None:
        await asyncio.sleep(self._connect_timeout)
        if self._alive or self._closing or self._failed:
            return
        self._fail(
            OFFLINE_PREFIX + f"no QR code and no connection after {self._connect_timeout:g} seconds"
        )
        await self._stop_client()

    async def _stop_client(self) -> None:
        task = self._connect_task
        if self._client is None or task is None or task.done():
            return
        with contextlib.suppress(Exception):
            await self._client.stop()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(asyncio.shield(task), 10)

    async def disconnect(self) -> None:
        self._closing = True
        if self._watchdog is not None:
            self._watchdog.cancel()
        await self._stop_client()
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
            self._queue = None
            self._pending = 0

    async def logout(self) -> None:
        client = self._client
        error: Exception | None = None
        if client is not None and self._me is not None:
            try:
                await client.logout()
            except Exception as exc:
                error = exc
        await self.disconnect()
        jid = self._me.jid if self._me is not None else self._config.device_jid
        self._me = None
        if error is not None or client is None:
            # could not unlink remotely: at least forget the credentials here
            store = self._config.device_store
            if not pgstore.is_postgres(store):
                await asyncio.to_thread(Path(store).unlink, True)
            elif jid:
                await pgstore.delete_device(store, jid)
        if error is not None:
            raise UpstreamError(f"WhatsApp did not confirm the logout: {error}")

    async def pair_phone(self, phone: str) -> str:
        if not phone.isdigit():
            raise InvalidParamError("A phone number has only digits", phone=phone)
        if self._client is None or self._registered is None or self._closing:
            raise SessionNotReadyError("Start the session before asking for a pairing code")
        try:
            await asyncio.wait_for(self._registered.wait(), self._register_timeout)
        except TimeoutError:
            raise UpstreamError(
                "The client has not registered with WhatsApp yet (no QR code after "
                f"{self._register_timeout:g} seconds); cannot ask for a pairing code"
            ) from None
        code = await self._upstream(
            "Asking for a pairing code",
            self._client.PairPhone(phone, True, ClientName.LINUX, ClientType.CHROME),
        )
        return str(code)

    # --- helpers for operations -------------------------------------------------------

    def _require_me(self) -> Me:
        if self._client is None or self._me is None:
            raise SessionNotReadyError("The session is not connected to WhatsApp")
        return self._me

    @staticmethod
    async def _upstream(what: str, awaitable: Awaitable[Any]) -> Any:
        try:
            return await awaitable
        except WagateError:
            raise
        except Exception as exc:
            raise UpstreamError(f"{what} failed: {exc}") from exc

    @staticmethod
    async def _unless_hidden(what: str, awaitable: Awaitable[Any], markers: Sequence[str]) -> Any:
        """``awaitable``'s result, or ``None`` when WhatsApp answers that there is nothing
        to see (an error naming one of ``markers``: none set, or hidden from us)."""
        try:
            return await awaitable
        except Exception as exc:
            text = neonize_error_text(exc)
            if any(marker in text.lower() for marker in markers):
                return None
            raise UpstreamError(f"{what} failed: {text}") from exc

    async def _picture_url(self, chat_id: str, what: str) -> str | None:
        picture = await self._unless_hidden(
            what, self._client.get_profile_picture(pb.chat_id_to_jid(chat_id)), NO_PICTURE_MARKERS
        )
        return (str(picture.URL) or None) if picture is not None else None

    async def _user_info(self, chat_id: str, what: str) -> Any | None:
        """whatsmeow's ``UserInfo`` of one person (About, verified business name)."""
        found = await self._unless_hidden(
            what, self._client.get_user_info(pb.chat_id_to_jid(chat_id)), HIDDEN_MARKERS
        )
        return found[0].UserInfo if found else None

    async def _blocked(self) -> set[str]:
        blocklist = await self._upstream("Reading the blocklist", self._client.get_blocklist())
        return {pb.jid_to_chat_id(jid) for jid in blocklist.JIDs}

    def _group_author(self, key: MessageKey, author: str | None) -> str:
        """Who wrote a group member's message: ``author``, else the sender this worker
        saw it from (a chat id or JID text, both fine for ``pb``'s JID helpers)."""
        if author:
            return author
        cached = self._seen.get(key.id)
        if cached is not None and cached[0]:
            return cached[0]
        raise InvalidParamError(
            "Name the author of a group member's message", message_id=key.serialized
        )

    def _quote(self, key: MessageKey | None, me: Me) -> og.Quote | None:
        if key is None:
            return None
        cached = self._seen.get(key.id)
        if cached is not None and cached[0]:
            return og.Quote(id=key.id, participant=cached[0], message=cached[1])
        author = me.id if key.from_me else key.chat_id
        return og.Quote(id=key.id, participant=pb.chat_id_to_jid_string(author))

    async def _send(
        self,
        chat_id: str,
        proto: Any,
        *,
        body: str,
        content: Content | None,
        reply_to: MessageKey | None = None,
        mentions: Sequence[str] = (),
    ) -> Message:
        me = self._require_me()
        response = await self._upstream(
            "Sending the message", self._client.send_message(pb.chat_id_to_jid(chat_id), proto)
        )
        msg_id = str(response.ID)
        self._remember_sent(chat_id, msg_id, proto, me)
        if isinstance(content, Poll):
            self._remember_poll(msg_id, content.options)
        return Message(
            key=MessageKey(chat_id=chat_id, id=msg_id, from_me=True),
            timestamp=pb.seconds(response.Timestamp) or int(time.time()),
            sender=me.id,
            recipient=chat_id,
            body=body,
            ack=Ack.SERVER,
            reply_to=reply_to.serialized if reply_to is not None else None,
            mentions=tuple(mentions),
            source="api",
            content=content,
        )

    def _remember_sent(self, chat_id: str, msg_id: str, proto: Any, me: Me) -> None:
        chat, own = pb.chat_id_to_jid(chat_id), pb.chat_id_to_jid(me.id)
        empty = N.JID(User="", RawAgent=0, Device=0, Integrator=0, Server="", IsEmpty=True)
        source = N.MessageSource(
            Chat=chat,
            Sender=own,
            IsFromMe=True,
            IsGroup=chat_id.endswith("@g.us"),
            SenderAlt=empty,
            RecipientAlt=empty,
            BroadcastListOwner=empty,
        )
        info = N.MessageInfo(
            MessageSource=source,
            ID=msg_id,
            ServerID=0,
            Type="text",
            Pushname=me.push_name,
            Timestamp=int(time.time() * 1000),
            Category="",
            Multicast=False,
            MediaType="",
            Edit="",
        )
        self._cache(self._seen, msg_id, (pb.chat_id_to_jid_string(me.id), proto, info))

    async def _build(self, content: Content, context: Any | None) -> Any:
        match content:
            case Image() | Video() | Audio() | Document():
                media_type = MediaType[og.media_type_of(content)]
                upload = await self._upstream(
                    "Uploading the media", self._client.upload(content.media.data, media_type)
                )
                return og.media_message(content, upload, context=context)
            case Location():
                return og.location_message(content, context=context)
            case Contacts():
                return og.contacts_message(content, context=context)
            case Poll():
                return og.poll_message(content, secret=os.urandom(32), context=context)
            case ListMessage():
                return og.list_message(content, context=context)
            case EventInvite():
                return og.event_message(content, secret=os.urandom(32), context=context)
            case LinkPreview():
                return og.link_preview_message(content, context=context)
            case StatusText():
                return og.status_text_message(content)

    # --- operations ----------------------------------------------------------------------

    async def send_text(
        self, chat_id: str, text: str, *, reply_to: MessageKey | None, mentions: Sequence[str]
    ) -> Message:
        me = self._require_me()
        context = og.context_info(quote=self._quote(reply_to, me), mentions=mentions)
        proto = og.text_message(text, context=context)
        return await self._send(
            chat_id, proto, body=text, content=None, reply_to=reply_to, mentions=mentions
        )

    async def send_message(
        self,
        chat_id: str,
        content: Content,
        *,
        reply_to: MessageKey | None,
        mentions: Sequence[str],
    ) -> Message:
        me = self._require_me()
        context = og.context_info(quote=self._quote(reply_to, me), mentions=mentions)
        proto = await self._build(content, context)
        return await self._send(
            chat_id,
            proto,
            body=display_text(content),
            content=content,
            reply_to=reply_to,
            mentions=mentions,
        )

    async def mark_seen(
        self, chat_id: str, keys: Sequence[MessageKey], *, participant: str | None
    ) -> None:
        self._require_me()
        ids = [k.id for k in keys if not k.from_me]
        if not ids:
            return
        sender = pb.chat_id_to_jid(participant or chat_id)
        await self._upstream(
            "Marking messages as read",
            self._client.mark_read(
                *ids, chat=pb.chat_id_to_jid(chat_id), sender=sender, receipt=ReceiptType.READ
            ),
        )

    async def set_chat_presence(self, chat_id: str, presence: Presence) -> None:
        self._require_me()
        match presence:
            case Presence.COMPOSING:
                state, media = (
                    ChatPresence.CHAT_PRESENCE_COMPOSING,
                    ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT,
                )
            case Presence.RECORDING:
                state, media = (
                    ChatPresence.CHAT_PRESENCE_COMPOSING,
                    ChatPresenceMedia.CHAT_PRESENCE_MEDIA_AUDIO,
                )
            case Presence.PAUSED:
                state, media = (
                    ChatPresence.CHAT_PRESENCE_PAUSED,
                    ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT,
                )
            case _:
                await self.set_presence(presence)
                return
        await self._upstream(
            "Sending the typing state",
            self._client.send_chat_presence(pb.chat_id_to_jid(chat_id), state, media),
        )

    async def set_presence(self, presence: Presence) -> None:
        self._require_me()
        if presence == Presence.AVAILABLE:
            value = NeonizePresence.AVAILABLE
        elif presence == Presence.UNAVAILABLE:
            value = NeonizePresence.UNAVAILABLE
        else:
            raise InvalidParamError("A session's own presence is available or unavailable")
        await self._upstream("Setting the presence", self._client.send_presence(value))

    async def get_presence(self, chat_id: str) -> list[PresenceChanged]:
        self._require_me()
        await self._upstream(
            "Subscribing to presence", self._client.subscribe_presence(pb.chat_id_to_jid(chat_id))
        )
        known = self._presence.get(chat_id)
        return [known] if known is not None else []

    async def react(self, key: MessageKey, reaction: str) -> str:
        me = self._require_me()
        participant = None
        if key.chat_id.endswith("@g.us"):
            cached = self._seen.get(key.id)
            participant = (
                pb.chat_id_to_jid_string(me.id) if key.from_me else (cached[0] if cached else None)
            )
        proto = og.reaction_message(key, reaction, participant=participant)
        response = await self._upstream(
            "Sending the reaction",
            self._client.send_message(pb.chat_id_to_jid(key.chat_id), proto),
        )
        return str(response.ID)

    async def star(self, key: MessageKey, star: bool) -> None:
        raise NotSupportedError(APP_STATE_UNSUPPORTED)

    async def vote_poll(self, poll: MessageKey, selected: Sequence[str]) -> Message:
        self._require_me()
        cached = self._seen.get(poll.id)
        if cached is None:
            raise InvalidParamError(
                "This engine worker has not seen that poll since it started", poll=poll.serialized
            )
        options = self._polls.get(poll.id)
        if options is not None and (unknown := [s for s in selected if s not in options]):
            raise InvalidParamError("Not an option of the poll", options=unknown)
        proto = await self._upstream(
            "Building the vote", self._client.build_poll_vote(cached[2], list(selected))
        )
        return await self._send(poll.chat_id, proto, body="", content=None)

    async def post_status(self, content: Content, *, recipients: Sequence[str]) -> Message:
        self._require_me()
        if recipients:
            log.info(
                "%s: status recipients are ignored; WhatsApp's status privacy applies",
                self._config.instance_id,
            )
        if not isinstance(content, StatusText | Image | Video | Audio):
            raise NotSupportedError("A status is text, an image, a video or a voice note")
        proto = await self._build(content, None)
        return await self._send(
            STATUS_BROADCAST, proto, body=display_text(content), content=content
        )

    async def delete_status(self, key: MessageKey) -> None:
        me = self._require_me()
        await self._upstream(
            "Deleting the status",
            self._client.revoke_message(
                pb.chat_id_to_jid(STATUS_BROADCAST), pb.chat_id_to_jid(me.id), key.id
            ),
        )

    # --- chats ---------------------------------------------------------------------------

    async def revoke(self, key: MessageKey, *, author: str | None) -> None:
        me = self._require_me()
        if key.from_me:
            sender = me.id
        elif key.chat_id.endswith("@g.us"):
            sender = self._group_author(key, author)  # WhatsApp refuses unless we are an admin
        else:
            raise InvalidParamError(
                "Only our own messages can be deleted for everyone in a direct chat",
                message_id=key.serialized,
            )
        await self._upstream(
            "Deleting the message",
            self._client.revoke_message(
                pb.chat_id_to_jid(key.chat_id), pb.chat_id_to_jid(sender), key.id
            ),
        )

    async def edit(self, key: MessageKey, text: str) -> None:
        self._require_me()
        if not key.from_me:
            raise InvalidParamError(
                "Only our own messages can be edited", message_id=key.serialized
            )
        await self._upstream(
            "Editing the message",
            self._client.edit_message(
                pb.chat_id_to_jid(key.chat_id), key.id, og.text_message(text)
            ),
        )

    async def pin(self, key: MessageKey, seconds: int, *, author: str | None) -> None:
        self._require_me()
        if seconds < 0:
            raise InvalidParamError("A pin lasts 0 (unpin) or more seconds", seconds=seconds)
        participant = None
        if not key.from_me and key.chat_id.endswith("@g.us"):
            participant = pb.chat_id_to_jid_string(self._group_author(key, author))
        proto = og.pin_message(key, seconds, participant=participant)
        await self._upstream(
            "Pinning the message" if seconds else "Unpinning the message",
            self._client.send_message(pb.chat_id_to_jid(key.chat_id), proto),
        )

    async def chat_picture(self, chat_id: str) -> str | None:
        self._require_me()
        return await self._picture_url(chat_id, "Reading the chat picture")

    async def change_chat(self, chat_id: str, change: ChatChange) -> None:
        raise NotSupportedError(APP_STATE_UNSUPPORTED)

    # --- profile and contacts ---------------------------------------------------------------

    async def profile(self) -> Profile:
        me = self._require_me()
        info = await self._user_info(me.id, "Reading the profile's About")
        return Profile(
            id=me.id,
            name=me.push_name,
            status=(info.Status if info is not None else "") or None,
            picture=await self._picture_url(me.id, "Reading the profile picture"),
        )

    async def set_profile_name(self, name: str) -> None:
        me = self._require_me()
        # neonize builds this app-state patch in Go (whatsmeow's BuildSettingPushName),
        # not through its broken send_app_state.
        await self._upstream("Changing the profile name", self._client.set_profile_name(name))
        self._me = dataclasses.replace(me, push_name=name)

    async def set_profile_status(self, status: str) -> None:
        self._require_me()
        await self._upstream("Changing the About", self._client.set_status_message(status))

    async def set_profile_picture(self, jpeg: bytes | None) -> None:
        self._require_me()
        if jpeg is None:
            raise NotSupportedError(PICTURE_REMOVAL_UNSUPPORTED)
        if not jpeg:
            raise InvalidParamError("The picture is empty")
        await self._upstream(
            "Setting the profile picture", self._client.set_profile_photo(bytes(jpeg))
        )

    async def contacts(self) -> list[Contact]:
        self._require_me()
        entries = await self._upstream(
            "Reading the contacts", self._client.contact.get_all_contacts()
        )
        blocked = await self._blocked()
        return [
            contact_of(chat_id, entry.Info, blocked)
            for entry in entries
            if (chat_id := pb.jid_to_chat_id(entry.JID))
        ]

    async def contact(self, chat_id: str) -> Contact:
        self._require_me()
        info = await self._upstream(
            "Reading the contact", self._client.contact.get_contact(pb.chat_id_to_jid(chat_id))
        )
        contact = contact_of(chat_id, info, await self._blocked())
        user = await self._user_info(chat_id, "Reading the contact")
        if user is not None and user.HasField("VerifiedName"):
            contact = dataclasses.replace(contact, is_business=True)
        return contact

    async def check_exists(self, phone: str) -> str | None:
        self._require_me()
        if not phone.isdigit():
            raise InvalidParamError("A phone number has only digits", phone=phone)
        # whatsmeow wants the international format with its "+"
        found = await self._upstream(
            "Checking the number", self._client.is_on_whatsapp(f"+{phone}")
        )
        return next((pb.jid_to_chat_id(answer.JID) for answer in found if answer.IsIn), None)

    async def about(self, chat_id: str) -> str | None:
        self._require_me()
        info = await self._user_info(chat_id, "Reading the About")
        return (info.Status if info is not None else "") or None

    async def block(self, chat_id: str, block: bool) -> None:
        self._require_me()
        action = BlocklistAction.BLOCK if block else BlocklistAction.UNBLOCK
        await self._upstream(
            "Blocking the contact" if block else "Unblocking the contact",
            self._client.update_blocklist(pb.chat_id_to_jid(chat_id), action),
        )

    async def save_contact(self, chat_id: str, first_name: str, last_name: str) -> None:
        # The address book is app state; neonize's contact.put_contact_name only writes
        # the local store, which the phone never sees.
        raise NotSupportedError(APP_STATE_UNSUPPORTED)


def create(config: BackendConfig, emit: Emit) -> ClientBackend:
    """The worker's factory: ``wagate.engines.whatsmeow.neonize_backend:create``."""
    os.environ["NEONIZE_BOT_TAG"] = "off"
    from neonize.aioze.client import NewAClient

    return NeonizeBackend(config, emit, client_factory=NewAClient)
