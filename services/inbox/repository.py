"""Queries on the inbound update ledger (services layer); they never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.inbox.models import InboundUpdate, UpdateState


def insert_claim(session: Session, *, channel: str, update_id: int, now: datetime) -> bool:
    """Record the update as being processed; False if it was already recorded (no error, no savepoint)."""
    values = {"channel": channel, "update_id": update_id, "state": UpdateState.PROCESSING, "claimed_at": now}
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(InboundUpdate).values(**values)
    result = session.execute(statement.on_conflict_do_nothing(index_elements=["channel", "update_id"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def take_over_stale_claim(
    session: Session, *, channel: str, update_id: int, stale_before: datetime, now: datetime
) -> bool:
    """Re-claim an update whose handler died mid-way (still processing since before `stale_before`)."""
    statement = (
        update(InboundUpdate)
        .where(
            InboundUpdate.channel == channel,
            InboundUpdate.update_id == update_id,
            InboundUpdate.state == UpdateState.PROCESSING,
            InboundUpdate.claimed_at < stale_before,
        )
        .values(claimed_at=now)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def mark_done(session: Session, *, channel: str, update_id: int, now: datetime) -> None:
    """Record that handling finished."""
    session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.channel == channel, InboundUpdate.update_id == update_id)
        .values(state=UpdateState.DONE, finished_at=now)
    )


def state_of(session: Session, *, channel: str, update_id: int) -> UpdateState | None:
    """The recorded state of one update, or None if never seen."""
    return session.scalar(
        select(InboundUpdate.state).where(InboundUpdate.channel == channel, InboundUpdate.update_id == update_id)
    )


def delete_claimed_before(session: Session, *, before: datetime) -> int:
    """Forget updates claimed before `before`; returns how many."""
    result = session.execute(delete(InboundUpdate).where(InboundUpdate.claimed_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_processing(session: Session, *, channel: str) -> int:
    """Forget every claim still processing on `channel`; returns how many."""
    result = session.execute(
        delete(InboundUpdate).where(InboundUpdate.channel == channel, InboundUpdate.state == UpdateState.PROCESSING)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
