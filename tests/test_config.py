"""Configuration: defaults work, every bad value stops start-up with one line naming the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.config import ConfigurationError, load_settings

GOOD_SECRET = "s" * 40


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE_URL",
        "DATABASE_URL",
        "RASA_URL",
        "ACTION_SERVER_HOST",
        "ACTION_SERVER_PORT",
        "COUNSELOR_CHAT_ID",
        "SECRET_KEY",
        "DEFAULT_LOCALE",
        "DATA_RETENTION_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)


def test_defaults_are_a_local_sqlite_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(_env_file=None)
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("var/yoldosh.db")
    assert settings.telegram_bot_token is None
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert (settings.action_server_host, settings.action_server_port) == ("127.0.0.1", 5055)


def test_postgres_urls_get_the_psycopg_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db:5432/yoldosh")
    assert load_settings(_env_file=None).database_url == "postgresql+psycopg://u@db:5432/yoldosh"


def test_self_hosted_bot_api_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot/")
    assert load_settings(_env_file=None).telegram_api_base_url == "http://127.0.0.1:8081/bot"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: must be sqlite"),
        ("DEFAULT_LOCALE", "de", "DEFAULT_LOCALE: must be one of"),
        ("DATA_RETENTION_DAYS", "0", "DATA_RETENTION_DAYS:"),
        ("DATA_RETENTION_DAYS", "soon", "DATA_RETENTION_DAYS:"),
        ("ACTION_SERVER_PORT", "70000", "ACTION_SERVER_PORT:"),
        ("COUNSELOR_CHAT_ID", "group", "COUNSELOR_CHAT_ID:"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN: does not look like"),
        ("RASA_URL", "localhost:5005", "RASA_URL: must start with"),
        ("SECRET_KEY", "short", "SECRET_KEY: must be at least 32"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings(_env_file=None)
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value)


def test_token_value_never_appears_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "12345:short")
    with pytest.raises(ConfigurationError) as caught:
        load_settings(_env_file=None)
    assert "short" not in str(caught.value)


def test_generated_secret_key_is_kept_private_and_reused(tmp_path: Path) -> None:
    code = (
        "from services.config import load_settings; s = load_settings(_env_file=None); "
        "print(s.secret_key.get_secret_value())"
    )
    env = {"YOLDOSH_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    secret_file = tmp_path / "var" / "secret_key"
    assert first == second and len(first.strip()) == 64
    assert secret_file.read_text().strip() == first.strip()
    assert secret_file.stat().st_mode & 0o077 == 0


def test_cli_reports_a_bad_value_in_one_line(tmp_path: Path) -> None:
    env = {"YOLDOSH_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "DEFAULT_LOCALE": "fr"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "db", "upgrade"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("yoldosh: configuration error: DEFAULT_LOCALE: must be one of")


def test_pseudonyms_keep_their_key_through_a_secret_key_rotation() -> None:
    before = load_settings(secret_key="a" * 40, _env_file=None)
    rotated = load_settings(secret_key="b" * 40, old_secret_keys="a" * 40, pseudonym_key="a" * 40, _env_file=None)
    assert rotated.pseudonym_key_bytes() == before.pseudonym_key_bytes() == b"a" * 40
    assert rotated.secret_key_bytes() == b"b" * 40
    with pytest.raises(ConfigurationError, match="PSEUDONYM_KEY"):
        load_settings(secret_key="b" * 40, pseudonym_key="short", _env_file=None)
