"""The ``wagate`` command run in-process: tokens, migrations and refused settings."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from wagate.cli import main
from wagate.config import Settings
from wagate.domain.models import AccessToken
from wagate.errors import InvalidAccessTokenError
from wagate.services.tokens import TokenService
from wagate.store import Database


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("WAGATE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def create_token(
    capsys: pytest.CaptureFixture[str], data_dir: Path, name: str, *extra: str
) -> tuple[str, str]:
    """``token create``; returns the token id and the secret (the last line printed)."""
    code, out, err = run(
        capsys, "token", "create", "--data-dir", str(data_dir), "--name", name, *extra
    )
    assert code == 0, err
    lines = out.strip().splitlines()
    secret = lines[-1].strip()
    token_id = next(word for word in lines[0].split() if word.startswith("tok_"))
    return token_id, secret


def list_rows(capsys: pytest.CaptureFixture[str], data_dir: Path) -> dict[str, list[str]]:
    """``token list`` as {id: [kind, created, revoked, name]} (dates are two words)."""
    code, out, err = run(capsys, "token", "list", "--data-dir", str(data_dir))
    assert code == 0, err
    header, *lines = out.strip().splitlines()
    assert header.split()[:2] == ["ID", "KIND"]
    rows: dict[str, list[str]] = {}
    for line in lines:
        token_id, kind, *rest = line.split()
        if rest[2] == "-":
            created, revoked, name = " ".join(rest[:2]), "-", " ".join(rest[3:])
        else:
            created, revoked, name = " ".join(rest[:2]), " ".join(rest[2:4]), " ".join(rest[4:])
        rows[token_id] = [kind, created, revoked, name]
    return rows


def authenticate(data_dir: Path, secret: str) -> AccessToken:
    async def check() -> AccessToken:
        db = Database(Settings(data_dir=data_dir).effective_database_url)
        try:
            return await TokenService(db.tokens).authenticate(secret)
        finally:
            await db.dispose()

    return asyncio.run(check())


def test_token_create_prints_the_secret_last_and_lists_the_token(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    token_id, secret = create_token(capsys, tmp_path, "acme")
    assert len(secret) >= 32
    assert " " not in secret

    rows = list_rows(capsys, tmp_path)
    assert list(rows) == [token_id]
    kind, created, revoked, name = rows[token_id]
    assert (kind, revoked, name) == ("tenant", "-", "acme")
    assert created[:2] == "20"


def test_the_secret_is_shown_only_by_create(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, secret = create_token(capsys, tmp_path, "acme")
    _, out, _ = run(capsys, "token", "list", "--data-dir", str(tmp_path))
    assert secret not in out


def test_a_token_created_by_the_cli_authenticates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    token_id, secret = create_token(capsys, tmp_path, "acme")
    token = authenticate(tmp_path, secret)
    assert token.id == token_id
    assert token.name == "acme"
    assert not token.is_admin


def test_token_create_admin(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    token_id, secret = create_token(capsys, tmp_path, "ops", "--admin")
    assert list_rows(capsys, tmp_path)[token_id][0] == "admin"
    assert authenticate(tmp_path, secret).is_admin


def test_a_name_with_spaces_is_kept(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    token_id, _ = create_token(capsys, tmp_path, "Acme Ltd")
    assert list_rows(capsys, tmp_path)[token_id][3] == "Acme Ltd"


def test_a_blank_name_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "token", "create", "--data-dir", str(tmp_path), "--name", " ")
    assert code == 1
    assert "name" in err
    assert out == ""
    assert list_rows(capsys, tmp_path) == {}


def test_token_revoke_marks_the_token_revoked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    revoked_id, secret = create_token(capsys, tmp_path, "acme")
    kept_id, kept_secret = create_token(capsys, tmp_path, "other")

    code, out, err = run(capsys, "token", "revoke", "--data-dir", str(tmp_path), revoked_id)
    assert code == 0, err
    assert revoked_id in out

    rows = list_rows(capsys, tmp_path)
    assert rows[revoked_id][2] != "-"
    assert rows[revoked_id][2][:2] == "20"
    assert rows[kept_id][2] == "-"

    with pytest.raises(InvalidAccessTokenError):
        authenticate(tmp_path, secret)
    assert authenticate(tmp_path, kept_secret).id == kept_id


def test_revoking_an_unknown_token_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "token", "revoke", "--data-dir", str(tmp_path), "tok_nope")
    assert code == 1
    assert "tok_nope" in err
    assert "Revoked" not in out
    assert err.startswith("wagate:")


def test_revoking_twice_fails_the_second_time(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    token_id, _ = create_token(capsys, tmp_path, "acme")
    assert run(capsys, "token", "revoke", "--data-dir", str(tmp_path), token_id)[0] == 0
    code, _, err = run(capsys, "token", "revoke", "--data-dir", str(tmp_path), token_id)
    assert code == 1
    assert token_id in err


def test_migrate_creates_the_store(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    code, out, err = run(capsys, "migrate", "--data-dir", str(data_dir))
    assert code == 0, err
    assert out.strip()
    assert (data_dir / "wagate.db").is_file()
    # Running it again is harmless.
    assert run(capsys, "migrate", "--data-dir", str(data_dir))[0] == 0
    assert list_rows(capsys, data_dir) == {}


def test_the_data_dir_comes_from_the_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAGATE_DATA_DIR", str(tmp_path / "from-env"))
    code, out, err = run(capsys, "token", "create", "--name", "acme")
    assert code == 0, err
    assert authenticate(tmp_path / "from-env", out.strip().splitlines()[-1]).name == "acme"


def test_a_flag_beats_the_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAGATE_DATA_DIR", str(tmp_path / "from-env"))
    token_id, _ = create_token(capsys, tmp_path / "from-flag", "acme")
    assert token_id in list_rows(capsys, tmp_path / "from-flag")
    assert not (tmp_path / "from-env").exists()


@pytest.mark.parametrize(
    "command", [["migrate"], ["token", "list"], ["token", "create", "--name", "x"]]
)
def test_an_unsupported_database_url_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    code, out, err = run(
        capsys, *command, "--data-dir", str(tmp_path), "--database-url", "mysql://x"
    )
    assert code == 2
    assert out == ""
    assert "WAGATE_DATABASE_URL" in err
    assert "mysql" in err
    assert not (tmp_path / "wagate.db").exists()


def test_a_bad_setting_in_the_environment_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAGATE_PORT", "abc")
    code, _, err = run(capsys, "migrate", "--data-dir", str(tmp_path))
    assert code == 2
    assert "WAGATE_PORT" in err


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 2
    assert "usage: wagate" in out
    assert "token" in out


def test_token_without_a_subcommand_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["token"])
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err
