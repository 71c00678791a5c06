"""The supervisor report (services layer): one function per statistic, each returning suppressed counts only.

Nothing here returns a pseudonym, an id, a name or a text: only group labels (a language, a country code, a priority,
a trigger, a status) with counts from which no group of fewer than five can be read.
"""

from __future__ import annotations

import math
import statistics
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.booking.models import AppointmentStatus
from services.escalation.models import CasePriority
from services.reporting import repository
from services.reporting.suppression import suppress_breakdown, suppress_count
from services.reporting.types import (
    THRESHOLD,
    Breakdown,
    ClaimTime,
    ReportPeriod,
    SupervisorReport,
    TopIntents,
)
from services.storage.base import utcnow

PRIORITIES = tuple(priority.value for priority in (CasePriority.URGENT, CasePriority.HIGH, CasePriority.NORMAL))
RESCHEDULED = "rescheduled"  # a cancelled appointment the user moved to another time
APPOINTMENT_STATUSES = (
    AppointmentStatus.ATTENDED.value,
    AppointmentStatus.MISSED.value,
    AppointmentStatus.CANCELLED.value,
    RESCHEDULED,
    AppointmentStatus.BOOKED.value,
)
NEW_OR_RETURNING = ("new", "returning")


def people_by_locale(session: Session, *, period: ReportPeriod) -> Breakdown:
    """People in contact during the period (first or latest contact in it), by language."""
    return suppress_breakdown(repository.people_by_locale(session, period))


def people_by_country(session: Session, *, period: ReportPeriod) -> Breakdown:
    """People in contact during the period, by the country they gave."""
    return suppress_breakdown(repository.people_by_country(session, period))


def people_new_or_returning(session: Session, *, period: ReportPeriod) -> Breakdown:
    """People in contact during the period: new in it, or known from before."""
    return suppress_breakdown(repository.people_new_or_returning(session, period), order=NEW_OR_RETURNING)


def cases_by_priority(session: Session, *, period: ReportPeriod) -> Breakdown:
    """Escalation cases opened in the period, by priority."""
    return suppress_breakdown(repository.cases_by_priority(session, period), order=PRIORITIES)


def cases_by_trigger(session: Session, *, period: ReportPeriod) -> Breakdown:
    """Escalation cases opened in the period, by what opened them."""
    return suppress_breakdown(repository.cases_by_trigger(session, period))


def _nearest_rank(ordered: list[float], share: float) -> float:
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def time_to_claim(session: Session, *, period: ReportPeriod) -> tuple[ClaimTime, ...]:
    """Opening to claim of the cases opened in the period, per priority: median and 90th percentile (nearest rank);
    no times for fewer than THRESHOLD claimed cases."""
    waits: dict[str, list[float]] = {priority: [] for priority in PRIORITIES}
    for priority, opened_at, claimed_at in repository.claim_waits(session, period):
        waits.setdefault(priority, []).append(max(0.0, (claimed_at - opened_at).total_seconds()))
    times = []
    for priority, seconds in waits.items():
        ordered = sorted(seconds)
        if len(ordered) < THRESHOLD:
            times.append(ClaimTime(priority=priority, median=None, p90=None))
            continue
        median = timedelta(seconds=statistics.median(ordered))
        p90 = timedelta(seconds=_nearest_rank(ordered, 0.9))
        times.append(ClaimTime(priority=priority, median=median, p90=p90))
    return tuple(times)


def appointments_by_status(session: Session, *, period: ReportPeriod) -> Breakdown:
    """Appointments whose visit falls in the period: attended, missed, cancelled, moved, still booked."""
    counts = repository.appointments_by_status(session, period)
    moved = repository.rescheduled_appointments(session, period)
    if moved:
        counts[AppointmentStatus.CANCELLED.value] -= moved
        counts[RESCHEDULED] = moved
    return suppress_breakdown(counts, order=APPOINTMENT_STATUSES)


def no_show_rate(appointments: Breakdown) -> float | None:
    """Missed visits among the visits marked attended or missed; None unless both counts are shown (a rate would give
    a suppressed one away) and there are some."""
    shown = {cell.label: cell.count for cell in appointments.cells}
    attended, missed = shown.get(AppointmentStatus.ATTENDED.value), shown.get(AppointmentStatus.MISSED.value)
    if attended is None or missed is None or attended + missed == 0:
        return None
    return missed / (attended + missed)


def new_bookings(session: Session, *, period: ReportPeriod) -> int | None:
    """Appointments booked during the period (for any day); None when 1 to 4."""
    return suppress_count(repository.new_bookings(session, period))


def build_report(
    session: Session, *, period: ReportPeriod, intents: TopIntents, now: datetime | None = None
) -> SupervisorReport:
    """Every statistic of the period; `intents` come from Rasa's tracker store (`intents.read_top_intents`)."""
    appointments = appointments_by_status(session, period=period)
    return SupervisorReport(
        period=period,
        generated_at=now or utcnow(),
        people_new_or_returning=people_new_or_returning(session, period=period),
        people_by_locale=people_by_locale(session, period=period),
        people_by_country=people_by_country(session, period=period),
        top_intents=intents,
        cases_by_priority=cases_by_priority(session, period=period),
        cases_by_trigger=cases_by_trigger(session, period=period),
        time_to_claim=time_to_claim(session, period=period),
        appointments_by_status=appointments,
        no_show_rate=no_show_rate(appointments),
        new_bookings=new_bookings(session, period=period),
    )
