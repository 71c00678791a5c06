"""The transactional outbox (services layer): queue notifications with their cause, hand them to workers.

A delivery worker claims due entries in one short transaction and commits, delivers each, then reports `mark_sent`,
`mark_failed` or `mark_skipped` in another. A claim records the worker and the time: if the worker dies before
reporting, the claim goes stale after `STALE_CLAIM_AFTER` and another worker takes the entry over, so nothing is
lost. Nothing is sent twice as long as a worker reports within that time; a worker that stalls longer loses its
claim (`mark_sent` then returns `owned=False`), and the entry may have been delivered by both.
Payloads carry ids and a locale only; transports render the text from the catalogs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.outbox import repository
from services.outbox.models import OutboxMessage, OutboxStatus
from services.outbox.types import DeliveryOutcome, NewMessage, OutboxItem

STALE_CLAIM_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 5
FIRST_RETRY_AFTER = timedelta(minutes=1)
LONGEST_RETRY_AFTER = timedelta(hours=1)
ERROR_LENGTH = 200


def _item(message: OutboxMessage) -> OutboxItem:
    return OutboxItem(
        id=message.id,
        kind=message.kind,
        user_id=message.user_id,
        payload=dict(message.payload),
        due_at=message.due_at,
        attempts=message.attempts,
        dedupe_key=message.dedupe_key,
    )


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failed attempt: 1, 2, 4, … minutes, at most an hour."""
    return min(FIRST_RETRY_AFTER * 2 ** max(attempts - 1, 0), LONGEST_RETRY_AFTER)


def enqueue_messages(session: Session, *, messages: Sequence[NewMessage], now: datetime) -> int:
    """Queue notifications in the caller's transaction; returns how many were new (a known dedupe key is skipped)."""
    return repository.insert_messages(session, messages=messages, now=now)


def enqueue_message(
    session: Session,
    *,
    kind: str,
    user_id: int | None,
    payload: dict[str, Any],
    due_at: datetime,
    dedupe_key: str,
    now: datetime,
) -> bool:
    """Queue one notification in the caller's transaction; False when one with this dedupe key exists already."""
    message = NewMessage(kind=kind, user_id=user_id, payload=payload, due_at=due_at, dedupe_key=dedupe_key)
    return enqueue_messages(session, messages=[message], now=now) == 1


def count_backlog(session: Session, *, now: datetime) -> int:
    """How many notifications are due and still undelivered: the backlog the workers have to catch up on."""
    return repository.count_due_undelivered(session, now=now)


def cancel_messages(session: Session, *, dedupe_keys: Iterable[str]) -> int:
    """Cancel queued notifications not yet delivered; returns how many."""
    return repository.cancel_undelivered(session, dedupe_keys=dedupe_keys)


def claim_due_messages(
    session: Session,
    *,
    now: datetime,
    limit: int,
    worker_id: str,
    stale_after: timedelta = STALE_CLAIM_AFTER,
    max_attempts: int = MAX_ATTEMPTS,
    kinds: Collection[str] | None = None,
) -> tuple[OutboxItem, ...]:
    """Claim up to `limit` due notifications of `kinds` (default: every kind) for `worker_id`, stale claims included;
    commit before delivering. Entries of other kinds are left alone, for the workers that deliver those."""
    stale_before = now - stale_after
    repository.give_up_abandoned(session, stale_before=stale_before, max_attempts=max_attempts, kinds=kinds)
    claimed = repository.claim(
        session,
        now=now,
        stale_before=stale_before,
        limit=limit,
        worker_id=worker_id,
        max_attempts=max_attempts,
        kinds=kinds,
    )
    return tuple(_item(message) for message in claimed)


def mark_sent(session: Session, *, message_id: int, worker_id: str, now: datetime) -> DeliveryOutcome:
    """Record delivery of an entry this worker still holds."""
    owned = repository.finish_claim(
        session, message_id=message_id, worker_id=worker_id, status=OutboxStatus.SENT, sent_at=now, last_error=None
    )
    return DeliveryOutcome(owned=owned, status=OutboxStatus.SENT if owned else None)


def mark_failed(
    session: Session,
    *,
    message_id: int,
    worker_id: str,
    now: datetime,
    error: str,
    retry_after: timedelta | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    permanent: bool = False,
) -> DeliveryOutcome:
    """Record a failed attempt (`error` names the failure, never user data): retry with backoff, or give up — at
    once when the failure is `permanent` (the recipient blocked the bot, has no chat), else after `max_attempts`."""
    attempts = repository.attempts_of(session, message_id)
    reason = error[:ERROR_LENGTH]
    if permanent or attempts >= max_attempts:
        owned = repository.finish_claim(
            session, message_id=message_id, worker_id=worker_id, status=OutboxStatus.FAILED, last_error=reason
        )
        return DeliveryOutcome(owned=owned, status=OutboxStatus.FAILED if owned else None)
    retry_at = now + (retry_after if retry_after is not None else retry_delay(attempts))
    owned = repository.finish_claim(
        session,
        message_id=message_id,
        worker_id=worker_id,
        status=OutboxStatus.PENDING,
        due_at=retry_at,
        last_error=reason,
        claimed_by=None,
        claimed_at=None,
    )
    if not owned:
        return DeliveryOutcome(owned=False, status=None)
    return DeliveryOutcome(owned=True, status=OutboxStatus.PENDING, retry_at=retry_at)


def mark_skipped(session: Session, *, message_id: int, worker_id: str, reason: str) -> DeliveryOutcome:
    """Record that an entry this worker holds was deliberately not sent (`reason`, e.g. "appointment cancelled")."""
    owned = repository.finish_claim(
        session,
        message_id=message_id,
        worker_id=worker_id,
        status=OutboxStatus.SKIPPED,
        last_error=reason[:ERROR_LENGTH],
    )
    return DeliveryOutcome(owned=owned, status=OutboxStatus.SKIPPED if owned else None)


def postpone(session: Session, *, message_id: int, worker_id: str, until: datetime) -> bool:
    """Hand a claimed entry back, due again at `until`, without counting the claim as an attempt (what it needs is
    still being prepared elsewhere); False when the claim was lost."""
    return repository.finish_claim(
        session,
        message_id=message_id,
        worker_id=worker_id,
        status=OutboxStatus.PENDING,
        due_at=until,
        attempts=OutboxMessage.attempts - 1,
        claimed_by=None,
        claimed_at=None,
    )
