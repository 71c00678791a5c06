"""Queries on appointments, slot seats and providers' schedules (services layer); never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload

from services.booking.models import Appointment, AppointmentStatus, SlotSeat
from services.directory.models import Provider, ProviderClosedDay, PublicHoliday
from services.users.models import User


def _insert(session: Session, model: type[Any]) -> Any:
    """A dialect-specific INSERT that supports ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def active_provider(session: Session, provider_id: str) -> Provider | None:
    """An active provider with its opening hours loaded."""
    return (
        session.scalars(
            select(Provider)
            .where(Provider.id == provider_id, Provider.active.is_(True))
            .options(joinedload(Provider.opening_hours))
        )
        .unique()
        .one_or_none()
    )


def provider_timezone(session: Session, provider_id: str) -> str | None:
    """The time zone of any provider, active or not."""
    return session.scalar(select(Provider.timezone).where(Provider.id == provider_id))


def closed_dates(session: Session, *, provider_id: str, country_code: str, first: date, last: date) -> set[date]:
    """The provider's own closed days and its country's public holidays from `first` to `last` inclusive."""
    own = select(ProviderClosedDay.day).where(
        ProviderClosedDay.provider_id == provider_id, ProviderClosedDay.day.between(first, last)
    )
    public = select(PublicHoliday.day).where(
        PublicHoliday.country_code == country_code, PublicHoliday.day.between(first, last)
    )
    return set(session.scalars(own.union(public)))


def seats_taken(session: Session, *, provider_id: str, start: datetime, end: datetime) -> dict[datetime, int]:
    """How many seats are held per slot start in [start, end)."""
    rows = session.execute(
        select(SlotSeat.starts_at, func.count())
        .where(SlotSeat.provider_id == provider_id, SlotSeat.starts_at >= start, SlotSeat.starts_at < end)
        .group_by(SlotSeat.starts_at)
    )
    return {starts_at: count for starts_at, count in rows}


def insert_appointment(session: Session, **values: Any) -> int | None:
    """Insert a booked appointment; None (no error, no aborted transaction) when its idempotency key exists."""
    statement = (
        _insert(session, Appointment)
        .values(status=AppointmentStatus.BOOKED, **values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Appointment.id)
    )
    return session.scalar(statement)


def take_seat(session: Session, *, provider_id: str, starts_at: datetime, capacity: int, appointment_id: int) -> bool:
    """Give the appointment the lowest free seat numbered 1..capacity; False when every seat is held.

    This is where capacity is enforced, by the database on both backends. A seat is a row whose primary key is
    (provider, start, seat number); each attempt is `INSERT … ON CONFLICT DO NOTHING`, so a seat already held,
    or being taken by a concurrent transaction, makes the insert do nothing and the next number is tried.
    PostgreSQL makes a concurrent insert of the same key wait for the other transaction and then skip; SQLite
    sessions begin with BEGIN IMMEDIATE, so writers take turns. Seat numbers never exceed `capacity`, hence at
    most `capacity` appointments hold a seat of one slot, whatever the interleaving; no read-then-write check
    is trusted (the read of held seats below only skips numbers that are certainly taken). Cancelling deletes
    the seat row, which frees that number for the next booking.
    """
    held = set(
        session.scalars(
            select(SlotSeat.seat_number).where(SlotSeat.provider_id == provider_id, SlotSeat.starts_at == starts_at)
        )
    )
    for seat_number in range(1, capacity + 1):
        if seat_number in held:
            continue
        statement = (
            _insert(session, SlotSeat)
            .values(
                provider_id=provider_id, starts_at=starts_at, seat_number=seat_number, appointment_id=appointment_id
            )
            .on_conflict_do_nothing(index_elements=["provider_id", "starts_at", "seat_number"])
            .returning(SlotSeat.seat_number)
        )
        if session.scalar(statement) is not None:
            return True
    return False


def delete_appointment(session: Session, *, appointment_id: int) -> None:
    """Remove an appointment that never got a seat (its reminders were not queued yet)."""
    session.execute(delete(Appointment).where(Appointment.id == appointment_id))


def free_seat(session: Session, *, appointment_id: int) -> None:
    """Release the seat an appointment holds, if any."""
    session.execute(delete(SlotSeat).where(SlotSeat.appointment_id == appointment_id))


def set_status(
    session: Session,
    *,
    appointment_id: int,
    status: AppointmentStatus,
    when: AppointmentStatus,
    cancelled_at: datetime | None = None,
) -> bool:
    """Move an appointment to `status` only if it is in `when`; False if it was not (someone else moved it)."""
    values: dict[str, Any] = {"status": status}
    if cancelled_at is not None:
        values["cancelled_at"] = cancelled_at
    result = session.execute(
        update(Appointment)
        .where(Appointment.id == appointment_id, Appointment.status == when)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def appointment(session: Session, appointment_id: int) -> Appointment | None:
    """One appointment, read fresh from the database."""
    return session.get(Appointment, appointment_id, populate_existing=True)


def appointment_by_key(session: Session, idempotency_key: str) -> Appointment | None:
    """The appointment made with this idempotency key, if any."""
    return session.scalars(
        select(Appointment)
        .where(Appointment.idempotency_key == idempotency_key)
        .execution_options(populate_existing=True)
    ).one_or_none()


def appointments_of_user(
    session: Session, *, user_id: int, ending_after: datetime | None
) -> Sequence[tuple[Appointment, str]]:
    """A user's appointments that are not cancelled (ending after `ending_after` if given) with the provider's
    time zone, in start order."""
    query = (
        select(Appointment, Provider.timezone)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(Appointment.user_id == user_id, Appointment.status != AppointmentStatus.CANCELLED)
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if ending_after is not None:
        query = query.where(Appointment.ends_at > ending_after)
    return [(appointment, timezone) for appointment, timezone in session.execute(query)]


def day_sheet(
    session: Session, *, provider_id: str, start: datetime, end: datetime
) -> Sequence[tuple[Appointment, str]]:
    """A provider's appointments that are not cancelled starting in [start, end), with each user's pseudonym."""
    rows = session.execute(
        select(Appointment, User.pseudonym)
        .join(User, User.id == Appointment.user_id)
        .where(
            Appointment.provider_id == provider_id,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            Appointment.status != AppointmentStatus.CANCELLED,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return [(appointment, pseudonym) for appointment, pseudonym in rows]


def visits_started(
    session: Session, *, provider_id: str | None, since: datetime, until: datetime
) -> Sequence[tuple[Appointment, str]]:
    """Appointments that are not cancelled starting in [since, until] (of one provider, or of all), latest first, with
    each user's pseudonym."""
    query = (
        select(Appointment, User.pseudonym)
        .join(User, User.id == Appointment.user_id)
        .where(
            Appointment.starts_at >= since,
            Appointment.starts_at <= until,
            Appointment.status != AppointmentStatus.CANCELLED,
        )
        .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
    )
    if provider_id is not None:
        query = query.where(Appointment.provider_id == provider_id)
    return [(appointment, pseudonym) for appointment, pseudonym in session.execute(query)]


def user_by_id(session: Session, user_id: int) -> User | None:
    """One user by id."""
    return session.get(User, user_id)
