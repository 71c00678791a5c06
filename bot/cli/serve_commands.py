"""`yoldosh prepare`, `serve-bot` and `serve-actions` (bot layer): one component per process, for containers.

`yoldosh run` starts Rasa and the action server itself and prepares the database; in a deployment each of them is
its own container instead: `prepare` once (migrations and directory content), then `serve-actions` and `serve-bot`
side by side, with Rasa started by its own image. These commands never generate a SECRET_KEY: every container
must be given the same one.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from sqlalchemy import Engine

from bot.cli.run_commands import _serve_telegram, _webhook_url
from bot.preparation import prepare_database
from bot.runtime import configure_logging, open_runtime
from services.config import ConfigurationError, Settings, load_settings
from services.crypto.keys import KeyRing
from services.storage.database import create_database_engine, session_factory
from services.storage.migrate import current_revision, head_revision


class SchemaBehindError(RuntimeError):
    """The database is not at the newest schema: `yoldosh prepare` has not run for this version."""


def _settings() -> Settings:
    settings = load_settings(generate_secret=False)
    if settings.secret_key is None:
        raise ConfigurationError("SECRET_KEY: required here, and the same in every process (openssl rand -hex 32)")
    configure_logging("INFO", settings.log_format)
    return settings


def _engine(settings: Settings) -> Engine:
    return create_database_engine(settings.database_url, key_ring=KeyRing.from_settings(settings))


def _require_newest_schema(settings: Settings) -> None:
    engine = _engine(settings)
    try:
        current, newest = current_revision(engine), head_revision()
    finally:
        engine.dispose()
    if current != newest:
        raise SchemaBehindError(f"database at revision {current or 'blank'}, newest {newest}: run `yoldosh prepare`")


def _prepare(_arguments: argparse.Namespace) -> int:
    settings = _settings()
    engine = _engine(settings)
    try:
        report = prepare_database(engine, session_factory(engine))
        revision = current_revision(engine)
    finally:
        engine.dispose()
    print(
        f"database at revision {revision}; directory: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged",
        flush=True,
    )
    return 0


def _serve_bot(arguments: argparse.Namespace) -> int:
    settings = _settings()
    if settings.telegram_bot_token is None:
        raise ConfigurationError("TELEGRAM_BOT_TOKEN: required to serve Telegram")
    _require_newest_schema(settings)  # before the safety net compiles: a mistake shows at once
    with open_runtime(settings) as runtime, contextlib.suppress(KeyboardInterrupt):
        _serve_telegram(runtime, arguments.webhook)
    print("==> Stopped", flush=True)
    return 0


def _serve_actions(_arguments: argparse.Namespace) -> int:
    settings = _settings()
    from nlu.actions import server  # rasa-sdk and Sanic load only for this command

    server.main(["--host", settings.action_server_host, "--port", str(settings.action_server_port)])
    return 0


def register(commands: Any) -> None:
    """Add `prepare`, `serve-bot` and `serve-actions`."""
    commands.add_parser(
        "prepare",
        help="migrate the database and load the directory content, then exit",
        description="Migrate DATABASE_URL to the newest schema and load the directory content (both no-ops when "
        "nothing changed); run once per deployment before serve-bot and serve-actions.",
    ).set_defaults(handler=_prepare)
    bot = commands.add_parser(
        "serve-bot",
        help="serve Telegram only (no Rasa, no action server started)",
        description="Serve Telegram in this process alone, talking to Rasa at RASA_URL, on a database `yoldosh "
        "prepare` made ready; with HEALTH_PORT set, also /healthz, /readyz and /metrics on HEALTH_LISTEN.",
    )
    bot.add_argument(
        "--webhook",
        metavar="URL",
        type=_webhook_url,
        help="receive Telegram updates at this https URL (WEBHOOK_LISTEN:WEBHOOK_PORT behind your TLS proxy); "
        "default: long polling",
    )
    bot.set_defaults(handler=_serve_bot)
    commands.add_parser(
        "serve-actions",
        help="serve the action server only (custom actions and /nlg)",
        description="Serve Rasa's action server (custom actions and replies from the catalogs) on "
        "ACTION_SERVER_HOST:ACTION_SERVER_PORT in this process alone.",
    ).set_defaults(handler=_serve_actions)
