"""Availability (services layer): a provider's schedule, its free slots, why a time cannot be booked, and the
next free alternatives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from services.booking import repository
from services.booking.slots import day_slot_starts, is_open_on, iter_slots, local_day_bounds, local_today
from services.booking.types import Schedule, Slot, UnavailableReason
from services.directory.models import Provider
from services.directory.service import ProviderNotFoundError

BOOKING_HORIZON_DAYS = 56
ALTERNATIVES = 3


def aware(*values: datetime) -> None:
    """Refuse naive datetimes."""
    if any(value.tzinfo is None for value in values):
        raise ValueError("naive datetimes are not accepted; pass aware UTC datetimes")


def load_schedule(session: Session, provider_id: str, now: datetime) -> tuple[Provider, Schedule]:
    """An active provider and its schedule, with closed dates over the booking horizon from `now`."""
    provider = repository.active_provider(session, provider_id)
    if provider is None:
        raise ProviderNotFoundError(provider_id)
    today = now.astimezone(UTC).date()
    closed = repository.closed_dates(
        session,
        provider_id=provider.id,
        country_code=provider.country_code,
        first=today - timedelta(days=1),
        last=today + timedelta(days=BOOKING_HORIZON_DAYS + 1),
    )
    schedule = Schedule(
        provider_id=provider.id,
        country_code=provider.country_code,
        timezone=provider.timezone,
        slot_minutes=provider.slot_minutes,
        capacity=provider.slot_capacity,
        hours=tuple((hours.weekday, hours.opens, hours.closes) for hours in provider.opening_hours),
        closed=frozenset(closed),
    )
    return provider, schedule


def horizon_end(schedule: Schedule, now: datetime) -> datetime:
    """The end of the last local day that can be booked (BOOKING_HORIZON_DAYS from the provider's today)."""
    last = local_today(schedule, now) + timedelta(days=BOOKING_HORIZON_DAYS - 1)
    return local_day_bounds(schedule.timezone, last)[1]


def free_slots(session: Session, schedule: Schedule, *, start: datetime, until: datetime, now: datetime) -> list[Slot]:
    """Free slots starting in [start, until) and after `now`, in time order."""
    start = max(start, now)
    if start >= until:
        return []
    first_day = local_today(schedule, start)
    taken = repository.seats_taken(session, provider_id=schedule.provider_id, start=start, end=until)
    days = (until - local_day_bounds(schedule.timezone, first_day)[0]).days + 1
    return [
        slot
        for slot in iter_slots(schedule, first=first_day, days=days, now=now, taken=taken)
        if start <= slot.starts_at < until
    ]


def alternatives(session: Session, schedule: Schedule, *, after: datetime, now: datetime) -> tuple[Slot, ...]:
    """The next free slots after `after` (and after now), searching a week at a time up to the horizon."""
    horizon = horizon_end(schedule, now)
    since = max(after, now)
    found: list[Slot] = []
    window_start = since
    while window_start < horizon and len(found) < ALTERNATIVES:
        window_end = min(window_start + timedelta(days=7), horizon)
        found += free_slots(session, schedule, start=window_start, until=window_end, now=since)
        window_start = window_end
    return tuple(found[:ALTERNATIVES])


def refusal(schedule: Schedule, starts_at: datetime, now: datetime) -> UnavailableReason | None:
    """Why `starts_at` cannot be booked, judged from the schedule alone (seats are the database's business)."""
    if starts_at <= now:
        return UnavailableReason.PAST
    if starts_at >= horizon_end(schedule, now):
        return UnavailableReason.TOO_FAR
    day = local_today(schedule, starts_at)
    if not is_open_on(schedule, day):
        return UnavailableReason.CLOSED
    if starts_at not in day_slot_starts(schedule, day):
        return UnavailableReason.NOT_A_SLOT
    return None


def available_slots(session: Session, *, provider_id: str, start: date, days: int, now: datetime) -> list[Slot]:
    """Free slots of an active provider on `days` local dates from `start`, within the booking horizon."""
    aware(now)
    _, schedule = load_schedule(session, provider_id, now)
    begins = local_day_bounds(schedule.timezone, start)[0]
    ends = local_day_bounds(schedule.timezone, start + timedelta(days=max(days, 1) - 1))[1]
    return free_slots(session, schedule, start=begins, until=min(ends, horizon_end(schedule, now)), now=now)
