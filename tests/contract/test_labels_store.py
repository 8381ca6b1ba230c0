"""Labels and the chats they are on, on SQLite and PostgreSQL."""

from __future__ import annotations

from wagate.domain.labels import Label
from wagate.domain.models import Session
from wagate.store import Database

ALICE, BOB = "447441420001@c.us", "447441420002@c.us"


async def test_labels_round_trip(database: Database) -> None:
    token = await database.tokens.create(name="t", token_hash="t".ljust(64, "0"), is_admin=False)
    await database.sessions.create(
        Session(instance_id="AAAAAAAAAAAA", name="s", owner_token_id=token.id, engine="sandbox")
    )
    instance = "AAAAAAAAAAAA"
    async with database.transaction() as conn:
        made = [
            await database.labels.create(
                conn, instance, Label(id="", name=name, color=i, color_hex="#ff9485")
            )
            for i, name in enumerate(["a", "b", "c"] * 4)
        ]
    assert [label.id for label in made] == [str(n) for n in range(1, 13)]
    assert [label.id for label in await database.labels.list(instance)][-3:] == ["10", "11", "12"]

    async with database.transaction() as conn:
        await database.labels.set_chat(conn, instance, ALICE, ["1", "10"], [])
        await database.labels.set_chat(conn, instance, BOB, ["10"], [])
        await database.labels.update(
            conn, instance, Label(id="10", name="ten", color=3, color_hex="#dfaef0")
        )
    assert [label.name for label in await database.labels.of_chat(instance, ALICE)] == ["a", "ten"]
    assert await database.labels.chats_with(instance, "10") == [ALICE, BOB]

    async with database.transaction() as conn:
        await database.labels.set_chat(conn, instance, ALICE, [], ["1"])
        await database.labels.delete(conn, instance, "10")
    assert await database.labels.of_chat(instance, ALICE) == []
    assert await database.labels.get(instance, "10") is None
    assert await database.labels.chats_with(instance, "10") == []
