"""Slot arithmetic (services layer, pure): weekly hours in a provider's time zone become UTC slot starts.

Local wall-clock times are turned into UTC with zoneinfo. Central Asia keeps no daylight saving time today, but a
local time that a zone skips (a spring-forward gap) is never offered, and one it repeats is taken at its first
occurrence, so the arithmetic stays right if a zone changes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.booking.types import Schedule, Slot


def local_today(schedule: Schedule, now: datetime) -> date:
    """The provider's calendar date at `now`."""
    return now.astimezone(ZoneInfo(schedule.timezone)).date()


def local_day_bounds(timezone: str, day: date) -> tuple[datetime, datetime]:
    """UTC instants where the local `day` begins and the next one begins."""
    zone = ZoneInfo(timezone)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    following = day + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def is_open_on(schedule: Schedule, day: date) -> bool:
    """True when the provider has hours that weekday and the date is not a closed day or public holiday."""
    return day not in schedule.closed and any(weekday == day.weekday() for weekday, _, _ in schedule.hours)


def day_slot_starts(schedule: Schedule, day: date) -> list[datetime]:
    """UTC starts of every slot on the local `day` (empty when closed), in order."""
    if not is_open_on(schedule, day):
        return []
    zone = ZoneInfo(schedule.timezone)
    length = timedelta(minutes=schedule.slot_minutes)
    starts: list[datetime] = []
    for weekday, opens, closes in sorted(schedule.hours):
        if weekday != day.weekday():
            continue
        local = datetime.combine(day, opens, tzinfo=zone)
        close = datetime.combine(day, closes, tzinfo=zone)
        while local + length <= close:
            instant = local.astimezone(UTC)
            if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
                starts.append(instant)
            local += length
    return starts


def iter_slots(
    schedule: Schedule, *, first: date, days: int, now: datetime, taken: Mapping[datetime, int]
) -> Iterator[Slot]:
    """Slots with a free seat on `days` local dates from `first`, starting after `now`, in time order."""
    length = timedelta(minutes=schedule.slot_minutes)
    for offset in range(days):
        for starts_at in day_slot_starts(schedule, first + timedelta(days=offset)):
            if starts_at <= now:
                continue
            remaining = schedule.capacity - taken.get(starts_at, 0)
            if remaining > 0:
                yield Slot(
                    provider_id=schedule.provider_id,
                    starts_at=starts_at,
                    ends_at=starts_at + length,
                    timezone=schedule.timezone,
                    capacity=schedule.capacity,
                    remaining=remaining,
                )
