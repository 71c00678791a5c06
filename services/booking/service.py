"""Booking (services layer): free slots, book, list, cancel, reschedule, and mark a visit attended or missed.

A slot's capacity is held by the database, not by a read-then-write check: each live appointment holds one row
of `slot_seats`, whose primary key (provider, start, seat number) admits seat numbers 1..capacity only once each
(`repository.take_seat` explains why this holds on PostgreSQL and SQLite alike). Booking inserts the appointment,
then takes a seat; on a full slot it deletes the appointment again, so nothing is left behind. Cancelling deletes
the seat; rescheduling takes the new seat before it frees the old one, in one savepoint of the caller's
transaction. A repeated idempotency key returns the appointment it made. Nothing here logs notes or identities;
callers commit.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from services.booking import notifications, repository
from services.booking.availability import (
    ALTERNATIVES,
    BOOKING_HORIZON_DAYS,
    alternatives,
    available_slots,
    aware,
    load_schedule,
    refusal,
)
from services.booking.errors import (
    AppointmentNotFoundError,
    AppointmentStateError,
    IdempotencyKeyReusedError,
    NoteTooLongError,
    SlotUnavailableError,
)
from services.booking.models import Appointment, AppointmentStatus
from services.booking.types import AppointmentView, Schedule, StateProblem, UnavailableReason
from services.directory.models import Provider
from services.directory.service import ProviderNotFoundError
from services.users.models import User
from services.users.repository import find_by_pseudonym
from services.users.service import ConsentRequiredError, UnknownUserError

NOTE_MAX_LENGTH = 500

# The whole booking API for transports: functions and the errors they raise, importable from here.
__all__ = [
    "ALTERNATIVES",
    "BOOKING_HORIZON_DAYS",
    "AppointmentNotFoundError",
    "AppointmentStateError",
    "ConsentRequiredError",
    "IdempotencyKeyReusedError",
    "NoteTooLongError",
    "ProviderNotFoundError",
    "SlotUnavailableError",
    "UnknownUserError",
    "available_slots",
    "book_slot",
    "cancel_appointment",
    "get_appointment",
    "list_appointments",
    "mark_attended",
    "mark_missed",
    "reschedule_appointment",
    "visit_code",
]


def visit_code(*, provider_id: str, pseudonym: str) -> str:
    """A short code a provider sees instead of a person: derived from the pseudonym, different per provider."""
    digest = hashlib.sha256(f"visit:{provider_id}:{pseudonym}".encode()).digest()
    code = base64.b32encode(digest).decode("ascii")[:6]
    return f"{code[:3]}-{code[3:]}"


def clean_note(note: str | None) -> str | None:
    """The note trimmed, None when blank; NoteTooLongError over the limit."""
    text = (note or "").strip()
    if len(text) > NOTE_MAX_LENGTH:
        raise NoteTooLongError(f"at most {NOTE_MAX_LENGTH} characters")
    return text or None


def _view(appointment: Appointment, timezone: str, pseudonym: str) -> AppointmentView:
    return AppointmentView(
        id=appointment.id,
        provider_id=appointment.provider_id,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        timezone=timezone,
        status=appointment.status,
        note=appointment.note,
        visit_code=visit_code(provider_id=appointment.provider_id, pseudonym=pseudonym),
        created_at=appointment.created_at,
        cancelled_at=appointment.cancelled_at,
        rescheduled_from_id=appointment.rescheduled_from_id,
    )


def booking_user(session: Session, pseudonym: str, *, consenting: bool) -> User:
    """The user behind the pseudonym; UnknownUserError, or ConsentRequiredError when `consenting` and not given."""
    user = find_by_pseudonym(session, pseudonym)
    if user is None:
        raise UnknownUserError("no user with this pseudonym")
    if consenting and user.consent_at is None:
        raise ConsentRequiredError("booking needs consent to the terms first")
    return user


def _own(session: Session, user: User, appointment_id: int) -> Appointment:
    appointment = repository.appointment(session, appointment_id)
    if appointment is None or appointment.user_id != user.id:
        raise AppointmentNotFoundError(appointment_id)
    return appointment


def _replay(
    session: Session, key: str, *, user: User, provider_id: str, starts_at: datetime, rescheduled_from_id: int | None
) -> AppointmentView | None:
    existing = repository.appointment_by_key(session, key)
    if existing is None:
        return None
    same = (existing.user_id, existing.provider_id, existing.starts_at) == (user.id, provider_id, starts_at)
    if not same or (rescheduled_from_id is not None and existing.rescheduled_from_id != rescheduled_from_id):
        raise IdempotencyKeyReusedError("this key made a different booking")
    timezone = repository.provider_timezone(session, provider_id) or "UTC"
    return _view(existing, timezone, user.pseudonym)


def _book(
    session: Session,
    *,
    user: User,
    provider: Provider,
    schedule: Schedule,
    starts_at: datetime,
    note: str | None,
    idempotency_key: str,
    now: datetime,
    rescheduled_from_id: int | None,
) -> tuple[AppointmentView, bool]:
    """Insert the appointment and take a seat; returns the view and whether this call made it (False: a concurrent
    request with the same key did). On a full slot the appointment row is deleted again before raising."""
    reason = refusal(schedule, starts_at, now)
    if reason is not None:
        after = now if reason in (UnavailableReason.PAST, UnavailableReason.TOO_FAR) else starts_at
        raise SlotUnavailableError(reason, alternatives(session, schedule, after=after, now=now))
    ends_at = starts_at + timedelta(minutes=schedule.slot_minutes)
    appointment_id = repository.insert_appointment(
        session,
        user_id=user.id,
        provider_id=provider.id,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note,
        idempotency_key=idempotency_key,
        created_at=now,
        rescheduled_from_id=rescheduled_from_id,
    )
    if appointment_id is None:
        replayed = _replay(
            session,
            idempotency_key,
            user=user,
            provider_id=provider.id,
            starts_at=starts_at,
            rescheduled_from_id=rescheduled_from_id,
        )
        assert replayed is not None, "the conflicting key belongs to a committed appointment"
        return replayed, False
    if not repository.take_seat(
        session, provider_id=provider.id, starts_at=starts_at, capacity=schedule.capacity, appointment_id=appointment_id
    ):
        repository.delete_appointment(session, appointment_id=appointment_id)
        raise SlotUnavailableError(UnavailableReason.FULL, alternatives(session, schedule, after=starts_at, now=now))
    notifications.queue_reminders(
        session,
        appointment_id=appointment_id,
        user_id=user.id,
        provider_id=provider.id,
        starts_at=starts_at,
        locale=user.locale,
        now=now,
    )
    notifications.notify_provider(
        session,
        kind=notifications.PROVIDER_BOOKED,
        appointment_id=appointment_id,
        provider_id=provider.id,
        has_chat=provider.telegram_chat_id is not None,
        now=now,
    )
    if provider.telegram_chat_id is not None:
        notifications.ask_provider_attendance(
            session, appointment_id=appointment_id, provider_id=provider.id, ends_at=ends_at, now=now
        )
    view = AppointmentView(
        id=appointment_id,
        provider_id=provider.id,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=schedule.timezone,
        status=AppointmentStatus.BOOKED,
        note=note,
        visit_code=visit_code(provider_id=provider.id, pseudonym=user.pseudonym),
        created_at=now,
        cancelled_at=None,
        rescheduled_from_id=rescheduled_from_id,
    )
    return view, True


def book_slot(
    session: Session,
    *,
    pseudonym: str,
    provider_id: str,
    starts_at: datetime,
    note: str | None,
    idempotency_key: str,
    now: datetime,
) -> AppointmentView:
    """Book one seat of a slot for a consenting user; a repeated idempotency key returns the same appointment."""
    aware(starts_at, now)
    starts_at = starts_at.astimezone(UTC)
    note = clean_note(note)
    user = booking_user(session, pseudonym, consenting=True)
    replayed = _replay(
        session, idempotency_key, user=user, provider_id=provider_id, starts_at=starts_at, rescheduled_from_id=None
    )
    if replayed is not None:
        return replayed
    provider, schedule = load_schedule(session, provider_id, now)
    view, _made = _book(
        session,
        user=user,
        provider=provider,
        schedule=schedule,
        starts_at=starts_at,
        note=note,
        idempotency_key=idempotency_key,
        now=now,
        rescheduled_from_id=None,
    )
    return view


def list_appointments(
    session: Session, *, pseudonym: str, now: datetime, include_past: bool = False
) -> tuple[AppointmentView, ...]:
    """The user's appointments in start order: those not yet over, or with `include_past` every one not cancelled."""
    aware(now)
    user = find_by_pseudonym(session, pseudonym)
    if user is None:
        return ()
    rows = repository.appointments_of_user(session, user_id=user.id, ending_after=None if include_past else now)
    return tuple(
        _view(appointment, timezone, user.pseudonym)
        for appointment, timezone in rows
        if include_past or appointment.status is AppointmentStatus.BOOKED
    )


def get_appointment(session: Session, *, appointment_id: int) -> AppointmentView | None:
    """One appointment by id, for a delivery worker rendering its reminder (None if erased)."""
    appointment = repository.appointment(session, appointment_id)
    if appointment is None:
        return None
    user = repository.user_by_id(session, appointment.user_id)
    timezone = repository.provider_timezone(session, appointment.provider_id)
    if user is None or timezone is None:
        return None
    return _view(appointment, timezone, user.pseudonym)


def _cancel(session: Session, appointment: Appointment, *, now: datetime) -> bool:
    """Cancel a booked appointment, free its seat and cancel its reminders; False if it was no longer booked."""
    if not repository.set_status(
        session,
        appointment_id=appointment.id,
        status=AppointmentStatus.CANCELLED,
        when=AppointmentStatus.BOOKED,
        cancelled_at=now,
    ):
        return False
    repository.free_seat(session, appointment_id=appointment.id)
    notifications.cancel_reminders(session, appointment_id=appointment.id)
    return True


def _changeable(appointment: Appointment, now: datetime) -> None:
    if appointment.status is AppointmentStatus.CANCELLED:
        raise AppointmentStateError(StateProblem.CANCELLED)
    if appointment.status is not AppointmentStatus.BOOKED:
        raise AppointmentStateError(StateProblem.CLOSED)
    if appointment.starts_at <= now:
        raise AppointmentStateError(StateProblem.STARTED)


def _notify_cancelled(session: Session, appointment: Appointment, *, now: datetime) -> None:
    provider = session.get(Provider, appointment.provider_id)
    notifications.notify_provider(
        session,
        kind=notifications.PROVIDER_CANCELLED,
        appointment_id=appointment.id,
        provider_id=appointment.provider_id,
        has_chat=provider is not None and provider.telegram_chat_id is not None,
        now=now,
    )


def cancel_appointment(session: Session, *, pseudonym: str, appointment_id: int, now: datetime) -> AppointmentView:
    """Cancel the user's upcoming appointment, freeing its seat; cancelling again returns it unchanged."""
    aware(now)
    user = booking_user(session, pseudonym, consenting=False)
    appointment = _own(session, user, appointment_id)
    if appointment.status is not AppointmentStatus.CANCELLED:
        _changeable(appointment, now)
        if _cancel(session, appointment, now=now):
            _notify_cancelled(session, appointment, now=now)
    fresh = repository.appointment(session, appointment_id)
    assert fresh is not None
    return _view(fresh, repository.provider_timezone(session, fresh.provider_id) or "UTC", user.pseudonym)


def reschedule_appointment(
    session: Session,
    *,
    pseudonym: str,
    appointment_id: int,
    starts_at: datetime,
    idempotency_key: str,
    now: datetime,
) -> AppointmentView:
    """Move an upcoming appointment to another slot of the same provider: the new seat is taken before the old
    one is freed, all or nothing; returns the new appointment (the old one is cancelled)."""
    aware(starts_at, now)
    starts_at = starts_at.astimezone(UTC)
    user = booking_user(session, pseudonym, consenting=True)
    old = _own(session, user, appointment_id)
    replayed = _replay(
        session,
        idempotency_key,
        user=user,
        provider_id=old.provider_id,
        starts_at=starts_at,
        rescheduled_from_id=old.id,
    )
    if replayed is not None:
        return replayed
    _changeable(old, now)
    provider, schedule = load_schedule(session, old.provider_id, now)
    if starts_at == old.starts_at:
        return _view(old, schedule.timezone, user.pseudonym)
    with session.begin_nested():
        view, made = _book(
            session,
            user=user,
            provider=provider,
            schedule=schedule,
            starts_at=starts_at,
            note=old.note,
            idempotency_key=idempotency_key,
            now=now,
            rescheduled_from_id=old.id,
        )
        if made and not _cancel(session, old, now=now):
            raise AppointmentStateError(StateProblem.CANCELLED)
    if made:
        _notify_cancelled(session, old, now=now)
    return view


def mark_missed(session: Session, *, appointment_id: int, now: datetime) -> AppointmentView:
    """Record that the user did not come; asks the counselors to follow up if the user agreed to that."""
    aware(now)
    appointment = repository.appointment(session, appointment_id)
    if appointment is None:
        raise AppointmentNotFoundError(appointment_id)
    if appointment.status is not AppointmentStatus.MISSED:
        if appointment.status is AppointmentStatus.CANCELLED:
            raise AppointmentStateError(StateProblem.CANCELLED)
        if appointment.status is not AppointmentStatus.BOOKED:
            raise AppointmentStateError(StateProblem.CLOSED)
        if appointment.starts_at > now:
            raise AppointmentStateError(StateProblem.NOT_STARTED)
        user = repository.user_by_id(session, appointment.user_id)
        missed = repository.set_status(
            session, appointment_id=appointment.id, status=AppointmentStatus.MISSED, when=AppointmentStatus.BOOKED
        )
        if missed and user is not None and user.follow_up_consent:
            notifications.queue_follow_up(
                session,
                appointment_id=appointment.id,
                user_id=user.id,
                provider_id=appointment.provider_id,
                locale=user.locale,
                now=now,
            )
    view = get_appointment(session, appointment_id=appointment_id)
    assert view is not None
    return view


def mark_attended(session: Session, *, appointment_id: int, now: datetime) -> AppointmentView:
    """Record that the user came; a visit marked missed by mistake is corrected and its follow-up, if still
    undelivered, withdrawn."""
    aware(now)
    appointment = repository.appointment(session, appointment_id)
    if appointment is None:
        raise AppointmentNotFoundError(appointment_id)
    if appointment.status is AppointmentStatus.CANCELLED:
        raise AppointmentStateError(StateProblem.CANCELLED)
    if appointment.status is not AppointmentStatus.ATTENDED:
        if appointment.starts_at > now:
            raise AppointmentStateError(StateProblem.NOT_STARTED)
        was = appointment.status
        moved = repository.set_status(
            session, appointment_id=appointment.id, status=AppointmentStatus.ATTENDED, when=was
        )
        if moved and was is AppointmentStatus.MISSED:
            notifications.cancel_follow_up(session, appointment_id=appointment.id)
    view = get_appointment(session, appointment_id=appointment_id)
    assert view is not None
    return view
