"""`yoldosh db …` (bot layer): schema migrations."""

from __future__ import annotations

import argparse
from typing import Any

from services.config import load_settings
from services.storage.database import create_database_engine
from services.storage.migrate import current_revision, head_revision, upgrade_database


def _upgrade(_arguments: argparse.Namespace) -> int:
    settings = load_settings()
    engine = create_database_engine(settings.database_url)
    try:
        before = current_revision(engine)
        upgrade_database(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    state = "already up to date" if before == after else f"upgraded from {before or 'blank'}"
    print(f"database at revision {after} ({state})")
    return 0


def _status(_arguments: argparse.Namespace) -> int:
    settings = load_settings()
    engine = create_database_engine(settings.database_url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    print(f"current {current or 'blank'}, newest {head}" + ("" if current == head else " — run `yoldosh db upgrade`"))
    return 0 if current == head else 1


def register(commands: Any) -> None:
    """Add `db upgrade` and `db status`."""
    db = commands.add_parser("db", help="database schema", description="Database schema migrations.")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    actions.add_parser(
        "upgrade", help="migrate to the newest schema", description="Migrate DATABASE_URL to the newest schema."
    ).set_defaults(handler=_upgrade)
    actions.add_parser(
        "status",
        help="show the schema revision",
        description="Show the current and newest revision; exit 1 when behind.",
    ).set_defaults(handler=_status)
