"""The ``wagate`` command: serve, manage access tokens, migrate the store.

Every flag of ``serve`` has a ``WAGATE_*`` environment twin; a flag wins over the
environment.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from wagate import __version__
from wagate.config import Settings, load_settings
from wagate.errors import ConfigurationError, WagateError
from wagate.services.tokens import TokenService
from wagate.store.database import Database


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        settings = load_settings(**_settings_overrides(args))
        result: int = args.run(settings, args)
        return result
    except ConfigurationError as exc:
        print(f"wagate: {exc}", file=sys.stderr)
        return 2
    except (WagateError, ValueError) as exc:
        print(f"wagate: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wagate", description="Self-hosted WhatsApp HTTP API gateway (Wawp v1 compatible)."
    )
    parser.add_argument("--version", action="version", version=f"wagate {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="data directory (WAGATE_DATA_DIR, default ./data)")
    common.add_argument("--database-url", help="SQLite or PostgreSQL URL (WAGATE_DATABASE_URL)")
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", parents=[common], help="run the HTTP server")
    serve.add_argument("--host", help="listen address (WAGATE_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (WAGATE_PORT, default 8080)")
    serve.add_argument("--default-engine", help="engine of new sessions (WAGATE_DEFAULT_ENGINE)")
    serve.add_argument("--admin-token", help="admin access token (WAGATE_ADMIN_TOKEN)")
    serve.add_argument("--log-level", help="DEBUG, INFO, WARNING, ERROR (WAGATE_LOG_LEVEL)")
    serve.add_argument(
        "--sandbox-autolink-seconds",
        type=float,
        help="link new sandbox sessions by themselves after N s (WAGATE_SANDBOX_AUTOLINK_SECONDS)",
    )
    serve.add_argument(
        "--sandbox-enabled",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="offer the sandbox engine and its routes (WAGATE_SANDBOX_ENABLED, default on)",
    )
    serve.add_argument(
        "--qr-rotate-seconds",
        type=float,
        help="how often a waiting session's QR value changes (WAGATE_QR_ROTATE_SECONDS)",
    )
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", parents=[common], help="apply store migrations")
    migrate.set_defaults(run=lambda s, a: _with_database(s, _migrate))

    doctor = commands.add_parser(
        "doctor", parents=[common], help="check the engine library, ffmpeg, store, WhatsApp"
    )
    doctor.set_defaults(run=_doctor)

    token = commands.add_parser("token", help="manage access tokens")
    tokens = token.add_subparsers(title="token commands", required=True)
    create = tokens.add_parser(
        "create", parents=[common], help="create a token (tenant unless --admin)"
    )
    create.add_argument("--name", required=True, help="who the token is for")
    create.add_argument("--admin", action="store_true", help="an admin token (sees all)")
    create.set_defaults(run=lambda s, a: _with_database(s, _token_create, a))
    listing = tokens.add_parser("list", parents=[common], help="list tokens")
    listing.set_defaults(run=lambda s, a: _with_database(s, _token_list))
    revoke = tokens.add_parser("revoke", parents=[common], help="revoke a token by id")
    revoke.add_argument("id", help="the token id (tok_...)")
    revoke.set_defaults(run=lambda s, a: _with_database(s, _token_revoke, a))
    return parser


def _settings_overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = (
        "host",
        "port",
        "data_dir",
        "database_url",
        "default_engine",
        "admin_token",
        "log_level",
        "sandbox_autolink_seconds",
        "sandbox_enabled",
        "qr_rotate_seconds",
    )
    return {name: getattr(args, name, None) for name in names}


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from wagate.app import create_app

    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    app = create_app(settings, announce=lambda line: print(line, flush=True))
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower())
    return 0


def _doctor(settings: Settings, args: argparse.Namespace) -> int:
    from wagate.doctor import report, run_checks

    text, status = report(asyncio.run(run_checks(settings)))
    print(text)
    return status


def _with_database(
    settings: Settings,
    action: Callable[[Database, argparse.Namespace | None], Awaitable[int]],
    args: argparse.Namespace | None = None,
) -> int:
    async def run() -> int:
        database = Database(settings.effective_database_url)
        try:
            await database.migrate()
            return await action(database, args)
        finally:
            await database.dispose()

    return asyncio.run(run())


async def _migrate(database: Database, args: argparse.Namespace | None) -> int:
    print("The store is up to date.")
    return 0


async def _token_create(database: Database, args: argparse.Namespace | None) -> int:
    assert args is not None
    token, secret = await TokenService(database.tokens).create(args.name, is_admin=args.admin)
    kind = "admin" if token.is_admin else "tenant"
    print(f"Created {kind} token {token.id} ({token.name}). It is shown only once:")
    print(secret)
    return 0


async def _token_list(database: Database, args: argparse.Namespace | None) -> int:
    print(f"{'ID':<18} {'KIND':<7} {'CREATED (UTC)':<20} {'REVOKED (UTC)':<20} NAME")
    for token in await TokenService(database.tokens).list():
        revoked = _time(token.revoked_at) if token.revoked_at else "-"
        kind = "admin" if token.is_admin else "tenant"
        print(f"{token.id:<18} {kind:<7} {_time(token.created_at):<20} {revoked:<20} {token.name}")
    return 0


async def _token_revoke(database: Database, args: argparse.Namespace | None) -> int:
    assert args is not None
    await TokenService(database.tokens).revoke(args.id)
    print(f"Revoked {args.id}.")
    return 0


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
