"""ORM model of a Yoldosh user: a keyed pseudonym, never a name (services layer)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column

from services.storage.base import Base, UTCDateTime, utcnow


class User(Base):
    """A person talking to Yoldosh, known only by a keyed hash of their channel identity."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    # Kept only to deliver messages; never logged, never shown to counselors or providers.
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    locale: Mapped[str | None] = mapped_column(String(8))
    country_code: Mapped[str | None] = mapped_column(String(2))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_version: Mapped[str | None] = mapped_column(String(16))
    # The user agreed that a counselor may follow up, e.g. after a missed appointment.
    follow_up_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the person erased their data while a counselor held one of their cases: the record stays only to
    # group those cases, its pseudonym replaced by a random value that leads to no one (services.privacy.erasure).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
