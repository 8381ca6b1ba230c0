"""Phone id ↔ lid pairs: the repository on SQLite and PostgreSQL, and the directory that
fills payloads with them."""

from __future__ import annotations

from typing import Any

from wagate.domain.models import Me, Session
from wagate.services.lids import LidDirectory
from wagate.store import Database

ALICE, ALICE_LID = "447441420001@c.us", "100000000000001@lid"
BOB, BOB_LID = "447441420002@c.us", "100000000000002@lid"
ME, ME_LID = "447441429009@c.us", "100000000000009@lid"


async def session(db: Database, instance_id: str = "AAAAAAAAAAAA") -> Session:
    token = await db.tokens.create(name="t", token_hash="t".ljust(64, "0"), is_admin=False)
    created = Session(
        instance_id=instance_id,
        name="shop",
        owner_token_id=token.id,
        engine="sandbox",
        me=Me(id=ME, lid=ME_LID),
    )
    await db.sessions.create(created)
    return created


async def learn(db: Database, directory: LidDirectory, instance_id: str, *pairs: Any) -> None:
    news = directory.news(instance_id, pairs)
    async with db.transaction() as conn:
        await directory.save(conn, instance_id, news)
    directory.remember(instance_id, news)


async def test_pairs_are_saved_listed_counted_and_the_newest_wins(database: Database) -> None:
    s = await session(database)
    async with database.transaction() as conn:
        await database.lids.save(conn, s.instance_id, [(ALICE, ALICE_LID), (BOB, BOB_LID)])
        await database.lids.save(conn, s.instance_id, [(ALICE, BOB_LID)])  # a lid moved
    assert await database.lids.count(s.instance_id) == 2
    assert await database.lids.list(s.instance_id, limit=10, offset=0) == [
        (ALICE, ALICE_LID),
        (ALICE, BOB_LID),
    ]
    assert await database.lids.list(s.instance_id, limit=1, offset=1) == [(ALICE, BOB_LID)]
    assert sorted(await database.lids.lookup(s.instance_id, [ALICE])) == [
        (ALICE, ALICE_LID),
        (ALICE, BOB_LID),
    ]
    assert await database.lids.lookup(s.instance_id, [BOB]) == []
    assert await database.lids.count("BBBBBBBBBBBB") == 0
    # they go with their session
    await database.sessions.delete(s.instance_id)
    assert await database.lids.count(s.instance_id) == 0


async def test_payloads_name_people_by_phone_with_their_lid_beside(database: Database) -> None:
    s = await session(database)
    directory = LidDirectory(database.lids)
    await learn(database, directory, s.instance_id, (ALICE, ALICE_LID))
    message: dict[str, Any] = {"from": ALICE, "to": ME, "participant": None, "body": "hi"}
    by_lid: dict[str, Any] = {"chatId": ALICE_LID, "from": ALICE_LID, "type": "composing"}
    vote: dict[str, Any] = {"vote": {"from": ALICE, "to": ME}, "poll": {"id": "x"}}
    unknown: dict[str, Any] = {"from": BOB, "chatId": "1203630@g.us"}
    await directory.fill(s, [message, by_lid, vote, unknown])
    assert message == {
        "from": ALICE,
        "fromLid": ALICE_LID,
        "to": ME,
        "toLid": ME_LID,  # the session's own, from its me
        "participant": None,
        "body": "hi",
    }
    assert by_lid == {
        "chatId": ALICE,
        "chatIdLid": ALICE_LID,
        "from": ALICE,
        "fromLid": ALICE_LID,
        "type": "composing",
    }
    assert vote["vote"] == {"from": ALICE, "fromLid": ALICE_LID, "to": ME, "toLid": ME_LID}
    assert unknown == {"from": BOB, "chatId": "1203630@g.us"}


async def test_a_new_directory_reads_what_an_earlier_one_saved(database: Database) -> None:
    s = await session(database)
    await learn(database, LidDirectory(database.lids), s.instance_id, (BOB, BOB_LID))
    fresh = LidDirectory(database.lids)  # as after a restart
    payload: dict[str, Any] = {"from": BOB_LID}
    await fresh.fill(s, [payload])
    assert payload == {"from": BOB, "fromLid": BOB_LID}
    # known pairs are not news: nothing to write again
    assert fresh.news(s.instance_id, [(BOB, BOB_LID)]) == []
    assert fresh.news(s.instance_id, [(ALICE, ALICE_LID)]) == [(ALICE, ALICE_LID)]
    assert await fresh.list(s.instance_id, limit=50, offset=0) == [{"lid": BOB_LID, "pn": BOB}]
    assert await fresh.count(s.instance_id) == 1
