"""A stand-in for neonize's ``NewAClient`` that never talks to WhatsApp.

:class:`FakeNeonizeClient` has the subset of ``NewAClient``'s API that
:class:`~wagate.engines.whatsmeow.neonize_backend.NeonizeBackend` uses and delivers
recorded neonize protobuf events (from :mod:`wagate.engines.whatsmeow.recorded`) the way
neonize does: each handler call is its own task. It records what was sent.

Script:

* ``connect()``: when the device store says the device is linked, it reports ``Device``
  + ``Connected`` (the backend then emits ``LoggedIn``); otherwise it shows a QR code at
  once and a new one every ``qr_interval`` seconds. The store is a JSON file at the store
  path, or, for a ``postgres://`` store, rows of a ``whatsmeow_device`` table keyed by
  the device JID (only the columns the fake needs), opened as neonize opens them: by
  ``jid`` (a missing device kills the process, as the Go nil dereference does), as a
  ``new_device``, or else the first device in the table.
* "the phone scanned the QR": ``client.scan(phone)`` (backend op ``fake_scan(phone)``)
  writes the store and reports ``PairStatus`` success, ``Device`` and ``Connected``.
* ``PairPhone`` returns ``FAKE-CODE`` and links that phone ``pair_delay`` seconds later.
* profile and contacts live in memory: the push name (``me``), the About texts
  (``statuses``, by phone), the verified business names (``businesses``), the blocklist
  (``blocked``), the last profile photo (``photo``) and the contact store
  (``contact.entries``: the contact at ``recorded.CONTACT_PHONE``, saved as "Alice Smith",
  and the same person by ``recorded.CONTACT_LID``, known by push name only). Numbers
  ending in ``0000`` are not on WhatsApp and have no picture.
* groups live in memory too (:mod:`~wagate.engines.whatsmeow.fake_groups`): the account
  is in ``recorded.GROUP`` once linked, and can create, rename, join by link, leave…
* and channels (:mod:`~wagate.engines.whatsmeow.fake_channels`): the account follows
  ``recorded.CHANNEL`` once linked, and can create, follow, mute, read posts…
* "a contact sends a message": ``client.incoming(kind, **kw)`` (backend op
  ``fake_incoming(kind, **kw)``), ``kind`` naming a builder of
  :mod:`~wagate.engines.whatsmeow.recorded` (``text``, ``image``, ``receipt``, …); media
  get unique bytes that ``download_any`` returns (``data=`` sets them).

From another process (a test driving a server), write JSON lines to the control file
(:func:`control_path`): ``{"op": "scan", "phone": "4477…"}`` or
``{"op": "incoming", "kind": "text", "body": "hi"}``; the fake polls it while connected
and deletes it once read.

Worker: ``--backend wagate.engines.whatsmeow.fake:create``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from wagate.engines.whatsmeow import pgstore, recorded
from wagate.engines.whatsmeow import protos as pb
from wagate.engines.whatsmeow.backend import BackendConfig, ClientBackend, Emit
from wagate.engines.whatsmeow.convert import MEDIA_FIELDS
from wagate.engines.whatsmeow.fake_channels import FakeChannels
from wagate.engines.whatsmeow.fake_groups import FakeGroups
from wagate.engines.whatsmeow.neonize_backend import NeonizeBackend
from wagate.engines.whatsmeow.protos import quiet_neonize_import

with quiet_neonize_import():
    from neonize.builder import build_edit, build_revoke
    from neonize.exc import GetProfilePictureError
    from neonize.proto import Neonize_pb2 as N
    from neonize.proto.waVnameCert.WAWebProtobufsVnameCert_pb2 import VerifiedNameCertificate

log = logging.getLogger(__name__)

Handler = Callable[[Any, Any], Awaitable[None]]
FAKE_PAIRING_CODE = "FAKE-CODE"
_MEDIA_FIELDS = tuple(name for name, _ in MEDIA_FIELDS)


class FakeEvents:
    """``client.event``: ``event(EvClass)(handler)`` and ``event.qr(handler)``."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.qr_handler: Callable[[Any, bytes], Awaitable[None]] | None = None

    def __call__(self, event_type: type[Any]) -> Callable[[Handler], None]:
        def register(func: Handler) -> None:
            self.handlers[event_type.DESCRIPTOR.name] = func

        return register

    def qr(self, func: Callable[[Any, bytes], Awaitable[None]]) -> None:
        self.qr_handler = func


def control_path(device_store: str, instance_id: str) -> Path:
    """Where the fake client of ``instance_id`` reads its script from another process."""
    if not pgstore.is_postgres(device_store):
        return Path(f"{device_store}.control")
    digest = hashlib.sha256(device_store.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "wagate-fake-neonize" / f"{digest}-{instance_id}.control"


class _FileDevice:
    """One device in a JSON file (a SQLite store holds one device)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def load(self) -> dict[str, Any] | None:
        try:
            data = json.loads(await asyncio.to_thread(self.path.read_text, "utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("phone") else None

    async def save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self.path.write_text, json.dumps(data), "utf-8")

    async def delete(self, data: dict[str, Any] | None) -> None:
        self.path.unlink(missing_ok=True)


class _PostgresDevices:
    """Devices in a shared PostgreSQL store, chosen the way neonize chooses."""

    TABLE = (
        f"CREATE TABLE IF NOT EXISTS {pgstore.DEVICE_TABLE} "
        "(jid TEXT PRIMARY KEY, lid TEXT, push_name TEXT NOT NULL DEFAULT '')"
    )

    def __init__(self, dsn: str, jid: Any, new_device: bool) -> None:
        self.dsn = dsn
        self.jid = pb.device_jid_string(jid) if jid is not None else None
        self.new_device = new_device

    async def load(self) -> dict[str, Any] | None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute(self.TABLE)
            if self.new_device:
                return None
            query = f"SELECT jid, lid, push_name FROM {pgstore.DEVICE_TABLE}"
            if self.jid is None:
                row = await conn.fetchrow(query + " ORDER BY jid LIMIT 1")  # GetFirstDevice
            else:
                row = await conn.fetchrow(query + " WHERE jid = $1", self.jid)
                if row is None:  # neonize: NewClient(nil) → SIGSEGV, the worker dies
                    print("panic: invalid memory address or nil pointer dereference", flush=True)
                    os._exit(2)
        finally:
            await conn.close()
        if row is None:
            return None
        phone, device = row["jid"].partition("@")[0].split(":")
        return {"phone": phone, "device": int(device), "lid": row["lid"], "push_name": row[2]}

    async def save(self, data: dict[str, Any]) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute(self.TABLE)
            await conn.execute(
                f"INSERT INTO {pgstore.DEVICE_TABLE} (jid, lid, push_name) VALUES ($1, $2, $3)",
                _device_jid(data),
                data["lid"],
                data["push_name"],
            )
        finally:
            await conn.close()
        self.jid, self.new_device = _device_jid(data), False

    async def delete(self, data: dict[str, Any] | None) -> None:
        if data is not None:
            await pgstore.delete_device(self.dsn, _device_jid(data))


def _device_jid(data: dict[str, Any]) -> str:
    return f"{data['phone']}:{data.get('device', recorded.ME_DEVICE)}@s.whatsapp.net"


def contact_info(
    *, first: str = "", full: str = "", push: str = "", business: str = "", found: bool = True
) -> Any:
    """A contact-store entry as neonize returns it (every proto2-required field set)."""
    return N.ContactInfo(
        Found=found,
        FirstName=first,
        FullName=full,
        PushName=push,
        BusinessName=business,
        RedactedPhone="",
    )


class FakeContactStore:
    """``client.contact``: whatsmeow's local contact store, keyed by (user, server)."""

    def __init__(self, check: Callable[..., None]) -> None:
        self._check = check
        self.entries: dict[tuple[str, str], Any] = {
            (recorded.CONTACT_PHONE, "s.whatsapp.net"): contact_info(
                first="Alice", full="Alice Smith", push="Alice"
            ),
            (recorded.CONTACT_LID, "lid"): contact_info(push="Alice"),
        }

    async def get_all_contacts(self) -> list[Any]:
        self._check("contact.get_all_contacts")
        return [
            N.Contact(JID=recorded.jid(user, server), Info=info)
            for (user, server), info in self.entries.items()
        ]

    async def get_contact(self, user: Any) -> Any:
        """As whatsmeow: an unknown JID is no error, just ``Found=False``."""
        self._check("contact.get_contact", user)
        found = self.entries.get((user.User, user.Server))
        return found if found is not None else contact_info(found=False)


class FakeNeonizeClient(FakeGroups, FakeChannels):
    qr_interval = 20.0
    pair_delay = 0.2
    control_poll = 0.2
    download_delay = 0.0  # seconds download_any takes (to test ordering)

    def __init__(
        self,
        name: str,
        jid: Any = None,
        props: Any = None,
        uuid: str | None = None,
        new_device: bool = False,
    ) -> None:
        self.name = name
        self.props = props
        self.uuid = (uuid or name).encode()
        self.devices: _FileDevice | _PostgresDevices = (
            _PostgresDevices(name, jid, new_device)
            if pgstore.is_postgres(name)
            else _FileDevice(Path(name))
        )
        self._data: dict[str, Any] | None = None  # the linked device
        self.event = FakeEvents()
        self.me: Any = None
        self.connected = False
        self.sent: list[tuple[Any, Any]] = []  # (JID proto, waE2E.Message proto)
        self.uploads: list[tuple[bytes, Any]] = []
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.media: dict[str, bytes] = {}
        self.fail: dict[str, str] = {}  # op name → error message to raise once
        self.contact = FakeContactStore(self._check)
        self.statuses: dict[str, str] = {
            recorded.ME_PHONE: "Hey there! I am using WhatsApp.",
            recorded.CONTACT_PHONE: "At the gym",
        }
        self.businesses: dict[str, str] = {}  # phone → verified business name
        self.blocked: list[Any] = []  # JIDs
        self.photo: bytes | None = None
        self._init_groups()
        self._init_channels()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stop: asyncio.Event | None = None
        self._counter = 0
        self.qr_count = 0

    @property
    def control(self) -> Path:
        return control_path(self.name, self.uuid.decode())

    # --- delivery (as neonize: one task per handler call) ------------------------------------

    def deliver(self, event: Any) -> None:
        if type(event).__name__ == "Device":
            self.me = event  # neonize keeps code-0 events as client.me
            return
        handler = self.event.handlers.get(event.DESCRIPTOR.name)
        if handler is not None:
            self._spawn(handler(self, event))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _check(self, op: str, *args: Any) -> None:
        self.calls.append((op, args))
        if op in self.fail:
            raise RuntimeError(self.fail.pop(op))

    # --- lifecycle ------------------------------------------------------------------------

    async def connect(self) -> asyncio.Task[None]:
        self._check("connect")
        self._stop = asyncio.Event()
        task = asyncio.get_running_loop().create_task(self._run(self._stop))
        return task

    async def _run(self, stop: asyncio.Event) -> None:
        linked = await self.devices.load()
        if linked is not None:
            self._link(linked, pair=False)
        poller = asyncio.ensure_future(self._poll_control(stop))
        try:
            while not stop.is_set():
                if not self.connected:
                    self.qr_count += 1
                    code = f"2@fake-qr-{self.uuid.decode()}-{self.qr_count},key,adv"
                    if self.event.qr_handler is not None:
                        self._spawn(self.event.qr_handler(self, code.encode()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.qr_interval)
        finally:
            poller.cancel()
            self.connected = False

    async def _poll_control(self, stop: asyncio.Event) -> None:
        control = self.control
        while not stop.is_set():
            if control.exists():
                try:
                    lines = control.read_text("utf-8").splitlines()
                    control.unlink()
                    for line in filter(None, (raw.strip() for raw in lines)):
                        self._control(json.loads(line))
                except Exception:
                    log.exception("fake neonize: bad control file %s", control)
            await asyncio.sleep(self.control_poll)

    def _control(self, command: dict[str, Any]) -> None:
        op = command.pop("op")
        if op == "scan":
            self.scan(str(command["phone"]))
        elif op == "incoming":
            self.incoming(str(command.pop("kind")), **command)
        else:
            raise ValueError(f"unknown control op {op!r}")

    def _link(self, data: dict[str, Any], *, pair: bool) -> None:
        self._data = data
        phone = str(data["phone"])
        device = int(data.get("device", recorded.ME_DEVICE))
        if pair:
            self.deliver(recorded.pair_success(phone, device=device))
        self.deliver(
            recorded.device(
                phone,
                str(data.get("lid") or recorded.ME_LID),
                str(data.get("push_name") or "Wagate Test"),
                device=device,
            )
        )
        self._seed_groups(phone, str(data.get("lid") or recorded.ME_LID))
        self._seed_channels()
        self.connected = True
        self.deliver(recorded.connected())

    def scan(self, phone: str, *, lid: str | None = None, push_name: str = "Wagate Test") -> None:
        """The phone scanned the QR code: persist, link, connect."""
        data = {"phone": phone, "lid": lid or recorded.ME_LID, "push_name": push_name}

        async def link() -> None:
            await self.devices.save(data)
            self._link(data, pair=True)

        self._spawn(link())

    def incoming(self, kind: str, *, data: str | bytes | None = None, **kw: Any) -> Any:
        """Deliver ``recorded.<kind>(**kw)``; media get bytes ``download_any`` returns."""
        builder = getattr(recorded, kind, None)
        if builder is None or kind.startswith("_"):
            raise ValueError(f"no recorded event {kind!r}")
        event = builder(**kw)
        if type(event).__name__ == "Message":
            self._counter += 1
            if "msg_id" not in kw:
                event.Info.ID = f"3EB0FAKEIN{self._counter:010d}"
            self._attach_media(event, data)
        self.deliver(event)
        return event

    def _attach_media(self, event: Any, data: str | bytes | None) -> None:
        msg = event.Message
        if msg.HasField("documentWithCaptionMessage"):
            msg = msg.documentWithCaptionMessage.message
        for name in _MEDIA_FIELDS:
            if msg.HasField(name):
                part = getattr(msg, name)
                blob = data.encode() if isinstance(data, str) else data
                if blob is None:
                    blob = f"fake {name} {event.Info.ID}".encode()
                part.directPath = f"/fake/{event.Info.ID}"
                part.fileLength = len(blob)
                part.fileSHA256 = hashlib.sha256(blob).digest()
                self.media[part.directPath] = blob
                event.Raw.CopyFrom(event.Message)

    async def disconnect(self) -> None:
        self._check("disconnect")
        if self._stop is not None:
            self._stop.set()

    async def stop(self) -> None:
        self._check("stop")
        if self._stop is not None:
            self._stop.set()

    async def logout(self) -> None:
        self._check("logout")
        await self.devices.delete(self._data)
        self._data = None
        self.me = None
        if self._stop is not None:
            self._stop.set()

    async def PairPhone(
        self,
        phone: str,
        show_push_notification: bool,
        client_name: Any = None,
        client_type: Any = None,
    ) -> str:
        self._check("PairPhone", phone, show_push_notification, client_name, client_type)
        if self._stop is None or self._stop.is_set():
            raise RuntimeError("client is nil")

        async def link_later() -> None:
            await asyncio.sleep(self.pair_delay)
            self.scan(phone)

        self._spawn(link_later())
        return FAKE_PAIRING_CODE

    async def get_me(self) -> Any:
        self._check("get_me")
        return self.me if self.me is not None else N.Device()

    # --- messaging -------------------------------------------------------------------------

    async def send_message(self, to: Any, message: Any, **_: Any) -> Any:
        self._check("send_message", to, message)
        self._counter += 1
        self.sent.append((to, message))
        return N.SendResponse(
            ID=f"3EB0FAKEOUT{self._counter:09d}", Timestamp=int(time.time()), ServerID=0
        )

    async def upload(self, binary: bytes, media_type: Any = None) -> Any:
        self._check("upload", media_type)
        self.uploads.append((binary, media_type))
        digest = hashlib.sha256(binary).digest()
        path = f"/fake/upload/{digest.hex()[:16]}"
        self.media[path] = binary
        return N.UploadResponse(
            url=f"https://mmg.whatsapp.net{path}",
            DirectPath=path,
            Handle="",
            MediaKey=b"k" * 32,
            FileEncSHA256=digest,
            FileSHA256=digest,
            FileLength=len(binary),
        )

    async def download_any(self, message: Any, path: str | None = None) -> bytes | None:
        self._check("download_any")
        if self.download_delay:
            await asyncio.sleep(self.download_delay)
        for name in _MEDIA_FIELDS:
            if message.HasField(name):
                data = self.media.get(getattr(message, name).directPath)
                if data is None:
                    raise RuntimeError("failed to download media: 404")
                if path:
                    await asyncio.to_thread(Path(path).write_bytes, data)
                    return None
                return data
        raise RuntimeError("no media in message")

    async def mark_read(
        self, *message_ids: str, chat: Any, sender: Any, receipt: Any, timestamp: int | None = None
    ) -> None:
        self._check("mark_read", message_ids, chat, sender, receipt)

    async def send_chat_presence(self, jid: Any, state: Any, media: Any) -> None:
        self._check("send_chat_presence", jid, state, media)

    async def send_presence(self, presence: Any) -> None:
        self._check("send_presence", presence)

    async def subscribe_presence(self, jid: Any) -> None:
        self._check("subscribe_presence", jid)

    async def revoke_message(self, chat: Any, sender: Any, message_id: str) -> Any:
        """As neonize: sends the revoke that ``build_revoke`` makes (see ``sent``)."""
        self._check("revoke_message", chat, sender, message_id)
        me = await self.get_me()
        return await self.send_message(chat, build_revoke(chat, sender, message_id, me.JID))

    async def edit_message(self, chat: Any, message_id: str, new_message: Any) -> Any:
        """As neonize: sends the edit that ``build_edit`` makes (see ``sent``)."""
        self._check("edit_message", chat, message_id, new_message)
        return await self.send_message(chat, build_edit(chat, message_id, new_message))

    async def get_profile_picture(self, jid: Any, extra: Any = None) -> Any:
        """A picture URL for users and groups; users whose number ends in ``0000`` have
        none (neonize raises what whatsmeow answers then)."""
        self._check("get_profile_picture", jid, extra)
        if jid.Server == "s.whatsapp.net" and jid.User.endswith("0000"):
            raise GetProfilePictureError(
                N.GetProfilePictureReturnFunction(
                    Error="that user or group does not have a profile picture: "
                    "info query returned status 404: item-not-found"
                )
            )
        if jid.Server not in ("s.whatsapp.net", "g.us"):
            return N.ProfilePictureInfo()
        return N.ProfilePictureInfo(
            URL=f"https://pps.whatsapp.net/fake/{jid.User}.jpg",
            ID="1700000000",
            Type="image",
            DirectPath=f"/fake/{jid.User}.jpg",
        )

    # --- profile and contacts ------------------------------------------------------------

    def _own_user(self) -> str:
        return str(self.me.JID.User) if self.me is not None else recorded.ME_PHONE

    async def get_user_info(self, *jid: Any) -> list[Any]:
        self._check("get_user_info", *jid)
        return [N.GetUserInfoSingleReturnFunction(JID=j, UserInfo=self._user_info(j)) for j in jid]

    def _user_info(self, jid: Any) -> Any:
        info = N.UserInfo(Status=self.statuses.get(jid.User, ""), PictureID="", Devices=[])
        business = self.businesses.get(jid.User)
        if business is not None:  # neonize sets VerifiedName for businesses only
            details = VerifiedNameCertificate.Details(
                serial=1, issuer="smb:wa", verifiedName=business
            )
            info.VerifiedName.CopyFrom(N.VerifiedName(Details=details))
        return info

    async def set_profile_name(self, name: str) -> None:
        self._check("set_profile_name", name)
        if self.me is not None:
            self.me.PushName = name

    async def set_status_message(self, msg: str) -> None:
        self._check("set_status_message", msg)
        self.statuses[self._own_user()] = msg

    async def set_profile_photo(self, file_or_bytes: str | bytes) -> str:
        self._check("set_profile_photo", file_or_bytes)
        if isinstance(file_or_bytes, str):
            file_or_bytes = await asyncio.to_thread(Path(file_or_bytes).read_bytes)
        self.photo = file_or_bytes
        return str(int(time.time()))

    async def is_on_whatsapp(self, *numbers: str) -> list[Any]:
        """Everyone is on WhatsApp but numbers ending in ``0000``."""
        self._check("is_on_whatsapp", *numbers)
        return [
            N.IsOnWhatsAppResponse(
                Query=f"{number}@c.us",
                JID=recorded.jid(number.removeprefix("+")),
                IsIn=not number.endswith("0000"),
            )
            for number in numbers
        ]

    async def update_blocklist(self, jid: Any, action: Any) -> Any:
        self._check("update_blocklist", jid, action)
        key = (jid.User, jid.Server)
        self.blocked = [j for j in self.blocked if (j.User, j.Server) != key]
        if action.value == "block":
            self.blocked.append(recorded.jid(jid.User, jid.Server))
        return self._blocklist()

    async def get_blocklist(self) -> Any:
        self._check("get_blocklist")
        return self._blocklist()

    def _blocklist(self) -> Any:
        names = sorted(f"{j.User}@{j.Server}" for j in self.blocked)
        digest = hashlib.sha256(" ".join(names).encode()).hexdigest()[:16]
        return N.Blocklist(DHash=digest, JIDs=self.blocked)

    async def build_poll_vote(self, poll_info: Any, option_names: list[str]) -> Any:
        self._check("build_poll_vote", poll_info, option_names)
        from neonize.proto.waCommon.WACommon_pb2 import MessageKey as KeyProto
        from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E

        src = poll_info.MessageSource
        key = KeyProto(
            remoteJID=f"{src.Chat.User}@{src.Chat.Server}", fromMe=src.IsFromMe, ID=poll_info.ID
        )
        return E.Message(
            pollUpdateMessage=E.PollUpdateMessage(
                pollCreationMessageKey=key,
                vote=E.PollEncValue(encPayload=json.dumps(option_names).encode(), encIV=b"iv"),
                senderTimestampMS=int(time.time() * 1000),
            )
        )

    async def decrypt_poll_vote(self, message: Any) -> Any:
        """The fake "decrypts" votes it built: the payload is the JSON option list."""
        self._check("decrypt_poll_vote")
        from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E

        names = json.loads(message.Message.pollUpdateMessage.vote.encPayload or b"[]")
        return E.PollVoteMessage(
            selectedOptions=[hashlib.sha256(n.encode()).digest() for n in names]
        )


class FakeNeonizeBackend(NeonizeBackend):
    """A NeonizeBackend on the fake client, with test ops the worker can call by name."""

    @property
    def fake(self) -> FakeNeonizeClient:
        client = self.client
        if not isinstance(client, FakeNeonizeClient):
            raise RuntimeError("connect first")
        return client

    async def fake_scan(self, phone: str) -> None:
        self.fake.scan(phone)

    async def fake_incoming(self, kind: str, **kw: Any) -> str:
        event = self.fake.incoming(kind, **kw)
        info = getattr(event, "Info", None)
        return str(info.ID) if info is not None else ""


def create(config: BackendConfig, emit: Emit) -> ClientBackend:
    """``--backend wagate.engines.whatsmeow.fake:create``."""
    return FakeNeonizeBackend(config, emit, client_factory=FakeNeonizeClient)
