"""Booking in steps (services layer): provider → time → optional note → confirm, kept in the database so a
restart, a stale button or a double-tapped Confirm never loses or doubles a booking."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from services.booking import service as booking
from services.booking.models import BookingDraft
from services.booking.types import AppointmentView
from services.directory.models import Provider
from services.directory.service import ProviderNotFoundError
from services.users.repository import find_by_pseudonym


class NoDraftError(LookupError):
    """The user has no booking in progress (finished, abandoned or erased)."""


@dataclass(frozen=True)
class DraftView:
    """Where a user's booking in progress stands."""

    provider_id: str
    starts_at: datetime | None
    note: str | None
    awaiting_note: bool
    reschedule_of_id: int | None
    appointment_id: int | None


def _view(draft: BookingDraft) -> DraftView:
    return DraftView(
        provider_id=draft.provider_id,
        starts_at=draft.starts_at,
        note=draft.note,
        awaiting_note=draft.awaiting_note,
        reschedule_of_id=draft.reschedule_of_id,
        appointment_id=draft.appointment_id,
    )


def _draft(session: Session, pseudonym: str) -> BookingDraft:
    draft = session.get(BookingDraft, booking.booking_user(session, pseudonym, consenting=True).id)
    if draft is None:
        raise NoDraftError()
    return draft


def start_draft(
    session: Session, *, pseudonym: str, provider_id: str, now: datetime, reschedule_of_id: int | None = None
) -> DraftView:
    """Begin booking at a provider (or moving an appointment), replacing any booking in progress."""
    user = booking.booking_user(session, pseudonym, consenting=True)
    provider = session.get(Provider, provider_id)
    if provider is None or not provider.active:
        raise ProviderNotFoundError(provider_id)
    draft = session.get(BookingDraft, user.id) or BookingDraft(user_id=user.id)
    draft.provider_id, draft.starts_at, draft.note, draft.awaiting_note = provider_id, None, None, False
    draft.reschedule_of_id, draft.appointment_id, draft.updated_at = reschedule_of_id, None, now
    draft.idempotency_key = secrets.token_urlsafe(24)
    session.add(draft)
    session.flush()
    return _view(draft)


def current_draft(session: Session, *, pseudonym: str) -> DraftView | None:
    """The user's booking in progress, if any."""
    user = find_by_pseudonym(session, pseudonym)
    draft = session.get(BookingDraft, user.id) if user else None
    return _view(draft) if draft else None


def choose_time(session: Session, *, pseudonym: str, starts_at: datetime, now: datetime) -> DraftView:
    """Take a slot start for the booking in progress; next, the user may add a note (a new time, a new booking)."""
    draft = _draft(session, pseudonym)
    if draft.appointment_id is not None:
        draft.appointment_id = None
    draft.starts_at, draft.awaiting_note, draft.updated_at = starts_at, draft.reschedule_of_id is None, now
    draft.idempotency_key = secrets.token_urlsafe(24)
    return _view(draft)


def set_note(session: Session, *, pseudonym: str, note: str | None, now: datetime) -> DraftView:
    """Keep (or skip, with None) the note for the provider; the booking is ready to confirm."""
    draft = _draft(session, pseudonym)
    draft.note = booking.clean_note(note)
    draft.awaiting_note, draft.updated_at = False, now
    return _view(draft)


def confirm_draft(session: Session, *, pseudonym: str, now: datetime) -> AppointmentView:
    """Book (or move) the chosen time; confirming twice returns the same appointment."""
    draft = _draft(session, pseudonym)
    if draft.starts_at is None:
        raise NoDraftError()
    if draft.reschedule_of_id is not None:
        appointment = booking.reschedule_appointment(
            session,
            pseudonym=pseudonym,
            appointment_id=draft.reschedule_of_id,
            starts_at=draft.starts_at,
            idempotency_key=draft.idempotency_key,
            now=now,
        )
    else:
        appointment = booking.book_slot(
            session,
            pseudonym=pseudonym,
            provider_id=draft.provider_id,
            starts_at=draft.starts_at,
            note=draft.note,
            idempotency_key=draft.idempotency_key,
            now=now,
        )
    draft.appointment_id, draft.awaiting_note = appointment.id, False
    return appointment


def discard_draft(session: Session, *, pseudonym: str) -> bool:
    """Forget the booking in progress; False if there was none."""
    user = find_by_pseudonym(session, pseudonym)
    draft = session.get(BookingDraft, user.id) if user else None
    if draft is None:
        return False
    session.delete(draft)
    return True
