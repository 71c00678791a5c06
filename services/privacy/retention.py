"""The retention purge (services layer): remove what people wrote, and traces of their conversations, once they are
older than DATA_RETENTION_DAYS, from the application database and from Rasa's tracker store.

What "older" means, table by table (the README's "Privacy and security" lists the same):

- case messages: blanked when their case closed before the limit, unless a counselor holds the case; the case row
  (times, outcome) and the audit log stay, the case is stamped `content_purged_at`;
- cases kept only by a hold for someone who erased their data: deleted once the hold is lifted;
- appointment notes: blanked once the visit ended (or was cancelled) before the limit; the appointment stays;
- bookings in progress: deleted when untouched since before the limit;
- notifications: deleted once delivered, failed, cancelled or skipped and due before the limit (ids only);
- quick-exit message ids and the update ledger: their own shorter limits (48 hours, 7 days);
- Rasa's tracker store: every event older than the limit.

Each step is a conditional bulk statement, so the purge is idempotent and two processes running it at once only
repeat each other's work.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.inbox.service import purge_update_ledger
from services.privacy import repository
from services.privacy.tracker_store import purge_events_before
from services.privacy.types import PurgeReport
from services.storage.base import utcnow
from services.storage.database import transaction
from services.trail.service import purge_trail


def purge_expired_content(session: Session, *, retention: timedelta, now: datetime | None = None) -> PurgeReport:
    """Remove from the application database what is older than `retention` (see the module); counts only."""
    now = now or utcnow()
    cutoff = now - retention
    blanked = repository.blank_expired_case_messages(session, closed_before=cutoff)
    cases_purged = repository.mark_cases_purged(session, closed_before=cutoff, now=now)
    erased_cases = repository.delete_released_cases_of_erased_users(session)
    repository.delete_erased_users_without_cases(session)
    return PurgeReport(
        cutoff=cutoff,
        case_messages_blanked=blanked,
        cases_purged=cases_purged,
        erased_cases_deleted=erased_cases,
        appointment_notes_blanked=repository.blank_past_appointment_notes(session, before=cutoff),
        booking_drafts_deleted=repository.delete_stale_booking_drafts(session, before=cutoff),
        outbox_deleted=repository.delete_finished_outbox(session, before=cutoff),
        trail_deleted=purge_trail(session, now=now),
        ledger_deleted=purge_update_ledger(session, now=now),
    )


def purge_expired_data(
    sessions: sessionmaker[Session],
    *,
    tracker_store: Engine | None,
    retention_days: int,
    now: datetime | None = None,
) -> PurgeReport:
    """The whole purge: the application database in one transaction, then Rasa's tracker store in batches."""
    now = now or utcnow()
    retention = timedelta(days=retention_days)
    with transaction(sessions) as session:
        report = purge_expired_content(session, retention=retention, now=now)
    if tracker_store is None:
        return report
    events = purge_events_before(tracker_store, before=report.cutoff)
    return replace(report, tracker_events=events)
