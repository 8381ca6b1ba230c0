"""The chats table and the chat queries of the messages table, on SQLite and PostgreSQL."""

from __future__ import annotations

from wagate.domain.messages import Ack, Message, MessageKey
from wagate.domain.models import Session
from wagate.store import Database

ME = "447441429009@c.us"
ALICE, BOB = "447441420001@c.us", "447441420002@c.us"
GROUP = "120363000000000001@g.us"


async def session(db: Database) -> str:
    token = await db.tokens.create(name="t", token_hash="t".ljust(64, "0"), is_admin=False)
    await db.sessions.create(
        Session(instance_id="AAAAAAAAAAAA", name="s", owner_token_id=token.id, engine="sandbox")
    )
    return "AAAAAAAAAAAA"


def message(chat: str, n: int, *, ts: int, from_me: bool = False, name: str = "") -> Message:
    return Message(
        key=MessageKey(chat_id=chat, id=f"3EB0{n:016d}", from_me=from_me),
        timestamp=ts,
        sender=ME if from_me else chat,
        recipient=chat if from_me else ME,
        body=f"m{n}",
        ack=Ack.SERVER if from_me else Ack.DEVICE,
        push_name=name or None,
    )


async def save(db: Database, instance: str, *messages: Message) -> None:
    async with db.transaction() as conn:
        for m in messages:
            await db.messages.save(conn, instance, m)
            await db.chats.touch(conn, instance, m, unread=not m.key.from_me)


async def test_chats_follow_their_messages(database: Database) -> None:
    instance = await session(database)
    await save(
        database,
        instance,
        message(ALICE, 1, ts=100, name="Alice"),
        message(ALICE, 2, ts=300),  # no name: the known one stays
        message(ALICE, 3, ts=200, from_me=True),  # older than the newest: time stays
        message(BOB, 4, ts=250, name="Bob"),
    )
    chats = await database.chats.list(instance, limit=10, offset=0)
    assert [(c.id, c.name, c.timestamp, c.unread_count) for c in chats] == [
        (ALICE, "Alice", 300, 2),
        (BOB, "Bob", 250, 1),
    ]
    by_name = await database.chats.list(
        instance, limit=10, offset=0, sort_by="name", descending=False
    )
    assert [c.id for c in by_name] == [ALICE, BOB]
    only_bob = await database.chats.list(instance, limit=10, offset=0, ids=[BOB, GROUP])
    assert [c.id for c in only_bob] == [BOB]

    last = await database.messages.last_of(instance, [ALICE, BOB, GROUP])
    assert {chat: m.body for chat, m in last.items()} == {ALICE: "m2", BOB: "m4"}


async def test_flags_names_clearing_and_deleting(database: Database) -> None:
    instance = await session(database)
    await save(database, instance, message(ALICE, 1, ts=100), message(ALICE, 2, ts=110))
    await database.chats.set_flags(instance, ALICE, timestamp=110, archived=True)
    await database.chats.set_flags(instance, ALICE, timestamp=110, marked_unread=True)
    chat = await database.chats.get(instance, ALICE)
    assert chat is not None
    assert (chat.archived, chat.marked_unread, chat.unread_count) == (True, True, 2)
    await database.chats.set_flags(instance, ALICE, timestamp=110, read=True)
    chat = await database.chats.get(instance, ALICE)
    assert chat is not None
    assert (chat.archived, chat.marked_unread, chat.unread_count) == (True, False, 0)

    # a chat the store has not seen yet is created by a flag or a group's subject
    await database.chats.set_flags(instance, BOB, timestamp=50, archived=True)
    async with database.transaction() as conn:
        await database.chats.set_name(conn, instance, GROUP, "Shop team", 60)
    group = await database.chats.get(instance, GROUP)
    assert group is not None
    assert (group.name, group.timestamp, group.is_group) == ("Shop team", 60, True)

    assert await database.chats.clear(instance, ALICE) == 2
    assert await database.messages.list_chat(instance, ALICE) == []
    assert await database.chats.get(instance, ALICE) is not None
    await database.chats.delete(instance, ALICE)
    assert await database.chats.get(instance, ALICE) is None


async def test_message_filters_and_revoking(database: Database) -> None:
    instance = await session(database)
    await save(
        database,
        instance,
        message(ALICE, 1, ts=100),
        message(ALICE, 2, ts=200, from_me=True),
        message(ALICE, 3, ts=300),
    )
    bodies = [m.body for m in await database.messages.list_chat(instance, ALICE)]
    assert bodies == ["m3", "m2", "m1"]
    window = await database.messages.list_chat(instance, ALICE, since=150, until=300)
    assert [m.body for m in window] == ["m3", "m2"]
    theirs = await database.messages.list_chat(instance, ALICE, from_me=False)
    assert [m.body for m in theirs] == ["m3", "m1"]
    served = await database.messages.list_chat(instance, ALICE, ack=Ack.SERVER)
    assert [m.body for m in served] == ["m2"]

    key = MessageKey(chat_id=ALICE, id=f"3EB0{1:016d}", from_me=False)
    async with database.transaction() as conn:
        await database.messages.set_revoked(conn, instance, key)
    revoked = await database.messages.get(instance, key)
    assert revoked is not None
    assert (revoked.revoked, revoked.body, revoked.content) == (True, "", None)
