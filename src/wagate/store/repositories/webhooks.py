"""Webhooks table: the webhooks configured on each session."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from wagate.domain.clock import now_ms
from wagate.domain.webhooks import RetryConfig, RetryPolicy, Webhook, new_webhook_id
from wagate.store.schema import webhooks


class _Unset(Enum):
    UNSET = "unset"


UNSET = _Unset.UNSET  # "leave this field as it is" in WebhookRepository.update


def _headers_to_json(headers: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in headers]


def _to_webhook(row: Any) -> Webhook:
    return Webhook(
        id=row.id,
        instance_id=row.instance_id,
        url=row.url,
        events=tuple(str(event) for event in row.events or ()),
        hmac_key=row.hmac_key,
        retries=RetryConfig(
            policy=RetryPolicy(row.retry_policy),
            delay_seconds=int(row.retry_delay_seconds),
            attempts=int(row.retry_attempts),
        ),
        custom_headers=tuple(
            (str(header["name"]), str(header["value"])) for header in row.custom_headers or ()
        ),
        created_at=int(row.created_at),
        updated_at=int(row.updated_at),
    )


def _retry_values(retries: RetryConfig) -> dict[str, Any]:
    return {
        "retry_policy": retries.policy.value,
        "retry_delay_seconds": retries.delay_seconds,
        "retry_attempts": retries.attempts,
    }


class WebhookRepository:
    """Creates, reads, updates and deletes per-session webhooks.

    Deleting the session deletes its webhooks (ON DELETE CASCADE).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self,
        instance_id: str,
        *,
        url: str,
        events: Sequence[str],
        hmac_key: str | None = None,
        retries: RetryConfig | None = None,
        custom_headers: Sequence[tuple[str, str]] = (),
    ) -> Webhook:
        now = now_ms()
        webhook = Webhook(
            id=new_webhook_id(),
            instance_id=instance_id,
            url=url,
            events=tuple(events),
            hmac_key=hmac_key,
            retries=retries or RetryConfig(),
            custom_headers=tuple(custom_headers),
            created_at=now,
            updated_at=now,
        )
        async with self._engine.begin() as conn:
            await conn.execute(
                webhooks.insert().values(
                    id=webhook.id,
                    instance_id=webhook.instance_id,
                    url=webhook.url,
                    events=list(webhook.events),
                    hmac_key=webhook.hmac_key,
                    custom_headers=_headers_to_json(webhook.custom_headers),
                    created_at=webhook.created_at,
                    updated_at=webhook.updated_at,
                    **_retry_values(webhook.retries),
                )
            )
        return webhook

    async def get(self, webhook_id: str) -> Webhook | None:
        query = select(webhooks).where(webhooks.c.id == webhook_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _to_webhook(row)

    async def list(self, instance_id: str) -> builtins.list[Webhook]:
        """The session's webhooks, oldest first."""
        query = (
            select(webhooks)
            .where(webhooks.c.instance_id == instance_id)
            .order_by(webhooks.c.created_at, webhooks.c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_to_webhook(row) for row in rows]

    async def update(
        self,
        webhook_id: str,
        *,
        url: str | _Unset = UNSET,
        events: Sequence[str] | _Unset = UNSET,
        hmac_key: str | _Unset | None = UNSET,
        retries: RetryConfig | _Unset = UNSET,
        custom_headers: Sequence[tuple[str, str]] | _Unset = UNSET,
    ) -> Webhook | None:
        """Change the given fields (``hmac_key=None`` removes the key); None if missing."""
        values: dict[str, Any] = {}
        if not isinstance(url, _Unset):
            values["url"] = url
        if not isinstance(events, _Unset):
            values["events"] = list(events)
        if not isinstance(hmac_key, _Unset):
            values["hmac_key"] = hmac_key
        if not isinstance(retries, _Unset):
            values.update(_retry_values(retries))
        if not isinstance(custom_headers, _Unset):
            values["custom_headers"] = _headers_to_json(custom_headers)
        statement = (
            update(webhooks)
            .where(webhooks.c.id == webhook_id)
            .values(**values, updated_at=now_ms())
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(statement)
            if result.rowcount == 0:
                return None
            row = (await conn.execute(select(webhooks).where(webhooks.c.id == webhook_id))).one()
        return _to_webhook(row)

    async def delete(self, webhook_id: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))
        return result.rowcount > 0
