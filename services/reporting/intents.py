"""What people asked the assistant, counted from Rasa's SQL tracker store over plain SQL (services layer).

Rasa writes one `events` row per user message with the intent it understood (`type_name` "user", `intent_name`);
Yoldosh reads the counts only, never a sender or a text. The tracker store forgets events older than
DATA_RETENTION_DAYS (`yoldosh purge`), so earlier periods have fewer or none.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, distinct, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from services.privacy.tracker_store import EVENTS, create_tracker_engine
from services.reporting.types import THRESHOLD, IntentCount, IntentSource, ReportPeriod, TopIntents

# Intents Rasa or the bot use for housekeeping, not something a person asked.
HOUSEKEEPING_INTENTS = ("session_start", "restart", "back")
TOP_INTENTS = 10


def top_intents(tracker_store: Engine, *, period: ReportPeriod, limit: int = TOP_INTENTS) -> TopIntents:
    """The intents of most user messages in the period, each from at least THRESHOLD people; the rest only counted."""
    with tracker_store.connect() as connection:
        if not inspect(connection).has_table(EVENTS.name):
            return TopIntents(source=IntentSource.NO_EVENTS)
        statement = (
            select(EVENTS.c.intent_name, func.count(), func.count(distinct(EVENTS.c.sender_id)))
            .where(
                EVENTS.c.type_name == "user",
                EVENTS.c.intent_name.is_not(None),
                EVENTS.c.intent_name != "",
                EVENTS.c.intent_name.not_in(HOUSEKEEPING_INTENTS),
                EVENTS.c.timestamp >= period.start.timestamp(),
                EVENTS.c.timestamp < period.end.timestamp(),
            )
            .group_by(EVENTS.c.intent_name)
        )
        rows = connection.execute(statement).all()
    counts = [
        IntentCount(intent=str(name), messages=int(messages), people=int(people)) for name, messages, people in rows
    ]
    common = sorted(
        (count for count in counts if count.people >= THRESHOLD), key=lambda count: (-count.messages, count.intent)
    )
    listed = tuple(common[:limit])
    return TopIntents(source=IntentSource.RECORDED, intents=listed, unlisted=len(counts) - len(listed))


def read_top_intents(tracker_url: str | None, *, period: ReportPeriod, limit: int = TOP_INTENTS) -> TopIntents:
    """Top intents from the tracker store at `tracker_url` (Settings.tracker_database_url(); None: Rasa keeps
    conversations in memory); a store that does not exist yet is not created, one that cannot be read is said so."""
    if tracker_url is None:
        return TopIntents(source=IntentSource.IN_MEMORY)
    if tracker_url.startswith("sqlite:///") and not Path(tracker_url.removeprefix("sqlite:///")).is_file():
        return TopIntents(source=IntentSource.NO_EVENTS)
    engine = create_tracker_engine(tracker_url)
    try:
        return top_intents(engine, period=period, limit=limit)
    except SQLAlchemyError:
        return TopIntents(source=IntentSource.UNREADABLE)
    finally:
        engine.dispose()
