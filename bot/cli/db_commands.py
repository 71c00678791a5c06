"""`yoldosh db …` (bot layer): schema migrations and re-encryption under the current key."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import Engine

from services.config import load_settings
from services.crypto.keys import KeyRing
from services.crypto.rotation import BATCH_SIZE, rotate_keys
from services.storage.database import create_database_engine, session_factory
from services.storage.migrate import current_revision, head_revision, upgrade_database


def _engine() -> Engine:
    settings = load_settings()
    return create_database_engine(settings.database_url, key_ring=KeyRing.from_settings(settings))


def _upgrade(_arguments: argparse.Namespace) -> int:
    engine = _engine()
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
    engine = _engine()
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    print(f"current {current or 'blank'}, newest {head}" + ("" if current == head else " — run `yoldosh db upgrade`"))
    return 0 if current == head else 1


def _rotate_keys(arguments: argparse.Namespace) -> int:
    engine = _engine()
    try:
        report = rotate_keys(session_factory(engine), batch_size=arguments.batch_size)
    finally:
        engine.dispose()
    print(
        f"text at rest under key {report.key_id}: {report.rotated} re-encrypted from an old key, "
        f"{report.encrypted} encrypted for the first time, {report.current} already current"
        + (f", {report.changed} changed meanwhile (run again)" if report.changed else "")
    )
    return 0


def _batch_size(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number")
    return int(value)


def register(commands: Any) -> None:
    """Add `db upgrade`, `db status` and `db rotate-keys`."""
    db = commands.add_parser("db", help="database schema and keys", description="Database schema and keys.")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    actions.add_parser(
        "upgrade", help="migrate to the newest schema", description="Migrate DATABASE_URL to the newest schema."
    ).set_defaults(handler=_upgrade)
    actions.add_parser(
        "status",
        help="show the schema revision",
        description="Show the current and newest revision; exit 1 when behind.",
    ).set_defaults(handler=_status)
    rotate = actions.add_parser(
        "rotate-keys",
        help="re-encrypt text at rest under SECRET_KEY",
        description="Re-encrypt every encrypted value under SECRET_KEY (values under OLD_SECRET_KEYS and values "
        "stored before encryption), batch by batch; values already under SECRET_KEY are left alone.",
    )
    rotate.add_argument(
        "--batch-size", type=_batch_size, default=BATCH_SIZE, help="rows per transaction (default: %(default)s)"
    )
    rotate.set_defaults(handler=_rotate_keys)
