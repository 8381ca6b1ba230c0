"""TokenService on each backend: admin bootstrap, authentication, creation, revocation."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select

from wagate.errors import ConfigurationError, InvalidAccessTokenError, NotFoundError
from wagate.services.tokens import MAX_TOKEN_LENGTH, TokenService
from wagate.store import Database
from wagate.store.schema import access_tokens

CONFIGURED = "configured-admin-token-0001"
CHANGED = "configured-admin-token-0002"


async def _stored_rows(database: Database) -> list[dict[str, Any]]:
    async with database.engine.connect() as conn:
        rows = (await conn.execute(select(access_tokens))).mappings().all()
    return [dict(row) for row in rows]


# --- ensure_admin -----------------------------------------------------------------


async def test_a_generated_admin_token_is_returned_once(database: Database) -> None:
    service = TokenService(database.tokens)
    secret = await service.ensure_admin(None)
    assert isinstance(secret, str)
    assert len(secret) >= 32

    assert await service.ensure_admin(None) is None
    assert await service.ensure_admin(None) is None
    admins = [t for t in await service.list() if t.is_admin]
    assert len(admins) == 1

    token = await service.authenticate(secret)
    assert token.is_admin
    assert token.active


async def test_a_generated_admin_token_survives_a_new_service(database: Database) -> None:
    """A restart (a new service on the same store) neither forgets nor regenerates it."""
    secret = await TokenService(database.tokens).ensure_admin(None)
    assert secret is not None
    restarted = TokenService(database.tokens)
    assert await restarted.ensure_admin(None) is None
    assert (await restarted.authenticate(secret)).is_admin


async def test_a_configured_admin_token_authenticates_as_admin(database: Database) -> None:
    service = TokenService(database.tokens)
    assert await service.ensure_admin(CONFIGURED) is None
    token = await service.authenticate(CONFIGURED)
    assert token.is_admin
    # Nothing was generated besides it.
    assert [t.id for t in await service.list()] == [token.id]


async def test_a_configured_admin_token_is_created_only_once(database: Database) -> None:
    service = TokenService(database.tokens)
    await service.ensure_admin(CONFIGURED)
    first = await service.authenticate(CONFIGURED)
    await service.ensure_admin(CONFIGURED)
    assert (await service.authenticate(CONFIGURED)).id == first.id
    assert len(await service.list()) == 1


async def test_changing_the_configured_admin_token_revokes_the_old_one(
    database: Database,
) -> None:
    service = TokenService(database.tokens)
    await service.ensure_admin(CONFIGURED)
    old = await service.authenticate(CONFIGURED)

    assert await service.ensure_admin(CHANGED) is None
    assert (await service.authenticate(CHANGED)).is_admin
    with pytest.raises(InvalidAccessTokenError, match="Invalid access_token"):
        await service.authenticate(CONFIGURED)
    listed = {t.id: t for t in await service.list()}
    assert not listed[old.id].active


async def test_a_configured_admin_token_does_not_revoke_other_tokens(database: Database) -> None:
    service = TokenService(database.tokens)
    generated = await service.ensure_admin(None)
    assert generated is not None
    _, tenant = await service.create("acme")

    await service.ensure_admin(CONFIGURED)
    await service.ensure_admin(CHANGED)
    assert (await service.authenticate(generated)).is_admin
    assert not (await service.authenticate(tenant)).is_admin


async def test_going_back_to_an_earlier_configured_admin_token_works(
    database: Database,
) -> None:
    service = TokenService(database.tokens)
    await service.ensure_admin(CONFIGURED)
    await service.ensure_admin(CHANGED)
    await service.ensure_admin(CONFIGURED)
    assert (await service.authenticate(CONFIGURED)).is_admin
    with pytest.raises(InvalidAccessTokenError):
        await service.authenticate(CHANGED)


# --- authenticate -----------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "", 12345, b"bytes-token", ["a", "list"]])
async def test_a_missing_token_is_refused(database: Database, raw: Any) -> None:
    service = TokenService(database.tokens)
    with pytest.raises(InvalidAccessTokenError) as info:
        await service.authenticate(raw)
    assert info.value.message == "Missing access_token"
    assert info.value.http_status == 401
    assert info.value.code == "invalid_access_token"


@pytest.mark.parametrize("raw", ["wrong", "x" * (MAX_TOKEN_LENGTH + 1), " "])
async def test_a_wrong_token_is_refused(database: Database, raw: str) -> None:
    service = TokenService(database.tokens)
    await service.create("acme")
    with pytest.raises(InvalidAccessTokenError) as info:
        await service.authenticate(raw)
    assert info.value.message == "Invalid access_token"


async def test_a_token_is_matched_exactly(database: Database) -> None:
    service = TokenService(database.tokens)
    _, secret = await service.create("acme")
    for near in (secret + " ", " " + secret, secret[:-1], secret.upper(), secret + secret):
        if near == secret:
            continue
        with pytest.raises(InvalidAccessTokenError, match="Invalid access_token"):
            await service.authenticate(near)


async def test_the_stored_hash_itself_is_not_a_token(database: Database) -> None:
    service = TokenService(database.tokens)
    await service.create("acme")
    (row,) = await _stored_rows(database)
    with pytest.raises(InvalidAccessTokenError, match="Invalid access_token"):
        await service.authenticate(row["token_hash"])


# --- create -----------------------------------------------------------------------


async def test_create_returns_a_working_secret(database: Database) -> None:
    service = TokenService(database.tokens)
    token, secret = await service.create("  acme  ")
    assert token.name == "acme"
    assert not token.is_admin
    assert token.active
    assert token.id.startswith("tok_")
    assert secret not in token.id

    found = await service.authenticate(secret)
    assert found.id == token.id
    assert not found.is_admin


async def test_create_can_make_an_admin_token(database: Database) -> None:
    service = TokenService(database.tokens)
    token, secret = await service.create("ops", is_admin=True)
    assert token.is_admin
    assert (await service.authenticate(secret)).is_admin


async def test_each_created_token_has_its_own_secret(database: Database) -> None:
    service = TokenService(database.tokens)
    first, first_secret = await service.create("acme")
    second, second_secret = await service.create("acme")
    assert first.id != second.id
    assert first_secret != second_secret
    assert (await service.authenticate(first_secret)).id == first.id
    assert (await service.authenticate(second_secret)).id == second.id


async def test_only_a_hash_of_the_secret_is_stored(database: Database) -> None:
    service = TokenService(database.tokens)
    token, secret = await service.create("acme")

    listed = await database.tokens.list(include_revoked=True)
    assert [t.id for t in listed] == [token.id]
    assert secret not in repr(listed)

    (row,) = await _stored_rows(database)
    assert row["id"] == token.id
    for value in row.values():
        assert value != secret
        assert secret not in str(value)
    assert row["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
async def test_a_token_needs_a_name(database: Database, name: str) -> None:
    service = TokenService(database.tokens)
    with pytest.raises(ValueError, match="name"):
        await service.create(name)
    assert await service.list() == []


# --- revoke -----------------------------------------------------------------------


async def test_a_revoked_token_no_longer_authenticates(database: Database) -> None:
    service = TokenService(database.tokens)
    token, secret = await service.create("acme")
    _, other = await service.create("other")

    await service.revoke(token.id)

    with pytest.raises(InvalidAccessTokenError, match="Invalid access_token"):
        await service.authenticate(secret)
    assert (await service.authenticate(other)).name == "other"
    listed = {t.id: t for t in await service.list()}
    assert listed[token.id].revoked_at is not None
    assert listed[token.id].revoked_at >= listed[token.id].created_at


async def test_revoking_twice_is_not_found(database: Database) -> None:
    service = TokenService(database.tokens)
    token, _ = await service.create("acme")
    await service.revoke(token.id)
    first_revocation = {t.id: t.revoked_at for t in await service.list()}[token.id]
    with pytest.raises(NotFoundError, match=token.id):
        await service.revoke(token.id)
    assert {t.id: t.revoked_at for t in await service.list()}[token.id] == first_revocation


async def test_revoking_an_unknown_token_is_not_found(database: Database) -> None:
    service = TokenService(database.tokens)
    with pytest.raises(NotFoundError) as info:
        await service.revoke("tok_doesnotexist")
    assert info.value.http_status == 404
    assert "tok_doesnotexist" in info.value.message


async def test_list_shows_revoked_tokens_too(database: Database) -> None:
    service = TokenService(database.tokens)
    kept, _ = await service.create("kept")
    gone, _ = await service.create("gone")
    await service.revoke(gone.id)
    listed = {t.id: t.active for t in await service.list()}
    assert listed == {kept.id: True, gone.id: False}


async def test_a_tenant_token_cannot_become_the_configured_admin(database: Database) -> None:
    service = TokenService(database.tokens)
    _, secret = await service.create("tenant")
    with pytest.raises(ConfigurationError, match="WAGATE_ADMIN_TOKEN"):
        await service.ensure_admin(secret)
    assert not (await service.authenticate(secret)).is_admin
