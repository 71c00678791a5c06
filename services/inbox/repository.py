"""Queries on the inbound update ledger (services layer); they never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.inbox.models import InboundUpdate, PendingUpdate, UpdateState


def insert_claim(
    session: Session, *, channel: str, update_id: int, now: datetime, state: UpdateState = UpdateState.PROCESSING
) -> bool:
    """Record the update in `state`; False if it was already recorded (no error, no savepoint).

    RETURNING tells whether the row went in: an ORM insert's rowcount is -1 on PostgreSQL, whatever happened.
    """
    values = {"channel": channel, "update_id": update_id, "state": state, "claimed_at": now}
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(InboundUpdate).values(**values)
    inserted = statement.on_conflict_do_nothing(index_elements=["channel", "update_id"]).returning(
        InboundUpdate.update_id
    )
    return session.scalar(inserted) is not None


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


def begin_received(session: Session, *, channel: str, update_id: int, now: datetime) -> bool:
    """Move a received update to processing; False if someone else already took it."""
    statement = (
        update(InboundUpdate)
        .where(
            InboundUpdate.channel == channel,
            InboundUpdate.update_id == update_id,
            InboundUpdate.state == UpdateState.RECEIVED,
        )
        .values(state=UpdateState.PROCESSING, claimed_at=now)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def take_back(session: Session, *, channel: str, update_id: int, unfinished_before: datetime, now: datetime) -> bool:
    """Return an unfinished update last touched before `unfinished_before` to received; False if it moved on."""
    statement = (
        update(InboundUpdate)
        .where(
            InboundUpdate.channel == channel,
            InboundUpdate.update_id == update_id,
            InboundUpdate.state != UpdateState.DONE,
            InboundUpdate.claimed_at < unfinished_before,
        )
        .values(state=UpdateState.RECEIVED, claimed_at=now)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def touch_unfinished(session: Session, *, channel: str, update_ids: list[int], now: datetime) -> int:
    """Show that the worker holding these updates is alive: their claim time moves to `now`; returns how many."""
    statement = (
        update(InboundUpdate)
        .where(
            InboundUpdate.channel == channel,
            InboundUpdate.update_id.in_(update_ids),
            InboundUpdate.state != UpdateState.DONE,
        )
        .values(claimed_at=now)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def insert_pending(
    session: Session, *, channel: str, update_id: int, chat_key: str | None, payload: str, now: datetime
) -> None:
    """Keep the update's content until it is handled."""
    session.add(
        PendingUpdate(channel=channel, update_id=update_id, chat_key=chat_key, payload=payload, received_at=now)
    )
    session.flush()


def delete_pending(session: Session, *, channel: str, update_id: int) -> None:
    """Forget a handled update's content."""
    session.execute(delete(PendingUpdate).where(PendingUpdate.channel == channel, PendingUpdate.update_id == update_id))


def earlier_pending_exists(session: Session, *, channel: str, chat_key: str, update_id: int) -> bool:
    """True while an earlier update of the same chat is not yet handled."""
    query = select(PendingUpdate.id).where(
        PendingUpdate.channel == channel, PendingUpdate.chat_key == chat_key, PendingUpdate.update_id < update_id
    )
    return session.scalar(query.limit(1)) is not None


def pending_in_order(session: Session, *, channel: str) -> list[PendingUpdate]:
    """Every update not yet handled on `channel`, oldest first."""
    query = select(PendingUpdate).where(PendingUpdate.channel == channel).order_by(PendingUpdate.update_id)
    return list(session.scalars(query))


def delete_pending_received_before(session: Session, *, before: datetime) -> int:
    """Forget content of updates received before `before` that were never handled; returns how many."""
    result = session.execute(delete(PendingUpdate).where(PendingUpdate.received_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]


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
    """Forget every claim still processing on `channel` whose content was not kept; returns how many."""
    kept = select(PendingUpdate.update_id).where(PendingUpdate.channel == channel)
    result = session.execute(
        delete(InboundUpdate).where(
            InboundUpdate.channel == channel,
            InboundUpdate.state == UpdateState.PROCESSING,
            InboundUpdate.update_id.not_in(kept),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
