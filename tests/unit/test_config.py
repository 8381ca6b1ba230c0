"""Settings: defaults, WAGATE_* variables, explicit overrides and refusals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wagate.config import Settings, load_settings, normalize_database_url
from wagate.errors import ConfigurationError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No WAGATE_* variable from the outside, and a throw-away working directory."""
    for name in list(os.environ):
        if name.upper().startswith("WAGATE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.host == "127.0.0.1"
    assert settings.port == 8080
    assert settings.data_dir == Path("data")
    assert settings.database_url == ""
    assert settings.default_engine == "whatsmeow"
    assert settings.admin_token is None
    assert settings.log_level == "INFO"
    assert settings.sandbox_enabled is True
    assert settings.sandbox_autolink_seconds == 0
    assert settings.qr_rotate_seconds == 20
    assert settings.base_url == "http://127.0.0.1:8080"


def test_the_default_database_is_a_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    settings = load_settings()
    expected = tmp_path / "data" / "wagate.db"
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{expected.resolve()}"

    other = load_settings(data_dir=tmp_path / "elsewhere")
    assert other.effective_database_url == (
        f"sqlite+aiosqlite:///{(tmp_path / 'elsewhere' / 'wagate.db').resolve()}"
    )


def test_a_configured_database_url_is_used_as_is_once_normalised() -> None:
    settings = load_settings(database_url="postgresql://u:p@db.example:5432/wagate")
    assert settings.effective_database_url == "postgresql+asyncpg://u:p@db.example:5432/wagate"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WAGATE_HOST", "0.0.0.0")
    monkeypatch.setenv("WAGATE_PORT", "9090")
    monkeypatch.setenv("WAGATE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("WAGATE_DATABASE_URL", "sqlite:////var/lib/wagate/w.db")
    monkeypatch.setenv("WAGATE_ADMIN_TOKEN", "a-long-enough-admin-token")
    monkeypatch.setenv("WAGATE_LOG_LEVEL", "debug")
    monkeypatch.setenv("WAGATE_SANDBOX_AUTOLINK_SECONDS", "2.5")
    monkeypatch.setenv("WAGATE_QR_ROTATE_SECONDS", "5")
    settings = load_settings()
    assert settings.host == "0.0.0.0"
    assert settings.port == 9090
    assert settings.data_dir == tmp_path / "d"
    assert settings.database_url == "sqlite+aiosqlite:////var/lib/wagate/w.db"
    assert settings.admin_token == "a-long-enough-admin-token"
    assert settings.log_level == "DEBUG"
    assert settings.sandbox_autolink_seconds == 2.5
    assert settings.qr_rotate_seconds == 5


def test_an_empty_admin_token_variable_means_generate_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAGATE_ADMIN_TOKEN", "")
    assert load_settings().admin_token is None


def test_explicit_values_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAGATE_PORT", "9090")
    monkeypatch.setenv("WAGATE_HOST", "10.0.0.1")
    settings = load_settings(port=7070, host="192.0.2.1")
    assert settings.port == 7070
    assert settings.host == "192.0.2.1"


def test_a_none_override_leaves_the_environment_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI flags that were not given arrive as None and must not hide the variable."""
    monkeypatch.setenv("WAGATE_PORT", "9090")
    assert load_settings(port=None).port == 9090


def _refusal(**overrides: object) -> str:
    with pytest.raises(ConfigurationError) as info:
        load_settings(**overrides)
    return str(info.value)


@pytest.mark.parametrize("port", [0, 70000, -1, 65536])
def test_a_port_out_of_range_is_refused(port: int) -> None:
    assert "WAGATE_PORT" in _refusal(port=port)


@pytest.mark.parametrize("port", [1, 65535])
def test_the_port_range_ends_are_accepted(port: int) -> None:
    assert load_settings(port=port).port == port


@pytest.mark.parametrize("value", ["abc", "0", "70000", ""])
def test_a_bad_port_variable_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("WAGATE_PORT", value)
    assert "WAGATE_PORT" in _refusal()


@pytest.mark.parametrize(
    "token",
    ["short", "fifteen-chars-x", "a token with spaces in it", "tab\tinside-a-long-token"],
)
def test_a_weak_admin_token_is_refused(token: str) -> None:
    message = _refusal(admin_token=token)
    assert "WAGATE_ADMIN_TOKEN" in message
    assert "16 characters" in message


def test_the_refusal_does_not_echo_the_admin_token() -> None:
    assert "leaky secret value" not in _refusal(admin_token="leaky secret value")


def test_an_admin_token_of_sixteen_characters_is_accepted() -> None:
    assert load_settings(admin_token="x" * 16).admin_token == "x" * 16


def test_an_unknown_engine_is_refused() -> None:
    message = _refusal(default_engine="baileys")
    assert "WAGATE_DEFAULT_ENGINE" in message
    assert "baileys" in message


def test_a_default_sandbox_engine_needs_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAGATE_SANDBOX_ENABLED", "false")
    assert "sandbox is disabled" in _refusal(default_engine="sandbox")
    assert load_settings().sandbox_enabled is False  # fine with the default whatsmeow


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://u@h/db", "mysql"),
        ("mysql+aiomysql://u@h/db", "mysql"),
        ("localhost/wagate", "sqlite:///path"),
        ("/var/lib/wagate.db", "sqlite:///path"),
    ],
)
def test_an_unsupported_database_url_is_refused(url: str, says: str) -> None:
    message = _refusal(database_url=url)
    assert "WAGATE_DATABASE_URL" in message
    assert says in message


@pytest.mark.parametrize("url", ["sqlite:///devices.db", "mysql://u@h/db", "nonsense"])
def test_a_whatsmeow_store_that_is_not_postgresql_is_refused(url: str) -> None:
    assert "WAGATE_WHATSMEOW_STORE_URL" in _refusal(whatsmeow_store_url=url)


def test_whatsmeow_keeps_its_devices_where_wagate_keeps_its_data() -> None:
    assert load_settings().whatsmeow_store is None  # SQLite: a file per session
    pg = load_settings(database_url="postgresql://u@db/wagate")
    assert pg.whatsmeow_store == "postgresql+asyncpg://u@db/wagate"
    own = load_settings(whatsmeow_store_url="postgres://u@other/devices")
    assert own.whatsmeow_store == "postgres://u@other/devices"


@pytest.mark.parametrize("host", ["my host", " ", "", "local\thost"])
def test_a_host_with_spaces_is_refused(host: str) -> None:
    assert "WAGATE_HOST" in _refusal(host=host)


def test_surrounding_spaces_of_the_host_are_dropped() -> None:
    assert load_settings(host="  example.org ").host == "example.org"


@pytest.mark.parametrize("seconds", [0, -1, 301])
def test_a_bad_qr_rotation_is_refused(seconds: float) -> None:
    assert "WAGATE_QR_ROTATE_SECONDS" in _refusal(qr_rotate_seconds=seconds)


def test_a_negative_autolink_delay_is_refused() -> None:
    assert "WAGATE_SANDBOX_AUTOLINK_SECONDS" in _refusal(sandbox_autolink_seconds=-1)


def test_an_unknown_log_level_is_refused() -> None:
    assert "WAGATE_LOG_LEVEL" in _refusal(log_level="TRACE")


def test_every_problem_is_reported_at_once() -> None:
    message = _refusal(port=0, database_url="mysql://x")
    assert "WAGATE_PORT" in message
    assert "WAGATE_DATABASE_URL" in message


def test_settings_cannot_be_changed_after_loading() -> None:
    settings = load_settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///relative.db", "sqlite+aiosqlite:///relative.db"),
        ("sqlite:////abs/path/w.db", "sqlite+aiosqlite:////abs/path/w.db"),
        ("sqlite+aiosqlite:///w.db", "sqlite+aiosqlite:///w.db"),
        ("SQLite:///w.db", "sqlite+aiosqlite:///w.db"),
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db?ssl=require", "postgresql+asyncpg://u@h/db?ssl=require"),
    ],
)
def test_normalize_database_url_picks_the_async_driver(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


@pytest.mark.parametrize("url", ["mysql://h/db", "oracle://h/db", "h/db", ""])
def test_normalize_database_url_refuses_other_databases(url: str) -> None:
    with pytest.raises(ValueError, match="sqlite"):
        normalize_database_url(url)


@pytest.mark.parametrize(
    ("host", "base_url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8080"),
        ("::", "http://[::1]:8080"),
        ("127.0.0.1", "http://127.0.0.1:8080"),
        ("192.0.2.7", "http://192.0.2.7:8080"),
        ("::1", "http://[::1]:8080"),
        ("2001:db8::5", "http://[2001:db8::5]:8080"),
        ("gateway.example", "http://gateway.example:8080"),
    ],
)
def test_base_url_is_reachable(host: str, base_url: str) -> None:
    assert Settings(host=host).base_url == base_url


def test_base_url_shows_the_port() -> None:
    assert load_settings(host="0.0.0.0", port=9000).base_url == "http://127.0.0.1:9000"


def test_global_webhook_settings() -> None:
    settings = load_settings(
        webhook_url="https://example.com/hook", webhook_events=" message , message.ack"
    )
    assert settings.webhook_url == "https://example.com/hook"
    assert settings.webhook_event_set == frozenset({"message", "message.ack"})
    assert load_settings().webhook_event_set == frozenset({"*"})


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"webhook_url": "ftp://example.com"}, "WAGATE_WEBHOOK_URL"),
        ({"webhook_events": "message.sent"}, "WAGATE_WEBHOOK_EVENTS"),
        ({"webhook_events": " , "}, "WAGATE_WEBHOOK_EVENTS"),
        ({"webhook_retention_hours": -1}, "WAGATE_WEBHOOK_RETENTION_HOURS"),
    ],
)
def test_bad_webhook_settings_are_refused(overrides: dict[str, object], variable: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        load_settings(**overrides)
