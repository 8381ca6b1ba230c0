"""Recorded neonize events for tests: every kind wagate converts, built with neonize's own
protobuf classes (the builders live in ``wagate.engines.whatsmeow.recorded`` so the fake
client, which runs in worker processes, can use them too).

``EVENTS`` names one instance of each; ``make_bins.py`` serialises them to ``bin/`` (the
bytes neonize's Go side hands to Python) and ``load_bin`` parses one back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wagate.engines.whatsmeow import recorded as R
from wagate.engines.whatsmeow.recorded import N

BIN_DIR = Path(__file__).parent / "bin"
ME = f"{R.ME_PHONE}@c.us"
ME_LID = f"{R.ME_LID}@lid"
CONTACT = f"{R.CONTACT_PHONE}@c.us"
CONTACT_LID = f"{R.CONTACT_LID}@lid"
GROUP = f"{R.GROUP}@g.us"


def events() -> dict[str, Any]:
    """name → a populated neonize event proto."""
    me_jid = f"{R.ME_PHONE}@s.whatsapp.net"
    return {
        "text": R.text("hello"),
        "reply_to_me": R.reply("re", "3EB0ORIGINAL", me_jid, mentions=(me_jid,)),
        "reply_to_contact": R.reply("re", "3EB0THEIRS", f"{R.CONTACT_PHONE}@s.whatsapp.net"),
        "image": R.image("a photo"),
        "video": R.video("a clip"),
        "video_note": R.video(note=True),
        "voice": R.audio(voice=True),
        "audio_file": R.audio(voice=False),
        "document": R.document(),
        "location": R.location(),
        "contact": R.contact(),
        "contacts": R.contacts(),
        "poll_v1": R.poll(1, multiple=True),
        "poll_v2": R.poll(2, multiple=True),
        "poll_v3": R.poll(3, multiple=False),
        "event_invite": R.event_invite(),
        "reaction": R.reaction("3EB0MINE", "👍", target_from_me=False),
        "revoke": R.revoke("3EB0GONE"),
        "edit": R.edit("3EB0OLD", "edited text"),
        "group_text": R.group_text(),
        "lid_dm_text": R.lid_dm_text(),
        "own_text": R.text("from my phone", src=R.dm_source(from_me=True)),
        "receipt_delivered": R.receipt("DELIVERED", "3EB0A", "3EB0B"),
        "receipt_read_group": R.receipt("READ", "3EB0A", group=True),
        "receipt_played": R.receipt("PLAYED", "3EB0A"),
        "receipt_server_error": R.receipt("SERVER_ERROR", "3EB0A"),
        "receipt_read_self": R.receipt("READ_SELF", "3EB0A"),
        "presence_online": R.presence(online=True),
        "presence_offline": R.presence(online=False, last_seen=R.TS - 60),
        "typing": R.chat_presence("COMPOSING", "TEXT"),
        "recording": R.chat_presence("COMPOSING", "AUDIO"),
        "paused": R.chat_presence("PAUSED", "TEXT"),
        "qr": R.qr("2@code-one,k,a", "2@code-two,k,a"),
        "pair_success": R.pair_success(),
        "connected": R.connected(),
        "logged_out": R.logged_out(),
        "stream_replaced": R.stream_replaced(),
        "temporary_ban": R.temporary_ban(),
        "connect_failure": R.connect_failure(),
        "client_outdated": R.client_outdated(),
        "disconnected": R.disconnected(),
        "keepalive_timeout": R.keepalive_timeout(),
        "call_offer_video": R.call_offer(video=True),
        "call_offer_voice": R.call_offer(video=False),
        "call_accept": R.call_accept(),
        "call_terminate": R.call_terminate(),
        "picture": R.picture(),
        "joined_group": R.joined_group("Shop team"),
        "group_members_added": R.group_info(join=["447700900555", "447700900556"]),
        "group_member_left": R.group_info(leave=[R.CONTACT_PHONE], by=R.CONTACT_PHONE),
        "group_promoted": R.group_info(promote=["447700900555"]),
        "group_settings": R.group_info(subject="New name", description="", announce=False),
        "channel_post": R.channel_post("news of the day"),
        "channel_left": R.channel_left(),
    }


def load_bin(path: Path) -> Any:
    """``<name>.<EventType>.bin`` → the event proto."""
    type_name = path.name.split(".")[1]
    return getattr(N, type_name).FromString(path.read_bytes())
