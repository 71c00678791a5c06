"""ORM models of appointments and the seats they hold in a slot (services layer)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.crypto.columns import EncryptedText
from services.storage.base import Base, UTCDateTime, utcnow


class AppointmentStatus(enum.StrEnum):
    """Where an appointment stands."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    MISSED = "missed"


class Appointment(Base):
    """A user's booking of one slot at one provider; times are UTC."""

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[AppointmentStatus] = mapped_column(
        Enum(AppointmentStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=AppointmentStatus.BOOKED,
    )
    note: Mapped[str | None] = mapped_column(EncryptedText("appointments.note"))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The appointment this one replaced when the user rescheduled (that one is cancelled).
    rescheduled_from_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_appointments_provider_id_starts_at", "provider_id", "starts_at"),)


class SlotSeat(Base):
    """One of the `slot_capacity` seats of a slot, held by one live appointment (see `repository.take_seat`).

    The primary key (provider, start, seat number) is what keeps a slot from being overbooked: two bookings can
    never hold the same seat, and no seat number above the capacity is ever inserted.
    """

    __tablename__ = "slot_seats"

    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    seat_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), unique=True)

    __table_args__ = (CheckConstraint("seat_number >= 1", name="seat_number_positive"),)


class BookingDraft(Base):
    """A booking in progress (provider, day, time, note), one per user: survives restarts and double taps."""

    __tablename__ = "booking_drafts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(EncryptedText("booking_drafts.note"))
    awaiting_note: Mapped[bool] = mapped_column(default=False)
    reschedule_of_id: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    appointment_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
