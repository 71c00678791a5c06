"""Exactly-once handling of inbound updates across redeliveries, restarts and workers (services layer)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.inbox import repository
from services.storage.base import utcnow

# A claim older than this whose handler never finished belongs to a process that died: take it over.
STALE_CLAIM_AFTER = timedelta(seconds=90)
# Telegram stops redelivering an update within a day; keep the ledger a week.
LEDGER_KEEP = timedelta(days=7)


def claim_update(
    session: Session,
    *,
    channel: str,
    update_id: int,
    now: datetime | None = None,
    stale_after: timedelta = STALE_CLAIM_AFTER,
) -> bool:
    """True if this caller should handle the update: first delivery, or a claim abandoned by a dead worker."""
    now = now or utcnow()
    if repository.insert_claim(session, channel=channel, update_id=update_id, now=now):
        return True
    return repository.take_over_stale_claim(
        session, channel=channel, update_id=update_id, stale_before=now - stale_after, now=now
    )


def finish_update(session: Session, *, channel: str, update_id: int, now: datetime | None = None) -> None:
    """Mark the update handled, so no redelivery is handled again."""
    repository.mark_done(session, channel=channel, update_id=update_id, now=now or utcnow())


def purge_update_ledger(session: Session, *, now: datetime | None = None, keep: timedelta = LEDGER_KEEP) -> int:
    """Forget updates older than `keep`; returns how many rows went."""
    return repository.delete_claimed_before(session, before=(now or utcnow()) - keep)


def release_unfinished_claims(session: Session, *, channel: str) -> int:
    """Forget claims whose handler never finished, so their redelivery is handled; for a lone restarting poller."""
    return repository.delete_processing(session, channel=channel)
