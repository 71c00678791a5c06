"""`yoldosh` entry point (bot layer): parses the command line and dispatches to one command module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli import (
    agenda_commands,
    content_commands,
    counselor_commands,
    db_commands,
    privacy_commands,
    report_commands,
    run_commands,
    safety_commands,
    serve_commands,
)
from bot.processes import ServerStartError
from bot.rasa.training import TrainingError
from services.config import ConfigurationError
from services.crypto.keys import DecryptionError
from services.crypto.rotation import RotationError
from services.directory.service import InvalidContentError


def build_parser() -> argparse.ArgumentParser:
    """The full command tree, each level with --help."""
    parser = argparse.ArgumentParser(
        prog="yoldosh", description="Yoldosh: a multilingual helpline for returnees and their families."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run_commands.register(commands)
    db_commands.register(commands)
    content_commands.register(commands)
    safety_commands.register(commands)
    agenda_commands.register(commands)
    counselor_commands.register(commands)
    serve_commands.register(commands)
    report_commands.register(commands)
    privacy_commands.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `yoldosh` command; configuration problems end with one line and exit code 2."""
    arguments = build_parser().parse_args(argv)
    try:
        return int(arguments.handler(arguments) or 0)
    except ConfigurationError as error:
        print(f"yoldosh: configuration error: {error}", file=sys.stderr)
        return 2
    except (
        TrainingError,
        ServerStartError,
        InvalidContentError,
        RotationError,
        DecryptionError,
        serve_commands.SchemaBehindError,
    ) as error:
        print(f"yoldosh: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
