"""neonize's protobuf basics: importing neonize quietly, JIDs ↔ wagate chat ids, times
and JSON. Pure functions, shared by the conversions in both directions."""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]

from wagate.domain.ids import STATUS_BROADCAST


@contextlib.contextmanager
def quiet_neonize_import() -> Iterator[None]:
    """Import neonize without its leaks: its import runs ``os.popen("uname -a")`` twice
    and never closes the pipes, which surfaces later as a ResourceWarning (an error under
    pytest's ``filterwarnings=error``). Within this block ``os.popen`` reads and closes."""
    real = os.popen

    def popen(cmd: str, mode: str = "r", buffering: int = -1) -> Any:
        with real(cmd, mode, buffering) as pipe:
            return io.StringIO(pipe.read())

    setattr(os, "popen", popen)  # noqa: B010
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            yield
    finally:
        setattr(os, "popen", real)  # noqa: B010


with quiet_neonize_import():
    from neonize.proto import Neonize_pb2 as N


# --- ids -------------------------------------------------------------------------------

_SERVER_TO_SUFFIX = {
    "s.whatsapp.net": "c.us",
    "c.us": "c.us",
    "g.us": "g.us",
    "lid": "lid",
    "newsletter": "newsletter",
    "broadcast": "broadcast",
}
_SUFFIX_TO_SERVER = {"c.us": "s.whatsapp.net", "s.whatsapp.net": "s.whatsapp.net"}


def jid_to_chat_id(jid: Any) -> str:
    """A neonize JID proto → a wagate chat id (device part dropped); ``""`` if empty."""
    user, server = str(jid.User), str(jid.Server)
    if not server or (jid.HasField("IsEmpty") and jid.IsEmpty and not user):
        return ""
    suffix = _SERVER_TO_SUFFIX.get(server, server)
    return f"{user}@{suffix}" if user else suffix


def jid_string_to_chat_id(text: str) -> str:
    """``"4477…:3@s.whatsapp.net"`` (a JID as text, e.g. in a MessageKey) → a chat id."""
    if not text:
        return ""
    user, _, server = text.partition("@")
    user = user.split(":")[0].split(".")[0]
    suffix = _SERVER_TO_SUFFIX.get(server, server)
    return f"{user}@{suffix}" if user else suffix


def chat_id_to_jid(chat_id: str) -> Any:
    """A wagate chat id → a neonize JID proto (all required fields set)."""
    if chat_id == STATUS_BROADCAST:
        user, server = "status", "broadcast"
    else:
        user, sep, suffix = chat_id.partition("@")
        if not sep:
            user, suffix = chat_id, "c.us"
        server = _SUFFIX_TO_SERVER.get(suffix, suffix)
    return N.JID(User=user, RawAgent=0, Device=0, Integrator=0, Server=server, IsEmpty=False)


def device_jid_string(jid: Any) -> str:
    """A JID proto as whatsmeow writes it, device included (``"4477…:12@s.whatsapp.net"``);
    whatsmeow keys its device store by this text."""
    user = str(jid.User)
    if jid.RawAgent:
        user = f"{user}.{jid.RawAgent}"
    if jid.Device:
        user = f"{user}:{jid.Device}"
    return f"{user}@{jid.Server}"


def device_jid_from_string(text: str) -> Any:
    """The inverse of :func:`device_jid_string`: a JID proto to resume that device."""
    user, _, server = text.partition("@")
    user, _, device = user.partition(":")
    user, _, agent = user.partition(".")
    return N.JID(
        User=user,
        RawAgent=int(agent or 0),
        Device=int(device or 0),
        Integrator=0,
        Server=server,
        IsEmpty=False,
    )


def chat_id_to_jid_string(chat_id: str) -> str:
    jid = chat_id_to_jid(chat_id)
    return f"{jid.User}@{jid.Server}"


def user_of(chat_id: str | None) -> str:
    return (chat_id or "").partition("@")[0]


def raw_json(proto: Any) -> dict[str, Any]:
    """A proto as a JSON-ready dict (bytes as base64), for ``_data`` and raw events."""
    data: dict[str, Any] = MessageToDict(proto, preserving_proto_field_name=True)
    return data


def seconds(value: int) -> int:
    """Seconds since the epoch from neonize's seconds or milliseconds."""
    value = int(value)
    if value <= 0:
        return 0
    return value // 1000 if value > 100_000_000_000 else value


def link_code(code_or_link: str, prefixes: Sequence[str]) -> str:
    """The code at the end of an invite link (``https://chat.whatsapp.com/<code>``…), its
    ``prefixes`` (lower case) taken off in order and any ``?query`` dropped; a bare code
    comes back as it is."""
    code = code_or_link.strip()
    for prefix in prefixes:
        if code.lower().startswith(prefix):
            code = code[len(prefix) :]
    return code.partition("?")[0].strip("/")
