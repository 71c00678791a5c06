"""Process start-up (bot layer): settings, logging, one database engine, the dialogue; disposed at exit."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.dialogue.flow import Dialogue
from bot.json_logs import JsonFormatter
from bot.rasa.client import RasaClient
from services.config import Settings
from services.crypto.keys import KeyRing
from services.i18n.catalogs import require_all_catalogs
from services.privacy.tracker_store import create_tracker_engine
from services.safety.loader import load_lexicon
from services.storage.database import create_database_engine, session_factory

TEXT_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass(frozen=True)
class Runtime:
    """What a running Yoldosh process holds."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    dialogue: Dialogue
    tracker_store: Engine | None = None  # Rasa's tracker store, for the retention purge and erasure


def configure_logging(level: str = "INFO", log_format: str = "text") -> None:
    """Logs to stderr, plain or one JSON object a line (LOG_FORMAT); modules log events, never message text or
    identities."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_LOG_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
    logging.captureWarnings(log_format == "json")  # warnings as log lines too, so every line parses
    for noisy in ("httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextmanager
def open_runtime(settings: Settings) -> Iterator[Runtime]:
    """Create the engine and dialogue for this process; dispose the engine when done."""
    require_all_catalogs()
    load_lexicon().compile_all()  # now, so the first cry for help does not wait for the safety net to compile
    engine = create_database_engine(settings.database_url, key_ring=KeyRing.from_settings(settings))
    tracker_url = settings.tracker_database_url()
    tracker_store = create_tracker_engine(tracker_url) if tracker_url else None
    nlu = RasaClient(settings.rasa_url)
    try:
        sessions = session_factory(engine)
        dialogue = Dialogue(
            sessions=sessions,
            secret_key=settings.pseudonym_key_bytes(),
            default_locale=settings.default_locale,
            retention_days=settings.data_retention_days,
            nlu=nlu,
            counselors_connected=settings.counselor_chat_id is not None,
            tracker_store=tracker_store,
        )
        yield Runtime(
            settings=settings, engine=engine, sessions=sessions, dialogue=dialogue, tracker_store=tracker_store
        )
    finally:
        nlu.close()
        engine.dispose()
        if tracker_store is not None:
            tracker_store.dispose()
