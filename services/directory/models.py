"""ORM models of the service directory: categories, providers, texts, hours, closed days, holidays (services layer)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.storage.base import Base, UTCDateTime, utcnow

provider_categories = Table(
    "provider_categories",
    Base.metadata,
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
    Column("category_code", ForeignKey("service_categories.code"), primary_key=True),
)


class ServiceCategory(Base):
    """One of the eight kinds of help; its label comes from the catalogs by code."""

    __tablename__ = "service_categories"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Provider(Base):
    """A place that helps: a clinic, a school office, an NGO, with one address."""

    __tablename__ = "providers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), index=True)
    region_code: Mapped[str] = mapped_column(String(48))
    city_code: Mapped[str] = mapped_column(String(48), index=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(32))
    languages: Mapped[list[str]] = mapped_column(JSON)
    is_free: Mapped[bool] = mapped_column(Boolean)
    women_staff: Mapped[bool] = mapped_column(Boolean)
    child_friendly: Mapped[bool] = mapped_column(Boolean)
    step_free: Mapped[bool] = mapped_column(Boolean)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    slot_capacity: Mapped[int] = mapped_column(Integer)
    is_sample: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    categories: Mapped[list[ServiceCategory]] = relationship(secondary=provider_categories)
    texts: Mapped[list[ProviderText]] = relationship(back_populates="provider", cascade="all, delete-orphan")
    opening_hours: Mapped[list[OpeningHours]] = relationship(back_populates="provider", cascade="all, delete-orphan")
    closed_days: Mapped[list[ProviderClosedDay]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("slot_minutes BETWEEN 5 AND 480", name="slot_minutes_range"),
        CheckConstraint("slot_capacity >= 1", name="slot_capacity_positive"),
    )


class ProviderText(Base):
    """A provider's name and address in one locale."""

    __tablename__ = "provider_texts"

    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True)
    locale: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))

    provider: Mapped[Provider] = relationship(back_populates="texts")


class OpeningHours(Base):
    """One opening interval on one weekday (0 = Monday) in the provider's time zone."""

    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)

    provider: Mapped[Provider] = relationship(back_populates="opening_hours")

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
        UniqueConstraint("provider_id", "weekday", "opens", name="uq_opening_hours_interval"),
    )


class ProviderClosedDay(Base):
    """A date (provider's local calendar) on which one provider takes no bookings, besides public holidays."""

    __tablename__ = "provider_closed_days"

    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class PublicHoliday(Base):
    """A public holiday of one country: every provider there is closed for booking that day."""

    __tablename__ = "public_holidays"

    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
