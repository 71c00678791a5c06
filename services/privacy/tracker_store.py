"""Rasa's SQL tracker store, reached over SQL and never through Rasa (services layer).

Rasa 3.6's SQLTrackerStore keeps one row per event in a table `events`: `sender_id` (here always the user's
pseudonym), `type_name` ("user", "bot", "action", "slot", …), `timestamp` (seconds since the epoch), `intent_name`,
`action_name` and `data` (the whole event as JSON, the text a person wrote included). Rasa creates the table when it
first starts; until then there is nothing to read or delete. Rasa rebuilds a tracker from this table on every turn,
so rows deleted here are gone from the conversation at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    inspect,
    select,
)

# Rasa's schema (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent); Rasa creates it, Yoldosh never does.
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
PURGE_BATCH = 5000
SESSION_START_TEXT = "/session_start"  # sent by the bot to begin a fresh Rasa session, not written by the person


@dataclass(frozen=True)
class ConversationLine:
    """One line of a person's conversation with the assistant as Rasa stored it."""

    at: datetime
    speaker: str  # "user" or "bot"
    text: str
    intent: str | None = None


def _sqlite_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # wait for Rasa's own writes instead of failing at once
    cursor.close()


def create_tracker_engine(url: str) -> Engine:
    """An engine for the tracker store at `url` (Settings.tracker_database_url()); parameters never in logs."""
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_busy_timeout)
        return engine
    return create_engine(url, hide_parameters=True, pool_pre_ping=True)


def _has_events(connection: Connection) -> bool:
    return inspect(connection).has_table(EVENTS.name)


def delete_conversation(engine: Engine, *, sender_id: str) -> int:
    """Delete every event of this sender (all sessions); returns how many."""
    with engine.begin() as connection:
        if not _has_events(connection):
            return 0
        result = connection.execute(delete(EVENTS).where(EVENTS.c.sender_id == sender_id))
        return int(result.rowcount)


def purge_events_before(engine: Engine, *, before: datetime, batch_size: int = PURGE_BATCH) -> int:
    """Delete every event older than `before`, `batch_size` rows per transaction (Rasa keeps writing meanwhile);
    returns how many. Safe to run again or from several processes."""
    cutoff = before.timestamp()
    deleted = 0
    while True:
        with engine.begin() as connection:
            if not _has_events(connection):
                return deleted
            batch = select(EVENTS.c.id).where(EVENTS.c.timestamp < cutoff).limit(batch_size).scalar_subquery()
            count = int(connection.execute(delete(EVENTS).where(EVENTS.c.id.in_(batch))).rowcount)
        deleted += count
        if count < batch_size:
            return deleted


def _line(type_name: str, timestamp: float | None, data: str | None) -> ConversationLine | None:
    try:
        event_data = json.loads(data or "{}")
    except ValueError:
        return None
    text = event_data.get("text") if isinstance(event_data, dict) else None
    if not isinstance(text, str) or not text or text == SESSION_START_TEXT:
        return None
    intent = None
    if type_name == "user":
        parsed = event_data.get("parse_data") or {}
        intent = (parsed.get("intent") or {}).get("name") if isinstance(parsed, dict) else None
    at = datetime.fromtimestamp(timestamp or 0.0, tz=UTC)
    return ConversationLine(at=at, speaker=type_name, text=text, intent=intent if isinstance(intent, str) else None)


def conversation(engine: Engine, *, sender_id: str) -> list[ConversationLine]:
    """What the sender wrote and what the assistant answered, oldest first (every session Rasa still keeps)."""
    with engine.connect() as connection:
        if not _has_events(connection):
            return []
        rows = connection.execute(
            select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
            .where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name.in_(("user", "bot")))
            .order_by(EVENTS.c.id)
        )
        lines = [_line(type_name, timestamp, data) for type_name, timestamp, data in rows]
    return [line for line in lines if line is not None]
