"""`yoldosh run` and `yoldosh chat` (bot layer): serve Yoldosh, or talk to it in this terminal."""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import urlsplit

from telegram import Update

from bot import health
from bot.console.chat import ConsoleChat
from bot.preparation import prepare_database
from bot.processes import running_servers
from bot.rasa.servers import action_server_spec, rasa_server_spec
from bot.rasa.training import ensure_model
from bot.runtime import Runtime, configure_logging, open_runtime
from bot.telegram.application import build_application
from services.config import ConfigurationError, load_settings
from services.paths import PROJECT_ROOT


def _chat(arguments: argparse.Namespace) -> int:
    configure_logging("WARNING")
    settings = load_settings()
    with open_runtime(settings) as runtime:
        prepare_database(runtime.engine, runtime.sessions)
        ConsoleChat(runtime.dialogue).run()
    return 0


def _serve_telegram(runtime: Runtime, webhook_url: str | None) -> None:
    settings = runtime.settings
    application = build_application(
        settings,
        runtime.dialogue,
        runtime.sessions,
        sole_poller=webhook_url is None,
        tracker_store=runtime.tracker_store,
    )
    health.attach(application, runtime)  # /healthz, /readyz, /metrics when HEALTH_PORT is set
    if webhook_url is None:
        print("==> Serving Telegram (long polling); Ctrl-C stops everything", flush=True)
        application.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
        return
    print(f"==> Serving Telegram by webhook on {settings.webhook_listen}:{settings.webhook_port}", flush=True)
    application.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=urlsplit(webhook_url).path.lstrip("/"),
        webhook_url=webhook_url,
        secret_token=settings.webhook_secret_token(),
        allowed_updates=Update.ALL_TYPES,
        close_loop=False,
    )


def _webhook_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise argparse.ArgumentTypeError("must be an https:// URL that Telegram can reach")
    return value


def _run(arguments: argparse.Namespace) -> int:
    settings = load_settings()
    if arguments.webhook and not settings.telegram_bot_token:
        raise ConfigurationError("TELEGRAM_BOT_TOKEN: required with --webhook")
    configure_logging("INFO" if settings.telegram_bot_token else "WARNING", settings.log_format)
    with open_runtime(settings) as runtime:
        print("==> Preparing the database (migrations, directory content)", flush=True)
        prepare_database(runtime.engine, runtime.sessions)
        model = ensure_model()
        if model.trained_now:
            print(f"==> Model trained in {model.seconds:.0f} s: {model.path.name}", flush=True)
        try:
            with running_servers([action_server_spec(settings), rasa_server_spec(settings, model.path)]):
                if settings.telegram_bot_token:
                    _serve_telegram(runtime, arguments.webhook)
                else:
                    ConsoleChat(runtime.dialogue).run()
        except KeyboardInterrupt:
            pass
    print("==> Stopped", flush=True)
    return 0


def _train(arguments: argparse.Namespace) -> int:
    model = ensure_model(force=arguments.force)
    state = f"trained in {model.seconds:.0f} s" if model.trained_now else "up to date, not retrained"
    print(f"{model.path.relative_to(PROJECT_ROOT)} ({state})")
    return 0


def register(commands: Any) -> None:
    """Add `run`, `chat` and `train`."""
    run = commands.add_parser(
        "run",
        help="serve Yoldosh (Telegram when TELEGRAM_BOT_TOKEN is set, else a console chat)",
        description="Migrate, load content, train if needed, start Rasa and the action server, then serve "
        "Telegram (TELEGRAM_BOT_TOKEN set) or a console chat. Ctrl-C stops every process it started.",
    )
    run.add_argument(
        "--webhook",
        metavar="URL",
        type=_webhook_url,
        help="receive Telegram updates at this https URL (WEBHOOK_LISTEN:WEBHOOK_PORT behind your TLS proxy), "
        "checking X-Telegram-Bot-Api-Secret-Token; default: long polling",
    )
    run.set_defaults(handler=_run)
    train = commands.add_parser(
        "train",
        help="train the Rasa model if its inputs changed",
        description="Train the Rasa model into "
        "nlu/models/ when no model exists for the current inputs (config, domain, data, components).",
    )
    train.add_argument("--force", action="store_true", help="train even if an up-to-date model exists")
    train.set_defaults(handler=_train)
    chat = commands.add_parser(
        "chat", help="talk to Yoldosh in this terminal", description="Console chat: buttons appear as numbered choices."
    )
    chat.set_defaults(handler=_chat)
