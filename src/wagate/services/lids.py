"""Who is behind an ``@lid``: each session's phone id ↔ lid pairs, and the payloads they
fill in.

WhatsApp names people by phone (``<digits>@c.us``) or by a hidden id (``<digits>@lid``),
and the same person can arrive either way. Engines report the pairs they see
(:class:`~wagate.domain.events.LidsLearned`); the directory keeps them in the store
(``GET lids``) and fills every event payload that names a person with both: the phone id
in the field itself (``from``, ``participant``…) and the lid beside it (``fromLid``,
``participantLid``…). A field that holds a lid whose phone is known gets the phone id.

Lookups stay off the store once answered: each session keeps a bounded cache of ids,
including the ones that have no known pair.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from wagate.domain.models import Session
from wagate.store.repositories.lids import LidRepository

PERSON_FIELDS = ("from", "to", "participant", "author", "senderId", "by", "revokedBy", "chatId")
NESTED = ("vote",)  # payload parts that name people too (poll votes)
CACHE_PER_SESSION = 4096


class LidDirectory:
    def __init__(self, repository: LidRepository, *, per_session: int = CACHE_PER_SESSION) -> None:
        self._repository = repository
        self._per_session = per_session
        # instance id → id → its other id (None: no pair known)
        self._known: dict[str, OrderedDict[str, str | None]] = {}

    # --- learning -----------------------------------------------------------------------

    def news(self, instance_id: str, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The pairs not already known as such (those worth a write)."""
        known = self._known.get(instance_id, OrderedDict())
        return [(phone, lid) for phone, lid in pairs if known.get(lid) != phone]

    async def save(
        self, conn: AsyncConnection, instance_id: str, pairs: Sequence[tuple[str, str]]
    ) -> None:
        await self._repository.save(conn, instance_id, pairs)

    def remember(self, instance_id: str, pairs: Iterable[tuple[str, str]]) -> None:
        """After the pairs are committed: answer from memory from now on."""
        for phone, lid in pairs:
            self._put(instance_id, phone, lid)
            self._put(instance_id, lid, phone)

    def forget(self, instance_id: str) -> None:
        self._known.pop(instance_id, None)

    def _put(self, instance_id: str, key: str, value: str | None) -> None:
        known = self._known.setdefault(instance_id, OrderedDict())
        known[key] = value
        known.move_to_end(key)
        while len(known) > self._per_session:
            known.popitem(last=False)

    # --- filling payloads ---------------------------------------------------------------

    async def fill(self, session: Session, payloads: Sequence[dict[str, Any]]) -> None:
        """Give every person named in ``payloads`` both ids, when the pair is known."""
        named = [
            (part, key, value)
            for payload in payloads
            for part in _parts(payload)
            for key in PERSON_FIELDS
            if isinstance(value := part.get(key), str) and value.endswith(("@c.us", "@lid"))
        ]
        if not named:
            return
        mapping = await self._resolve(session, {value for _, _, value in named})
        for part, key, value in named:
            other = mapping.get(value)
            if other is None:
                continue
            phone, lid = (other, value) if value.endswith("@lid") else (value, other)
            part[key] = phone
            part.setdefault(f"{key}Lid", lid)

    async def _resolve(self, session: Session, ids: set[str]) -> dict[str, str]:
        instance_id = session.instance_id
        me = session.me
        if me is not None and me.lid:
            self._put(instance_id, me.id, me.lid)
            self._put(instance_id, me.lid, me.id)
        known = self._known.setdefault(instance_id, OrderedDict())
        missing = sorted(i for i in ids if i not in known)
        if missing:
            found = await self._repository.lookup(instance_id, missing)
            self.remember(instance_id, found)
            for value in missing:
                if value not in known:
                    self._put(instance_id, value, None)
        return {i: other for i in ids if (other := known.get(i)) is not None}

    # --- reading ------------------------------------------------------------------------

    async def list(self, instance_id: str, *, limit: int, offset: int) -> list[dict[str, str]]:
        pairs = await self._repository.list(instance_id, limit=limit, offset=offset)
        return [{"lid": lid, "pn": phone} for phone, lid in pairs]

    async def count(self, instance_id: str) -> int:
        return await self._repository.count(instance_id)


def _parts(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [payload, *(part for key in NESTED if isinstance(part := payload.get(key), dict))]
