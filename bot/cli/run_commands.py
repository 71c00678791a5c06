"""`yoldosh run` and `yoldosh chat` (bot layer): serve Yoldosh, or talk to it in this terminal."""

from __future__ import annotations

import argparse
from typing import Any

from bot.console.chat import ConsoleChat
from bot.preparation import prepare_database
from bot.runtime import configure_logging, open_runtime
from services.config import load_settings


def _chat(arguments: argparse.Namespace) -> int:
    configure_logging("WARNING")
    settings = load_settings()
    with open_runtime(settings) as runtime:
        prepare_database(runtime.engine, runtime.sessions)
        ConsoleChat(runtime.dialogue).run()
    return 0


def register(commands: Any) -> None:
    """Add `chat`."""
    chat = commands.add_parser(
        "chat", help="talk to Yoldosh in this terminal", description="Console chat: buttons appear as numbered choices."
    )
    chat.set_defaults(handler=_chat)
