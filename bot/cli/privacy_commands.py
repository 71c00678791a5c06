"""`yoldosh purge` (bot layer): the retention purge, by hand or from cron, as the running bot does it hourly."""

from __future__ import annotations

import argparse
from typing import Any

from services.config import load_settings
from services.crypto.keys import KeyRing
from services.privacy.retention import purge_expired_data
from services.privacy.tracker_store import create_tracker_engine
from services.storage.database import create_database_engine, session_factory


def _purge(_arguments: argparse.Namespace) -> int:
    settings = load_settings()
    engine = create_database_engine(settings.database_url, key_ring=KeyRing.from_settings(settings))
    tracker_url = settings.tracker_database_url()
    tracker_store = create_tracker_engine(tracker_url) if tracker_url else None
    try:
        report = purge_expired_data(
            session_factory(engine), tracker_store=tracker_store, retention_days=settings.data_retention_days
        )
    finally:
        engine.dispose()
        if tracker_store is not None:
            tracker_store.dispose()
    print(f"purged what is older than {settings.data_retention_days} days, {report.summary()}")
    return 0


def register(commands: Any) -> None:
    """Add `purge`."""
    purge = commands.add_parser(
        "purge",
        help="delete message content older than DATA_RETENTION_DAYS (also runs hourly in the bot)",
        description="Blank the messages of cases closed longer ago than DATA_RETENTION_DAYS (unless a counselor "
        "holds them) and the notes of past appointments, delete stale booking drafts, delivered notifications and "
        "the quick-exit and update ledgers, and delete older events from Rasa's tracker store. Safe to run again.",
    )
    purge.set_defaults(handler=_purge)
