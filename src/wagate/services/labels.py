"""Labels (WhatsApp Business): kept in wagate's store, in step with the account's devices
when the engine can be (the session must be WORKING). Changes are published as
``label.upsert``, ``label.deleted``, ``label.chat.added`` and ``label.chat.deleted``."""

from __future__ import annotations

import builtins
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from wagate.domain.labels import PALETTE, Label, color_of
from wagate.domain.models import Session
from wagate.errors import InvalidParamError, NotFoundError
from wagate.events.pipeline import EventPipeline
from wagate.services.sessions import SessionService
from wagate.store.repositories.labels import LabelRepository

MAX_LABELS = 20  # WhatsApp Business allows 20 labels
MAX_NAME_LENGTH = 100
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


class LabelService:
    def __init__(
        self, sessions: SessionService, labels: LabelRepository, pipeline: EventPipeline
    ) -> None:
        self._sessions = sessions
        self._labels = labels
        self._pipeline = pipeline

    async def _session(self, instance_id: str) -> Session:
        session, engine = await self._sessions.working_engine_session(instance_id)
        await engine.check_labels()
        return session

    async def list(self, instance_id: str) -> builtins.list[Label]:
        await self._session(instance_id)
        return await self._labels.list(instance_id)

    async def create(
        self, instance_id: str, name: str, *, color: int | None, color_hex: str | None
    ) -> Label:
        label = _label("", name, color, color_hex)
        session = await self._session(instance_id)
        if len(await self._labels.list(instance_id)) >= MAX_LABELS:
            raise InvalidParamError(f"A WhatsApp Business account has at most {MAX_LABELS} labels")
        created: list[Label] = []

        async def write(conn: AsyncConnection) -> None:
            created.append(await self._labels.create(conn, instance_id, label))

        await self._pipeline.publish(session, [], write=write)
        (made,) = created
        await self._pipeline.publish(session, [("label.upsert", {"label": made.to_json()})])
        return made

    async def update(
        self,
        instance_id: str,
        label_id: str,
        name: str,
        *,
        color: int | None,
        color_hex: str | None,
    ) -> Label:
        label = _label(label_id, name, color, color_hex)
        session = await self._session(instance_id)
        await self._require(instance_id, label_id)
        event = ("label.upsert", {"label": label.to_json()})
        await self._pipeline.publish(
            session, [event], write=lambda conn: self._labels.update(conn, instance_id, label)
        )
        return label

    async def delete(self, instance_id: str, label_id: str) -> None:
        session = await self._session(instance_id)
        label = await self._require(instance_id, label_id)
        event = ("label.deleted", {"label": label.to_json()})
        await self._pipeline.publish(
            session, [event], write=lambda conn: self._labels.delete(conn, instance_id, label_id)
        )

    async def chats(self, instance_id: str, label_id: str) -> builtins.list[str]:
        await self._session(instance_id)
        await self._require(instance_id, label_id)
        return await self._labels.chats_with(instance_id, label_id)

    async def of_chat(self, instance_id: str, chat_id: str) -> builtins.list[Label]:
        await self._session(instance_id)
        return await self._labels.of_chat(instance_id, chat_id)

    async def set_chat(
        self, instance_id: str, chat_id: str, label_ids: Sequence[str]
    ) -> builtins.list[Label]:
        """Replace the chat's labels by these; one event per label put on or taken off."""
        session = await self._session(instance_id)
        known = {label.id: label for label in await self._labels.list(instance_id)}
        unknown = [label_id for label_id in label_ids if label_id not in known]
        if unknown:
            raise NotFoundError(f"No label {unknown[0]} in this session", label=unknown[0])
        before = {label.id for label in await self._labels.of_chat(instance_id, chat_id)}
        wanted = list(dict.fromkeys(label_ids))
        added = [label_id for label_id in wanted if label_id not in before]
        removed = sorted(before - set(wanted), key=int)
        events = [
            *(("label.chat.added", _chat_event(chat_id, known[i])) for i in added),
            *(("label.chat.deleted", _chat_event(chat_id, known[i])) for i in removed),
        ]
        await self._pipeline.publish(
            session,
            events,
            write=lambda conn: self._labels.set_chat(conn, instance_id, chat_id, added, removed),
        )
        return [known[label_id] for label_id in sorted(wanted, key=int)]

    async def _require(self, instance_id: str, label_id: str) -> Label:
        label = await self._labels.get(instance_id, label_id)
        if label is None:
            raise NotFoundError(f"No label {label_id} in this session", label=label_id)
        return label


def _chat_event(chat_id: str, label: Label) -> dict[str, Any]:
    return {"chatId": chat_id, "labelId": label.id, "label": label.to_json()}


def _label(label_id: str, name: str, color: int | None, color_hex: str | None) -> Label:
    """A label from Wawp's parameters: a palette ``color`` or a ``colorHex`` (the nearest
    palette colour is its ``color``); neither: the first colour."""
    name = name.strip()
    if not name:
        raise InvalidParamError("Invalid parameter name: it is empty", param="name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidParamError(
            f"Invalid parameter name: longer than {MAX_NAME_LENGTH} characters", param="name"
        )
    if color_hex is not None:
        if not _HEX.fullmatch(color_hex):
            raise InvalidParamError(
                "Invalid parameter colorHex: a colour looks like #ff9485", param="colorHex"
            )
        return Label(id=label_id, name=name, color=color_of(color_hex), color_hex=color_hex.lower())
    index = color if color is not None else 0
    if not 0 <= index < len(PALETTE):
        raise InvalidParamError(
            f"Invalid parameter color: a palette index from 0 to {len(PALETTE) - 1}",
            param="color",
        )
    return Label(id=label_id, name=name, color=index, color_hex=PALETTE[index])
