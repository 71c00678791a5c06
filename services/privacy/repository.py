"""Queries for the retention purge and erasure across domains (services layer); never commits.

Bulk statements skip the session's identity map (`synchronize_session=False`): callers run them in a transaction of
their own and load nothing they change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from services.booking.models import Appointment, AppointmentStatus, BookingDraft
from services.escalation.models import CaseMessage, CaseStatus, EscalationCase
from services.outbox.models import OutboxMessage, OutboxStatus
from services.users.models import User

BULK: dict[str, Any] = {"synchronize_session": False}
FINISHED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.CANCELLED, OutboxStatus.SKIPPED)


def _count(result: Any) -> int:
    return int(result.rowcount)


def _expired_cases(before: datetime) -> Any:
    """Closed before `before` and not under a hold."""
    return select(EscalationCase.id).where(
        EscalationCase.status == CaseStatus.CLOSED,
        EscalationCase.closed_at < before,
        EscalationCase.held_at.is_(None),
    )


def blank_expired_case_messages(session: Session, *, closed_before: datetime) -> int:
    """Blank the text of every message of the cases closed before `closed_before` and not held; returns how many."""
    statement = (
        update(CaseMessage)
        .where(CaseMessage.case_id.in_(_expired_cases(closed_before)), CaseMessage.body.is_not(None))
        .values(body=None)
    )
    return _count(session.execute(statement, execution_options=BULK))


def mark_cases_purged(session: Session, *, closed_before: datetime, now: datetime) -> int:
    """Stamp the cases whose messages were blanked (once); returns how many."""
    statement = (
        update(EscalationCase)
        .where(EscalationCase.id.in_(_expired_cases(closed_before)), EscalationCase.content_purged_at.is_(None))
        .values(content_purged_at=now)
    )
    return _count(session.execute(statement, execution_options=BULK))


def delete_released_cases_of_erased_users(session: Session) -> int:
    """Cases kept only by a hold for someone who erased their data, once the hold is lifted; returns how many."""
    erased = select(User.id).where(User.erased_at.is_not(None))
    statement = delete(EscalationCase).where(EscalationCase.user_id.in_(erased), EscalationCase.held_at.is_(None))
    return _count(session.execute(statement, execution_options=BULK))


def delete_erased_users_without_cases(session: Session) -> int:
    """Anonymised user records with no case left to group; returns how many."""
    has_case = exists().where(EscalationCase.user_id == User.id)
    statement = delete(User).where(User.erased_at.is_not(None), ~has_case)
    return _count(session.execute(statement, execution_options=BULK))


def blank_past_appointment_notes(session: Session, *, before: datetime) -> int:
    """Blank the notes of visits over (or cancelled) before `before`; returns how many."""
    over = or_(
        Appointment.ends_at < before,
        and_(Appointment.status == AppointmentStatus.CANCELLED, Appointment.cancelled_at < before),
    )
    statement = update(Appointment).where(Appointment.note.is_not(None), over).values(note=None)
    return _count(session.execute(statement, execution_options=BULK))


def delete_stale_booking_drafts(session: Session, *, before: datetime) -> int:
    """Bookings in progress untouched since before `before`; returns how many."""
    statement = delete(BookingDraft).where(BookingDraft.updated_at < before)
    return _count(session.execute(statement, execution_options=BULK))


def delete_finished_outbox(session: Session, *, before: datetime) -> int:
    """Notifications delivered, failed, cancelled or skipped that were due before `before`; returns how many."""
    statement = delete(OutboxMessage).where(OutboxMessage.status.in_(FINISHED), OutboxMessage.due_at < before)
    return _count(session.execute(statement, execution_options=BULK))


def user_cases(session: Session, *, user_id: int) -> Sequence[EscalationCase]:
    """The user's cases, oldest first."""
    return session.scalars(
        select(EscalationCase).where(EscalationCase.user_id == user_id).order_by(EscalationCase.id)
    ).all()


def case_messages(session: Session, *, case_id: int) -> Sequence[CaseMessage]:
    """Every message of a case, oldest first."""
    return session.scalars(select(CaseMessage).where(CaseMessage.case_id == case_id).order_by(CaseMessage.id)).all()


def user_appointments(session: Session, *, user_id: int) -> Sequence[Appointment]:
    """Every appointment of the user, by start."""
    return session.scalars(
        select(Appointment).where(Appointment.user_id == user_id).order_by(Appointment.starts_at, Appointment.id)
    ).all()


def user_outbox(session: Session, *, user_id: int) -> Sequence[OutboxMessage]:
    """Notifications queued or kept for the user, by due time."""
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == user_id).order_by(OutboxMessage.due_at, OutboxMessage.id)
    ).all()
