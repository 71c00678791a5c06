"""Exactly-once handling of inbound updates across redeliveries, restarts and workers (services layer).

An update is stored on arrival (state received, its content encrypted in pending_updates) before the channel
is told it arrived, taken (processing) when its turn comes, and finished (done, content dropped) once handled.
What a crash leaves received or processing is taken back and handled on restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.inbox import repository
from services.inbox.models import UpdateState
from services.storage.base import utcnow

# A claim older than this whose handler never finished belongs to a process that died: take it over.
STALE_CLAIM_AFTER = timedelta(seconds=90)
# Telegram stops redelivering an update within a day; keep the ledger a week.
LEDGER_KEEP = timedelta(days=7)


@dataclass(frozen=True)
class UnfinishedUpdate:
    """An update taken back after its handler died: what the channel sent, to be handled again."""

    update_id: int
    payload: str


def receive_update(
    session: Session, *, channel: str, update_id: int, chat_key: str | None, payload: str, now: datetime | None = None
) -> bool:
    """Store an arriving update until it is handled; False if it had arrived before (a redelivery)."""
    now = now or utcnow()
    if not repository.insert_claim(session, channel=channel, update_id=update_id, now=now, state=UpdateState.RECEIVED):
        return False
    repository.insert_pending(
        session, channel=channel, update_id=update_id, chat_key=chat_key, payload=payload, now=now
    )
    return True


def earlier_unfinished(session: Session, *, channel: str, chat_key: str, update_id: int) -> bool:
    """True while an update of the same chat that arrived earlier is not handled yet."""
    return repository.earlier_pending_exists(session, channel=channel, chat_key=chat_key, update_id=update_id)


def take_back_unfinished(
    session: Session, *, channel: str, untouched_since: datetime, now: datetime | None = None
) -> list[UnfinishedUpdate]:
    """Take back, oldest first, every stored update not handled and not touched since `untouched_since`."""
    now = now or utcnow()
    taken = []
    for pending in repository.pending_in_order(session, channel=channel):
        if repository.take_back(
            session, channel=channel, update_id=pending.update_id, unfinished_before=untouched_since, now=now
        ):
            taken.append(UnfinishedUpdate(update_id=pending.update_id, payload=pending.payload))
    return taken


def claim_update(
    session: Session,
    *,
    channel: str,
    update_id: int,
    now: datetime | None = None,
    stale_after: timedelta = STALE_CLAIM_AFTER,
) -> bool:
    """True if this caller should handle the update: stored and waiting, first seen, or abandoned by a dead worker."""
    now = now or utcnow()
    if repository.begin_received(session, channel=channel, update_id=update_id, now=now):
        return True
    if repository.insert_claim(session, channel=channel, update_id=update_id, now=now):
        return True
    return repository.take_over_stale_claim(
        session, channel=channel, update_id=update_id, stale_before=now - stale_after, now=now
    )


def finish_update(session: Session, *, channel: str, update_id: int, now: datetime | None = None) -> None:
    """Mark the update handled and drop its stored content, so no redelivery or restart handles it again."""
    repository.mark_done(session, channel=channel, update_id=update_id, now=now or utcnow())
    repository.delete_pending(session, channel=channel, update_id=update_id)


def keep_alive(session: Session, *, channel: str, update_ids: list[int], now: datetime | None = None) -> int:
    """A live worker still holds these updates (queued or being handled): no other worker may take them back."""
    if not update_ids:
        return 0
    return repository.touch_unfinished(session, channel=channel, update_ids=update_ids, now=now or utcnow())


def purge_update_ledger(session: Session, *, now: datetime | None = None, keep: timedelta = LEDGER_KEEP) -> int:
    """Forget updates older than `keep`, and content of any never handled; returns how many ledger rows went."""
    before = (now or utcnow()) - keep
    repository.delete_pending_received_before(session, before=before)
    return repository.delete_claimed_before(session, before=before)


def release_unfinished_claims(session: Session, *, channel: str) -> int:
    """Forget claims whose handler never finished and whose content was not stored, so a redelivery is handled."""
    return repository.delete_processing(session, channel=channel)
