"""ORM models of counselors, escalation cases and case messages (services layer)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from services.crypto.columns import EncryptedText
from services.storage.base import Base, UTCDateTime, utcnow


def _enum_column(enum_type: type[enum.Enum]) -> Enum:
    return Enum(enum_type, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class CounselorRole(enum.StrEnum):
    """What a registered staff member may do."""

    COUNSELOR = "counselor"
    SUPERVISOR = "supervisor"


class CasePriority(enum.StrEnum):
    """How fast a case needs a human."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"


class CaseStatus(enum.StrEnum):
    """Where a case stands."""

    OPEN = "open"
    CLAIMED = "claimed"
    CLOSED = "closed"


class MessageDirection(enum.StrEnum):
    """Who wrote a case message and who may read it."""

    FROM_USER = "from_user"
    TO_USER = "to_user"
    NOTE = "note"


class Counselor(Base):
    """A registered counselor or supervisor who works from the counselors' Telegram group."""

    __tablename__ = "counselors"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    alias: Mapped[str] = mapped_column(String(64))
    role: Mapped[CounselorRole] = mapped_column(_enum_column(CounselorRole), default=CounselorRole.COUNSELOR)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Alerted in a private chat too when an urgent case opens outside the desk's working hours.
    on_call: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EscalationCase(Base):
    """A conversation handed to humans: why, how urgent, who has it."""

    __tablename__ = "escalation_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    priority: Mapped[CasePriority] = mapped_column(_enum_column(CasePriority))
    status: Mapped[CaseStatus] = mapped_column(_enum_column(CaseStatus), default=CaseStatus.OPEN, index=True)
    trigger: Mapped[str] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(48))
    locale: Mapped[str] = mapped_column(String(8))
    topic_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("counselors.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(48))
    last_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where the counselors' replies go while the case lasts; forgotten when it closes.
    reply_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    # The desk: a worker reserves the topic's creation, then keeps the card's message id and the last case message
    # the card already showed (relays of older messages are not sent again).
    desk_reserved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    card_through_message_id: Mapped[int | None] = mapped_column(Integer)
    # A documented hold (services.escalation.holds): the retention purge leaves the case's messages alone, and the
    # user's erasure anonymises the case instead of deleting it.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("counselors.id"))
    hold_reason: Mapped[str | None] = mapped_column(String(200))
    # When the retention purge blanked the messages of this closed case (services.privacy.retention).
    content_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CaseMessage(Base):
    """One message in a case: from the user, to the user, or a counselor's private note."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("escalation_cases.id", ondelete="CASCADE"), index=True)
    direction: Mapped[MessageDirection] = mapped_column(_enum_column(MessageDirection))
    counselor_id: Mapped[int | None] = mapped_column(ForeignKey("counselors.id"))
    content_type: Mapped[str] = mapped_column(String(16), default="text")
    body: Mapped[str | None] = mapped_column(EncryptedText("case_messages.body"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
