"""Queries on the outbox (services layer); never commits."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.outbox.models import OutboxMessage, OutboxStatus
from services.outbox.types import NewMessage


def insert_messages(session: Session, *, messages: Sequence[NewMessage], now: datetime) -> int:
    """Queue entries in one statement, skipping (no error, no aborted transaction) dedupe keys already queued."""
    if not messages:
        return 0
    dialect = session.get_bind().dialect.name
    rows = [
        {
            "kind": message.kind,
            "user_id": message.user_id,
            "payload": message.payload,
            "due_at": message.due_at,
            "dedupe_key": message.dedupe_key,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "created_at": now,
        }
        for message in messages
    ]
    statement = (
        (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OutboxMessage)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    return len(session.scalars(statement).all())


def cancel_undelivered(session: Session, *, dedupe_keys: Iterable[str]) -> int:
    """Cancel the entries with these keys that are not delivered yet (pending or claimed); returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.dedupe_key.in_(list(dedupe_keys)),
            OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.CLAIMED)),
        )
        .values(status=OutboxStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _of_kinds(kinds: Collection[str] | None) -> ColumnElement[bool]:
    return OutboxMessage.kind.in_(sorted(kinds)) if kinds is not None else true()


def _claimable(
    *, now: datetime, stale_before: datetime, max_attempts: int, kinds: Collection[str] | None
) -> ColumnElement[bool]:
    due = or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now),
        and_(
            OutboxMessage.status == OutboxStatus.CLAIMED,
            OutboxMessage.claimed_at < stale_before,
            OutboxMessage.attempts < max_attempts,
        ),
    )
    return and_(due, _of_kinds(kinds))


def give_up_abandoned(
    session: Session, *, stale_before: datetime, max_attempts: int, kinds: Collection[str] | None = None
) -> int:
    """Fail entries (of these kinds, or any) whose every attempt was claimed by a worker that never reported back;
    returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.CLAIMED,
            OutboxMessage.claimed_at < stale_before,
            OutboxMessage.attempts >= max_attempts,
            _of_kinds(kinds),
        )
        .values(status=OutboxStatus.FAILED, last_error="abandoned by its workers", claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def claim(
    session: Session,
    *,
    now: datetime,
    stale_before: datetime,
    limit: int,
    worker_id: str,
    max_attempts: int,
    kinds: Collection[str] | None = None,
) -> Sequence[OutboxMessage]:
    """Claim up to `limit` due entries (of these kinds, or any) for `worker_id`, oldest due first; no two claimers
    get the same entry.

    PostgreSQL locks the candidates with FOR UPDATE SKIP LOCKED, so concurrent workers pass over each other's rows.
    On both backends the UPDATE repeats the claimable condition, so a row claimed meanwhile (PostgreSQL re-checks a
    row after waiting for its lock; SQLite writers take turns under BEGIN IMMEDIATE) is not claimed again.
    """
    claimable = _claimable(now=now, stale_before=stale_before, max_attempts=max_attempts, kinds=kinds)
    candidates = select(OutboxMessage.id).where(claimable).order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.scalars(candidates))
    if not ids:
        return []
    claimed = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), claimable)
        .values(
            status=OutboxStatus.CLAIMED,
            claimed_by=worker_id,
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage)
        .execution_options(populate_existing=True)
    )
    return sorted(claimed, key=lambda message: (message.due_at, message.id))


def finish_claim(session: Session, *, message_id: int, worker_id: str, **values: Any) -> bool:
    """Update an entry still claimed by `worker_id`; False when the claim was lost (taken over, cancelled)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == OutboxStatus.CLAIMED,
            OutboxMessage.claimed_by == worker_id,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def attempts_of(session: Session, message_id: int) -> int:
    """How many times an entry was claimed."""
    return int(session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == message_id)) or 0)


def count_due_undelivered(session: Session, *, now: datetime) -> int:
    """How many entries are due and not delivered yet (pending or claimed): one COUNT on indexed columns."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.CLAIMED)),
                OutboxMessage.due_at <= now,
            )
        )
        or 0
    )
