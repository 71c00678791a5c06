"""A provider's day sheet (services layer): the day's bookings with pseudonymous visit codes, never identities."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from services.booking import repository
from services.booking.service import visit_code
from services.booking.slots import local_day_bounds
from services.booking.types import Agenda, AgendaEntry
from services.directory.service import ProviderNotFoundError


def provider_agenda(session: Session, *, provider_id: str, day: date) -> Agenda:
    """The bookings (not cancelled) starting on the provider's local `day`, in start order."""
    timezone = repository.provider_timezone(session, provider_id)
    if timezone is None:
        raise ProviderNotFoundError(provider_id)
    start, end = local_day_bounds(timezone, day)
    entries = tuple(
        AgendaEntry(
            appointment_id=appointment.id,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            visit_code=visit_code(provider_id=provider_id, pseudonym=pseudonym),
            status=appointment.status,
            note=appointment.note,
        )
        for appointment, pseudonym in repository.day_sheet(session, provider_id=provider_id, start=start, end=end)
    )
    return Agenda(provider_id=provider_id, timezone=timezone, day=day, entries=entries)
