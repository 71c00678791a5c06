"""Aggregate queries for the supervisor report (services layer): group counts and durations, never a row's identity;
never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from services.booking.models import Appointment, AppointmentStatus
from services.escalation.models import EscalationCase
from services.reporting.types import UNKNOWN, ReportPeriod
from services.users.models import User


def _within(column: InstrumentedAttribute[datetime], period: ReportPeriod) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _in_contact(period: ReportPeriod) -> ColumnElement[bool]:
    # The database keeps only a person's first and latest contact; the placeholder an erasure leaves is no one.
    return and_(User.erased_at.is_(None), or_(_within(User.created_at, period), _within(User.last_seen_at, period)))


def _grouped(session: Session, statement: Select[Any, int]) -> dict[str, int]:
    rows = session.execute(statement).all()
    counts: dict[str, int] = {}
    for label, count in rows:
        key = UNKNOWN if label is None else str(label)
        counts[key] = counts.get(key, 0) + int(count)
    return counts


def people_by_locale(session: Session, period: ReportPeriod) -> dict[str, int]:
    """People in contact during the period, by the language they chose."""
    return _grouped(session, select(User.locale, func.count()).where(_in_contact(period)).group_by(User.locale))


def people_by_country(session: Session, period: ReportPeriod) -> dict[str, int]:
    """People in contact during the period, by the country they gave."""
    statement = select(User.country_code, func.count()).where(_in_contact(period)).group_by(User.country_code)
    return _grouped(session, statement)


def people_new_or_returning(session: Session, period: ReportPeriod) -> dict[str, int]:
    """People in contact during the period: first contact in it ("new") or earlier ("returning")."""
    kind = case((User.created_at >= period.start, "new"), else_="returning")
    return _grouped(session, select(kind, func.count()).where(_in_contact(period)).group_by(kind))


def cases_by_priority(session: Session, period: ReportPeriod) -> dict[str, int]:
    """Escalation cases opened in the period, by their priority (as it stands now)."""
    statement = (
        select(EscalationCase.priority, func.count())
        .where(_within(EscalationCase.opened_at, period))
        .group_by(EscalationCase.priority)
    )
    return _grouped(session, statement)


def cases_by_trigger(session: Session, period: ReportPeriod) -> dict[str, int]:
    """Escalation cases opened in the period, by what opened them."""
    statement = (
        select(EscalationCase.trigger, func.count())
        .where(_within(EscalationCase.opened_at, period))
        .group_by(EscalationCase.trigger)
    )
    return _grouped(session, statement)


def claim_waits(session: Session, period: ReportPeriod) -> Sequence[tuple[str, datetime, datetime]]:
    """(priority, opened at, claimed at) of each case opened in the period and claimed since (latest claim)."""
    statement = select(EscalationCase.priority, EscalationCase.opened_at, EscalationCase.claimed_at).where(
        _within(EscalationCase.opened_at, period), EscalationCase.claimed_at.is_not(None)
    )
    rows = session.execute(statement)
    return [(str(priority), opened, claimed) for priority, opened, claimed in rows if claimed is not None]


def appointments_by_status(session: Session, period: ReportPeriod) -> dict[str, int]:
    """Appointments whose visit starts in the period, by status."""
    statement = (
        select(Appointment.status, func.count())
        .where(_within(Appointment.starts_at, period))
        .group_by(Appointment.status)
    )
    return _grouped(session, statement)


def rescheduled_appointments(session: Session, period: ReportPeriod) -> int:
    """Cancelled appointments starting in the period that the user moved to another time."""
    successor = aliased(Appointment)
    statement = select(func.count()).where(
        _within(Appointment.starts_at, period),
        Appointment.status == AppointmentStatus.CANCELLED,
        exists().where(successor.rescheduled_from_id == Appointment.id),
    )
    return int(session.scalar(statement) or 0)


def new_bookings(session: Session, period: ReportPeriod) -> int:
    """Appointments booked during the period, for any day (a moved appointment is not a new booking)."""
    statement = select(func.count()).where(
        _within(Appointment.created_at, period), Appointment.rescheduled_from_id.is_(None)
    )
    return int(session.scalar(statement) or 0)
