"""`yoldosh content …` (bot layer): check and load the service directory; check the counselor desk hours."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from services.config import load_settings
from services.content.reader import read_directory
from services.crypto.keys import KeyRing
from services.directory.service import load_directory
from services.escalation.hours import HOURS_FILE, DeskHoursError, load_desk_hours
from services.paths import DIRECTORY_DIR
from services.storage.database import create_database_engine, session_factory, transaction


def _check(arguments: argparse.Namespace) -> int:
    content = read_directory(arguments.directory)
    problems = [str(problem) for problem in content.problems]
    try:
        desks = len(load_desk_hours(arguments.hours, directory=arguments.directory).desks)
    except DeskHoursError as error:
        problems += str(error).splitlines()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {arguments.directory} and {arguments.hours}")
        return 1
    countries = sorted({sourced.country for sourced in content.providers})
    print(
        f"content OK: {len(content.providers)} providers in {len(countries)} countries ({', '.join(countries)}); "
        f"counselor hours for {desks} countries"
    )
    return 0


def _load(arguments: argparse.Namespace) -> int:
    content = read_directory(arguments.directory)
    if content.problems:
        for problem in content.problems:
            print(problem)
        print("nothing loaded: fix the problems above first")
        return 1
    settings = load_settings()
    engine = create_database_engine(settings.database_url, key_ring=KeyRing.from_settings(settings))
    try:
        with transaction(session_factory(engine)) as session:
            report = load_directory(session, content=content)
    finally:
        engine.dispose()
    print(
        f"directory loaded: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.deactivated} deactivated"
    )
    return 0


def register(commands: Any) -> None:
    """Add `content check` and `content load`."""
    content = commands.add_parser("content", help="service directory content", description="Service directory content.")
    actions = content.add_subparsers(dest="content_command", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="validate the YAML",
        description="Validate content/directory and the counselor hours; list every problem; exit 1 if any.",
    )
    check.add_argument("--hours", type=Path, default=HOURS_FILE, help="counselor hours file (default: %(default)s)")
    load = actions.add_parser(
        "load",
        help="upsert into the database",
        description="Check, then upsert the directory into DATABASE_URL (idempotent).",
    )
    for parser, handler in ((check, _check), (load, _load)):
        parser.add_argument(
            "--directory", type=Path, default=DIRECTORY_DIR, help="directory folder (default: %(default)s)"
        )
        parser.set_defaults(handler=handler)
