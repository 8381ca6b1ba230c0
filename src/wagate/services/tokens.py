"""Access tokens: creation, authentication and revocation. Only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from wagate.domain.models import AccessToken
from wagate.errors import ConfigurationError, InvalidAccessTokenError, NotFoundError
from wagate.store.repositories.tokens import TokenRepository

ENV_ADMIN_NAME = "admin (WAGATE_ADMIN_TOKEN)"
GENERATED_ADMIN_NAME = "admin"
MAX_TOKEN_LENGTH = 512
MAX_NAME_LENGTH = 200  # the column's size


def hash_token(token: str) -> str:
    """SHA-256 of the token; tokens are 240-bit random strings, so no salt or KDF is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(30)


class TokenService:
    """Issues and checks access tokens."""

    def __init__(self, repository: TokenRepository) -> None:
        self._tokens = repository

    async def ensure_admin(self, configured: str | None) -> str | None:
        """Make sure an admin token works; return a newly generated one (to print once).

        A configured token (``WAGATE_ADMIN_TOKEN``) replaces any earlier configured one,
        so changing the variable revokes the old value.
        """
        if configured is not None:
            wanted = hash_token(configured)
            existing = await self._tokens.find_by_hash(wanted)
            if existing is not None and not existing.is_admin:
                raise ConfigurationError(
                    "WAGATE_ADMIN_TOKEN: this value is already a tenant token; choose another"
                )
            if existing is None or not existing.active or existing.name != ENV_ADMIN_NAME:
                await self._tokens.make_sole_admin(name=ENV_ADMIN_NAME, token_hash=wanted)
            return None
        active = await self._tokens.list(include_revoked=False)
        if any(token.is_admin for token in active):
            return None
        secret = new_token()
        await self._tokens.create(
            name=GENERATED_ADMIN_NAME, token_hash=hash_token(secret), is_admin=True
        )
        return secret

    async def authenticate(self, raw: Any) -> AccessToken:
        """The active token matching ``raw``, or ``InvalidAccessTokenError``."""
        if not isinstance(raw, str) or not raw:
            raise InvalidAccessTokenError("Missing access_token")
        if len(raw) > MAX_TOKEN_LENGTH:
            raise InvalidAccessTokenError("Invalid access_token")
        token = await self._tokens.find_active_by_hash(hash_token(raw))
        # Looking up by hash leaks nothing useful by timing: the hash of a guess is random.
        if token is None:
            raise InvalidAccessTokenError("Invalid access_token")
        return token

    async def create(self, name: str, *, is_admin: bool = False) -> tuple[AccessToken, str]:
        """A new token and its secret (shown once, never stored)."""
        name = name.strip()
        if not name:
            raise ValueError("a token needs a name")
        if len(name) > MAX_NAME_LENGTH:
            raise ValueError(f"a token name has at most {MAX_NAME_LENGTH} characters")
        secret = new_token()
        token = await self._tokens.create(
            name=name, token_hash=hash_token(secret), is_admin=is_admin
        )
        return token, secret

    async def list(self) -> list[AccessToken]:
        return await self._tokens.list(include_revoked=True)

    async def revoke(self, token_id: str) -> None:
        if not await self._tokens.revoke(token_id):
            raise NotFoundError(f"No active token with id {token_id}")
