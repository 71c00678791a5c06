"""Plain values the booking service returns (services layer)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from services.booking.models import AppointmentStatus


class UnavailableReason(enum.StrEnum):
    """Why a requested slot cannot be booked."""

    PAST = "past"
    TOO_FAR = "too_far"
    CLOSED = "closed"
    NOT_A_SLOT = "not_a_slot"
    FULL = "full"


class StateProblem(enum.StrEnum):
    """Why an appointment cannot be changed the way asked."""

    STARTED = "started"
    CANCELLED = "cancelled"
    CLOSED = "closed"
    NOT_STARTED = "not_started"


@dataclass(frozen=True)
class Schedule:
    """A provider's booking rules: weekly hours in its time zone, slot length and seats, closed dates."""

    provider_id: str
    country_code: str
    timezone: str
    slot_minutes: int
    capacity: int
    hours: tuple[tuple[int, time, time], ...]
    closed: frozenset[date]


@dataclass(frozen=True)
class Slot:
    """A bookable time at a provider: UTC start and end, the provider's time zone, seats left."""

    provider_id: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    capacity: int
    remaining: int

    @property
    def local_starts_at(self) -> datetime:
        """The start on the provider's wall clock."""
        return self.starts_at.astimezone(ZoneInfo(self.timezone))


@dataclass(frozen=True)
class AppointmentView:
    """What the user (and the transports) may know about one appointment."""

    id: int
    provider_id: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: AppointmentStatus
    note: str | None
    visit_code: str
    created_at: datetime
    cancelled_at: datetime | None
    rescheduled_from_id: int | None

    @property
    def local_starts_at(self) -> datetime:
        """The start on the provider's wall clock."""
        return self.starts_at.astimezone(ZoneInfo(self.timezone))


@dataclass(frozen=True)
class AgendaEntry:
    """One booking on a provider's day sheet: times, a pseudonymous visit code, status and the user's note."""

    appointment_id: int
    starts_at: datetime
    ends_at: datetime
    visit_code: str
    status: AppointmentStatus
    note: str | None


@dataclass(frozen=True)
class Agenda:
    """A provider's bookings on one local day, in start order."""

    provider_id: str
    timezone: str
    day: date
    entries: tuple[AgendaEntry, ...]
