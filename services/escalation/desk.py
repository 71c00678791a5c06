"""The counselors' desk (services layer): a case's topic and card, relays, and where replies go.

One worker creates a case's topic: it reserves the case first in one conditional update, and a reservation older
than `RESERVATION_STALE_AFTER` (its worker died) is taken over. The card shows the case's recent messages; the
relays of messages the card already showed are not sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from services.audit.service import record_action
from services.booking.service import list_appointments
from services.booking.types import AppointmentView
from services.directory.service import ProviderNotFoundError, get_provider_card
from services.escalation.counselors import require_counselor
from services.escalation.models import CaseMessage, EscalationCase, MessageDirection
from services.escalation.service import (
    CaseNotFoundError,
    case_for_topic,
    case_transcript,
    case_view,
    earlier_cases,
    record_case_message,
)
from services.escalation.types import CaseEntry, CaseView
from services.storage.base import utcnow
from services.users.models import User

RESERVATION_STALE_AFTER = timedelta(minutes=2)
CARD_TRANSCRIPT = 10


@dataclass(frozen=True)
class CaseAppointment:
    """One of the user's coming appointments, as the card lists it."""

    starts_at: datetime
    timezone: str
    provider_name: str


@dataclass(frozen=True)
class CaseCard:
    """What the counselors see about a case: never a name, a chat id or a Telegram id."""

    case: CaseView
    transcript: list[CaseEntry]
    earlier: list[CaseView]
    appointments: tuple[CaseAppointment, ...]

    @property
    def through_message_id(self) -> int | None:
        """The newest case message the card shows."""
        return max((entry.id for entry in self.transcript), default=None)


def _case(session: Session, case_id: int) -> EscalationCase:
    case = session.get(EscalationCase, case_id)
    if case is None:
        raise CaseNotFoundError(case_id)
    return case


def reserve_topic(session: Session, *, case_id: int, now: datetime | None = None) -> bool:
    """Reserve the creation of the case's topic for this worker; False if it exists or another worker has it."""
    now = now or utcnow()
    result = session.execute(
        update(EscalationCase)
        .where(
            EscalationCase.id == case_id,
            EscalationCase.topic_id.is_(None),
            or_(
                EscalationCase.desk_reserved_at.is_(None),
                EscalationCase.desk_reserved_at < now - RESERVATION_STALE_AFTER,
            ),
        )
        .values(desk_reserved_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_topic(session: Session, *, case_id: int) -> None:
    """Give up a reservation (the topic could not be created): the next run tries again."""
    _case(session, case_id).desk_reserved_at = None


def _appointment(session: Session, appointment: AppointmentView, locale: str) -> CaseAppointment:
    try:
        name = get_provider_card(session, provider_id=appointment.provider_id, locale=locale).name
    except ProviderNotFoundError:
        name = appointment.provider_id
    return CaseAppointment(starts_at=appointment.starts_at, timezone=appointment.timezone, provider_name=name)


def case_card(
    session: Session,
    *,
    case_id: int,
    locale: str,
    now: datetime | None = None,
    counselor_telegram_id: int | None = None,
) -> CaseCard:
    """The case card, providers named in `locale`; when a counselor asks for it, the view is audited (and others
    are refused)."""
    now = now or utcnow()
    if counselor_telegram_id is not None:
        counselor = require_counselor(session, telegram_user_id=counselor_telegram_id)
        record_action(
            session, actor=f"counselor:{counselor.id}", action="view", subject_type="case", subject_id=case_id
        )
    case = _case(session, case_id)
    user = session.get(User, case.user_id)
    appointments = list_appointments(session, pseudonym=user.pseudonym, now=now) if user else ()
    return CaseCard(
        case=case_view(session, case),
        transcript=case_transcript(session, case_id=case_id, limit=CARD_TRANSCRIPT),
        earlier=earlier_cases(session, case_id=case_id),
        appointments=tuple(_appointment(session, appointment, locale) for appointment in appointments),
    )


def attach_card(
    session: Session,
    *,
    case_id: int,
    topic_id: int | None,
    card_message_id: int,
    through_message_id: int | None,
    now: datetime | None = None,
) -> None:
    """The topic and its card exist now (the first alert): remember them."""
    case = _case(session, case_id)
    if topic_id is not None:
        case.topic_id = topic_id
    case.card_message_id = card_message_id
    if through_message_id is not None:
        case.card_through_message_id = max(case.card_through_message_id or 0, through_message_id)
    case.last_alert_at = now or utcnow()


def desk_topic(session: Session, *, case_id: int) -> int | None:
    """The case's desk topic, None while it does not exist."""
    return _case(session, case_id).topic_id


def message_to_relay(session: Session, *, case_message_id: int) -> CaseEntry | None:
    """A user's case message still to show on the desk; None if the card showed it already or it was erased."""
    message = session.get(CaseMessage, case_message_id)
    if message is None:
        return None
    through = _case(session, message.case_id).card_through_message_id
    if through is not None and message.id <= through:
        return None
    return CaseEntry(
        direction=message.direction,
        content_type=message.content_type,
        body=message.body,
        at=message.created_at,
        id=message.id,
    )


def reply_chat(session: Session, *, case_id: int) -> int | None:
    """Where the counselors' replies to this case go (only while the case lasts)."""
    return _case(session, case_id).reply_chat_id


class NoReplyChatError(LookupError):
    """The case has no chat to write to (the user erased their data, or the case is closed)."""


@dataclass(frozen=True)
class ReplyTarget:
    """Where a counselor's words go and how they are signed: never shown to the desk."""

    case: CaseView
    chat_id: int
    alias: str


def counselor_writes(
    session: Session,
    *,
    case_id: int,
    counselor_telegram_id: int,
    body: str | None,
    content_type: str = "text",
    now: datetime | None = None,
) -> ReplyTarget:
    """The claiming counselor writes to the user: kept in the case, and where to send it (others are refused)."""
    counselor = require_counselor(session, telegram_user_id=counselor_telegram_id)
    record_case_message(
        session,
        case_id=case_id,
        direction=MessageDirection.TO_USER,
        content_type=content_type,
        body=body,
        counselor_telegram_id=counselor_telegram_id,
        now=now,
    )
    case = _case(session, case_id)
    if case.reply_chat_id is None:
        raise NoReplyChatError(case_id)
    return ReplyTarget(case=case_view(session, case), chat_id=case.reply_chat_id, alias=counselor.alias)


def case_of_topic(session: Session, *, topic_id: int) -> CaseView | None:
    """The case a desk topic belongs to, for routing a counselor's message (no details, not audited)."""
    return case_for_topic(session, topic_id=topic_id)
