"""The Telegram bot alone, as its own process, for the benchmarks (bench layer): `python -m bench.bot_process`.

Does what `yoldosh run` does to serve Telegram by long polling, minus starting Rasa and the action server (the
benchmark starts those once and points RASA_URL at them). Settings come from the environment as usual;
YOLDOSH_BENCH_TRACE=PATH also writes where each turn's time goes (bench.bot_trace).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from telegram import Update

from bench import bot_trace
from bot.preparation import prepare_database
from bot.runtime import configure_logging, open_runtime
from bot.telegram.application import build_application
from services.config import load_settings

log = logging.getLogger(__name__)


def main() -> None:
    """Serve Telegram until SIGTERM or SIGINT."""
    configure_logging("WARNING")
    trace = os.environ.get("YOLDOSH_BENCH_TRACE")
    if trace:
        missing = bot_trace.install(Path(trace))
        if missing:
            log.warning("trace: not found in the bot, not timed: %s", ", ".join(missing))
    settings = load_settings(generate_secret=False)
    with open_runtime(settings) as runtime:
        prepare_database(runtime.engine, runtime.sessions)
        application = build_application(settings, runtime.dialogue, runtime.sessions)
        application.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)


if __name__ == "__main__":
    main()
