"""Settings from the environment and an optional `.env` (services layer); one clear line per bad value."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.i18n.locales import SUPPORTED_LOCALES
from services.paths import PROJECT_ROOT, VAR_DIR

DEFAULT_TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
TRACKER_IN_MEMORY = "memory"


class ConfigurationError(Exception):
    """A setting is missing or invalid; the message names the variable and the problem."""


class Settings(BaseSettings):
    """Every knob Yoldosh reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = DEFAULT_TELEGRAM_API_BASE_URL
    database_url: str = f"sqlite:///{VAR_DIR / 'yoldosh.db'}"
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_host: str = "127.0.0.1"
    action_server_port: Annotated[int, Field(ge=1, le=65535)] = 5055
    counselor_chat_id: int | None = None
    counselor_desk_locale: str = "ru"
    counselor_desk_timezone: str = "Asia/Tashkent"
    secret_key: SecretStr | None = None
    pseudonym_key: SecretStr | None = None
    # Earlier SECRET_KEYs, comma-separated: still accepted to decrypt text at rest until `yoldosh db rotate-keys`.
    old_secret_keys: SecretStr | None = None
    default_locale: str = "ru"
    data_retention_days: Annotated[int, Field(ge=1, le=3650)] = 180
    # Rasa's tracker store: "memory", sqlite:///PATH or postgresql://…; unset: beside DATABASE_URL (see
    # tracker_database_url).
    tracker_store_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: Annotated[int, Field(ge=1, le=65535)] = 8443
    telegram_concurrent_updates: Annotated[int, Field(ge=1, le=4096)] = 256
    telegram_messages_per_second: Annotated[int, Field(ge=1, le=1000)] = 30
    # The bot's /healthz, /readyz and /metrics (Prometheus); HEALTH_PORT unset: not served.
    health_listen: str = "127.0.0.1"
    health_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    # "text" for people, "json" (one object a line) for log collectors; never message text either way.
    log_format: Literal["text", "json"] = "text"

    @field_validator(
        "telegram_bot_token",
        "secret_key",
        "pseudonym_key",
        "old_secret_keys",
        "webhook_secret",
        "tracker_store_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("tracker_store_url")
    @classmethod
    def _tracker_store_url(cls, value: str | None) -> str | None:
        if value is None or value == TRACKER_IN_MEMORY:
            return value
        try:
            return _normalised_database_url(value)
        except ValueError:
            message = f'must be "{TRACKER_IN_MEMORY}", sqlite:///PATH or postgresql://USER@HOST:PORT/DB'
            raise ValueError(message) from None

    @field_validator("health_port", mode="before")
    @classmethod
    def _blank_port_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("counselor_chat_id", mode="before")
    @classmethod
    def _blank_chat_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            bot_id, _, secret = value.get_secret_value().partition(":")
            if not bot_id.isdigit() or len(secret) < 20:
                raise ValueError("does not look like a bot token from @BotFather (digits:secret)")
        return value

    @field_validator("telegram_api_base_url", "rasa_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return _normalised_database_url(value)

    @field_validator("default_locale", "counselor_desk_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("counselor_desk_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError("must be an IANA time zone such as Asia/Tashkent") from error
        return value

    @field_validator("secret_key", "pseudonym_key")
    @classmethod
    def _secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (try: openssl rand -hex 32)")
        return value

    @field_validator("old_secret_keys")
    @classmethod
    def _old_secrets_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and any(len(key) < 32 for key in _comma_separated(value)):
            raise ValueError("each comma-separated key must be at least 32 characters")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()):
            raise ValueError("must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    def webhook_secret_token(self) -> str:
        """The X-Telegram-Bot-Api-Secret-Token: WEBHOOK_SECRET, or one derived from SECRET_KEY."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        return hmac.new(self.secret_key_bytes(), b"telegram-webhook-secret", hashlib.sha256).hexdigest()

    def tracker_database_url(self) -> str | None:
        """Where Rasa keeps conversations, as this process connects to it; None when Rasa keeps them in memory.

        TRACKER_STORE_URL unset: beside DATABASE_URL, a SQLite file next to the database file or the same PostgreSQL
        database.
        """
        if self.tracker_store_url == TRACKER_IN_MEMORY:
            return None
        if self.tracker_store_url is not None:
            return self.tracker_store_url
        if self.database_url.startswith("sqlite:///"):
            database = Path(self.database_url.removeprefix("sqlite:///"))
            return f"sqlite:///{database.with_name(database.stem + '-rasa.db')}"
        return self.database_url

    def secret_key_bytes(self) -> bytes:
        """The secret key for pseudonyms and encryption; load_settings guarantees it is set."""
        if self.secret_key is None:
            raise ConfigurationError("SECRET_KEY: not set")
        return self.secret_key.get_secret_value().encode()

    def pseudonym_key_bytes(self) -> bytes:
        """The key users' pseudonyms are derived with: PSEUDONYM_KEY, else SECRET_KEY (pin it before a rotation)."""
        if self.pseudonym_key is not None:
            return self.pseudonym_key.get_secret_value().encode()
        return self.secret_key_bytes()

    def old_secret_keys_bytes(self) -> list[bytes]:
        """The earlier secret keys, still accepted for decryption, in the order given."""
        return [key.encode() for key in _comma_separated(self.old_secret_keys)]


def _normalised_database_url(value: str) -> str:
    """sqlite:///PATH as given; postgres:// and postgresql:// with the psycopg driver this process uses."""
    if value.startswith("postgres://"):
        value = "postgresql://" + value.removeprefix("postgres://")
    if value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
    if not value.startswith(("sqlite:///", "postgresql+psycopg://")):
        raise ValueError("must be sqlite:///PATH or postgresql://USER@HOST:PORT/DB")
    return value


def _comma_separated(value: SecretStr | None) -> list[str]:
    if value is None:
        return []
    return [key.strip() for key in value.get_secret_value().split(",") if key.strip()]


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    variable = str(first["loc"][0]).upper() if first["loc"] else "configuration"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{variable}: {message}"


def _generated_secret_key(secret_file: Path) -> str:
    if secret_file.exists():
        return secret_file.read_text(encoding="utf-8").strip()
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    secret_file.touch(mode=0o600)
    secret_file.write_text(key + "\n", encoding="utf-8")
    return key


def load_settings(*, generate_secret: bool = True, **overrides: object) -> Settings:
    """Read and validate settings; a generated SECRET_KEY is kept in var/secret_key when none is set."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigurationError(_describe(error)) from None
    if settings.secret_key is None and generate_secret:
        generated = _generated_secret_key(VAR_DIR / "secret_key")
        settings = settings.model_copy(update={"secret_key": SecretStr(generated)})
    for url in (settings.database_url, settings.tracker_database_url()):
        if url is not None and url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return settings
