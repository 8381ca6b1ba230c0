"""Settings: one validated object, read from ``WAGATE_*`` variables and CLI flags."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from wagate.domain.events import EVENT_NAMES
from wagate.domain.urls import check_webhook_url
from wagate.errors import ConfigurationError

KNOWN_ENGINES = ("sandbox", "whatsmeow")
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
MIN_ADMIN_TOKEN_LENGTH = 16


class Settings(BaseSettings):
    """Everything wagate can be configured with. Every field has a ``WAGATE_`` twin."""

    model_config = SettingsConfigDict(env_prefix="WAGATE_", extra="forbid", frozen=True)

    host: str = Field("127.0.0.1", description="Address the HTTP server listens on.")
    port: int = Field(8080, ge=1, le=65535, description="Port the HTTP server listens on.")
    data_dir: Path = Field(Path("./data"), description="Directory for the database and files.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means a SQLite file in the data directory."
    )
    default_engine: str = Field(
        "whatsmeow", description="Engine of sessions created without one (sandbox to try)."
    )
    admin_token: str | None = Field(
        None, description="Admin access token; generated and printed once when unset."
    )
    log_level: LogLevel = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    sandbox_enabled: bool = Field(True, description="Offer the sandbox engine and its routes.")
    sandbox_autolink_seconds: float = Field(
        0, ge=0, description="Link new sandbox sessions by themselves after N s (0: never)."
    )
    qr_rotate_seconds: float = Field(
        20, gt=0, le=300, description="How often a waiting session's QR value changes."
    )

    webhook_url: str | None = Field(
        None, description="A webhook that receives the events of every session."
    )
    webhook_events: str = Field(
        "*", description="Comma-separated events for WAGATE_WEBHOOK_URL ('*': all)."
    )
    webhook_hmac_key: str | None = Field(
        None, description="Key that signs WAGATE_WEBHOOK_URL's deliveries (X-Webhook-Hmac)."
    )
    webhook_retention_hours: float = Field(
        168, ge=0, description="Delivered webhook rows are pruned after N hours (0: never)."
    )

    media_max_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="Largest media file accepted or fetched, in bytes."
    )
    media_allow_private_urls: bool = Field(
        False,
        description="Fetch media from loopback and private addresses (off: SSRF protection).",
    )
    media_retention_hours: float = Field(
        720, ge=0, description="Received media files are deleted after N hours (0: never)."
    )
    device_name: str = Field(
        "Chrome",
        min_length=1,
        max_length=50,
        description="The name WhatsApp shows for wagate under Linked devices.",
    )
    whatsmeow_sessions_per_worker: int = Field(
        50, ge=1, le=1000, description="whatsmeow sessions per engine worker process."
    )
    whatsmeow_store_url: str = Field(
        "",
        description=(
            "PostgreSQL URL for whatsmeow's device store; empty: wagate's own database when "
            "it is PostgreSQL, else a SQLite file per session in the data directory."
        ),
    )
    whatsmeow_backend: str = Field(
        "wagate.engines.whatsmeow.neonize_backend:create",
        description="module:factory of the client inside workers (tests use the fake one).",
    )
    ffmpeg_path: str | None = Field(
        None, description="An ffmpeg binary to use instead of the bundled one."
    )
    media_workers: int = Field(
        2, ge=1, le=64, description="ffmpeg conversions that may run at the same time."
    )

    @field_validator("ffmpeg_path")
    @classmethod
    def _ffmpeg_path(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not os.path.isfile(value) or not os.access(value, os.X_OK):
            raise ValueError(f"{value} is not an executable file")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        return check_webhook_url(value) if value else None

    @field_validator("webhook_events")
    @classmethod
    def _webhook_events(cls, value: str) -> str:
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name != "*" and name not in EVENT_NAMES]
        if not names or unknown:
            raise ValueError(
                f"unknown events {', '.join(unknown) or '(none given)'}; "
                f"known: *, {', '.join(EVENT_NAMES)}"
            )
        return ",".join(names)

    @property
    def webhook_event_set(self) -> frozenset[str]:
        return frozenset(self.webhook_events.split(","))

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip()
        if not value or any(c.isspace() for c in value):
            raise ValueError("host must be a hostname or an IP address")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("admin_token")
    @classmethod
    def _admin_token(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if len(value) < MIN_ADMIN_TOKEN_LENGTH or any(c.isspace() for c in value):
            raise ValueError(
                f"admin token must be at least {MIN_ADMIN_TOKEN_LENGTH} characters "
                "without spaces (it guards every session)"
            )
        return value

    @field_validator("default_engine")
    @classmethod
    def _engine(cls, value: str) -> str:
        if value not in KNOWN_ENGINES:
            raise ValueError(f"unknown engine {value!r}; known: {', '.join(KNOWN_ENGINES)}")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalize_database_url(value) if value else ""

    @field_validator("whatsmeow_store_url")
    @classmethod
    def _whatsmeow_store_url(cls, value: str) -> str:
        if value and not normalize_database_url(value).startswith("postgresql"):
            raise ValueError("the whatsmeow device store URL must be a postgresql:// URL")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Settings:
        if self.default_engine == "sandbox" and not self.sandbox_enabled:
            raise ValueError("default engine is sandbox but the sandbox is disabled")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'wagate.db').resolve()}"

    @property
    def whatsmeow_store(self) -> str | None:
        """The PostgreSQL database of whatsmeow's devices; ``None``: SQLite files."""
        url = self.whatsmeow_store_url or self.effective_database_url
        return url if url.startswith(("postgres", "postgresql")) else None

    @property
    def public_host(self) -> str:
        """The host to print in URLs (a wildcard address is not reachable as such)."""
        try:
            address = ipaddress.ip_address(self.host)
        except ValueError:
            return self.host
        if address.is_unspecified:
            return "127.0.0.1" if address.version == 4 else "[::1]"
        return self.host if address.version == 4 else f"[{self.host}]"

    @property
    def base_url(self) -> str:
        return f"http://{self.public_host}:{self.port}"


def normalize_database_url(url: str) -> str:
    """Pick the async driver for a SQLite or PostgreSQL URL; refuse anything else."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("database URL must look like sqlite:///path or postgresql://host/db")
    base = scheme.split("+", 1)[0].lower()
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"unsupported database {base!r}; use sqlite or postgresql")


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, overridden by explicit values (CLI flags).

    Raises :class:`ConfigurationError` with every problem spelled out.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = "; ".join(
            f"WAGATE_{'_'.join(str(p) for p in err['loc']).upper() or 'SETTINGS'}: "
            f"{err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from exc
