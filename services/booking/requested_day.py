"""One day a user asked for by name (services layer): its free times at a provider, or why it has none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from services.booking.availability import BOOKING_HORIZON_DAYS, aware, free_slots, load_schedule
from services.booking.slots import is_open_on, local_day_bounds, local_today
from services.booking.types import Slot, UnavailableReason


@dataclass(frozen=True)
class RequestedDay:
    """The free times of one local day at a provider; when there are none, why (past, too far, closed, full)."""

    day: date
    slots: tuple[Slot, ...]
    refusal: UnavailableReason | None


def open_times_on(session: Session, *, provider_id: str, day: date, now: datetime) -> RequestedDay:
    """The provider's free times on its local `day`, or the reason the day offers none."""
    aware(now)
    _, schedule = load_schedule(session, provider_id, now)
    today = local_today(schedule, now)
    if day < today:
        return RequestedDay(day, (), UnavailableReason.PAST)
    if day > today + timedelta(days=BOOKING_HORIZON_DAYS - 1):
        return RequestedDay(day, (), UnavailableReason.TOO_FAR)
    if not is_open_on(schedule, day):
        return RequestedDay(day, (), UnavailableReason.CLOSED)
    begins, ends = local_day_bounds(schedule.timezone, day)
    slots = tuple(
        slot for slot in free_slots(session, schedule, start=begins, until=ends, now=now) if slot.remaining > 0
    )
    return RequestedDay(day, slots, None if slots else UnavailableReason.FULL)
