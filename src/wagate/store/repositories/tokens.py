"""Access tokens table: only hashes are stored, secrets never reach the database."""

from __future__ import annotations

import builtins
import secrets
import string
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from wagate.domain.clock import now_ms
from wagate.domain.models import AccessToken
from wagate.store.schema import access_tokens

TOKEN_ID_PREFIX = "tok_"
_TOKEN_ID_ALPHABET = string.ascii_lowercase + string.digits
_TOKEN_ID_LENGTH = 12


def new_token_id() -> str:
    """A public, non-secret token id such as ``tok_k3j9x0a1b2c3`` (safe to show and log)."""
    suffix = "".join(secrets.choice(_TOKEN_ID_ALPHABET) for _ in range(_TOKEN_ID_LENGTH))
    return TOKEN_ID_PREFIX + suffix


def _to_token(row: Any) -> AccessToken:
    return AccessToken(
        id=row.id,
        name=row.name,
        is_admin=bool(row.is_admin),
        created_at=int(row.created_at),
        revoked_at=None if row.revoked_at is None else int(row.revoked_at),
    )


class TokenRepository:
    """Stores access tokens; revoking keeps the row so sessions keep a valid owner."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(self, *, name: str, token_hash: str, is_admin: bool) -> AccessToken:
        token = AccessToken(id=new_token_id(), name=name, is_admin=is_admin, created_at=now_ms())
        async with self._engine.begin() as conn:
            await conn.execute(
                access_tokens.insert().values(
                    id=token.id,
                    name=token.name,
                    token_hash=token_hash,
                    is_admin=token.is_admin,
                    created_at=token.created_at,
                    revoked_at=None,
                )
            )
        return token

    async def find_by_hash(self, token_hash: str) -> AccessToken | None:
        """The token with this hash, active or revoked."""
        query = select(access_tokens).where(access_tokens.c.token_hash == token_hash)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _to_token(row)

    async def make_sole_admin(self, *, name: str, token_hash: str) -> None:
        """In one transaction: the admin token ``name`` becomes the one with this hash.

        Other active admin tokens called ``name`` are revoked; a revoked row with this
        hash is reactivated (the hash is unique), else a new row is added.
        """
        now = now_ms()
        async with self._engine.begin() as conn:
            await conn.execute(
                update(access_tokens)
                .where(
                    access_tokens.c.name == name,
                    access_tokens.c.is_admin.is_(True),
                    access_tokens.c.token_hash != token_hash,
                    access_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            revived = await conn.execute(
                update(access_tokens)
                .where(access_tokens.c.token_hash == token_hash)
                .values(revoked_at=None, is_admin=True, name=name)
            )
            if revived.rowcount == 0:
                await conn.execute(
                    access_tokens.insert().values(
                        id=new_token_id(),
                        name=name,
                        token_hash=token_hash,
                        is_admin=True,
                        created_at=now,
                        revoked_at=None,
                    )
                )

    async def find_active_by_hash(self, token_hash: str) -> AccessToken | None:
        query = select(access_tokens).where(
            access_tokens.c.token_hash == token_hash, access_tokens.c.revoked_at.is_(None)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _to_token(row)

    async def get(self, token_id: str) -> AccessToken | None:
        query = select(access_tokens).where(access_tokens.c.id == token_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _to_token(row)

    async def list(self, *, include_revoked: bool) -> builtins.list[AccessToken]:
        query = select(access_tokens).order_by(access_tokens.c.created_at, access_tokens.c.id)
        if not include_revoked:
            query = query.where(access_tokens.c.revoked_at.is_(None))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_to_token(row) for row in rows]

    async def revoke(self, token_id: str) -> bool:
        """Mark the token revoked; False if it does not exist or was already revoked."""
        statement = (
            update(access_tokens)
            .where(access_tokens.c.id == token_id, access_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now_ms())
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(statement)
        return result.rowcount > 0
