"""Attendance: a provider's chat is asked once a slot is over; came or missed recorded (a missed visit's follow-up,
a mistake corrected); only the provider's own chat may answer; visits found by agenda number or visit code; on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.booking import attendance
from services.booking import service as booking
from services.booking.models import AppointmentStatus
from services.booking.notifications import PROVIDER_ATTENDANCE
from services.booking.types import AppointmentView, StateProblem
from services.outbox.models import OutboxMessage, OutboxStatus
from services.users import service as users
from tests.booking_factories import NOW, load_providers, provider_entry
from tests.factories import make_user

CLINIC, QUIET = "uz-attendance-clinic", "uz-no-chat-clinic"
CLINIC_CHAT = -1009876543210


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Tashkent in December 2026, as UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=ZoneInfo("Asia/Tashkent")).astimezone(UTC)


@pytest.fixture
def clinics(session: Session) -> None:
    """A clinic whose staff chat gets the questions, and one without a chat."""
    load_providers(session, provider_entry(CLINIC, telegram_chat_id=CLINIC_CHAT), provider_entry(QUIET))


def book(session: Session, telegram_id: int, starts_at: datetime, provider_id: str = CLINIC) -> AppointmentView:
    user = make_user(session, telegram_id=telegram_id, chat_id=telegram_id)
    return booking.book_slot(
        session,
        pseudonym=user.pseudonym,
        provider_id=provider_id,
        starts_at=starts_at,
        note=None,
        idempotency_key=f"{telegram_id}:{provider_id}:{starts_at.isoformat()}",
        now=NOW,
    )


def entries(session: Session) -> dict[str, OutboxMessage]:
    return {message.dedupe_key: message for message in session.scalars(select(OutboxMessage))}


def test_a_provider_with_a_chat_is_asked_once_when_the_slot_is_over(session: Session, clinics: None) -> None:
    asked = book(session, 801, at(2, 10, 0))
    quiet = book(session, 802, at(2, 10, 0), QUIET)
    questions = [message for message in entries(session).values() if message.kind == PROVIDER_ATTENDANCE]
    assert [(m.dedupe_key, m.due_at, m.payload, m.user_id) for m in questions] == [
        (f"provider:{asked.id}:attendance", asked.ends_at, {"appointment_id": asked.id, "provider_id": CLINIC}, None)
    ]
    assert f"provider:{quiet.id}:attendance" not in entries(session)


def test_came_is_recorded_once_the_visit_has_started(session: Session, clinics: None) -> None:
    visit = book(session, 803, at(2, 10, 0))
    with pytest.raises(booking.AppointmentStateError) as early:
        booking.mark_attended(session, appointment_id=visit.id, now=at(2, 9, 59))
    assert early.value.problem is StateProblem.NOT_STARTED
    came = booking.mark_attended(session, appointment_id=visit.id, now=at(2, 10, 5))
    assert came.status is AppointmentStatus.ATTENDED and came.visit_code == visit.visit_code
    assert booking.mark_attended(session, appointment_id=visit.id, now=at(2, 11, 0)) == came, "a second tap"
    with pytest.raises(booking.AppointmentStateError) as closed:
        booking.mark_missed(session, appointment_id=visit.id, now=at(2, 11, 0))
    assert closed.value.problem is StateProblem.CLOSED
    with pytest.raises(booking.AppointmentNotFoundError):
        booking.mark_attended(session, appointment_id=10**9, now=at(2, 11, 0))


def test_a_cancelled_visit_cannot_be_marked(session: Session, clinics: None) -> None:
    visit = book(session, 804, at(2, 10, 0))
    user = make_user(session, telegram_id=804, chat_id=804)
    booking.cancel_appointment(session, pseudonym=user.pseudonym, appointment_id=visit.id, now=NOW)
    for attended in (True, False):
        with pytest.raises(booking.AppointmentStateError) as refused:
            attendance.record_attendance(session, appointment_id=visit.id, attended=attended, now=at(2, 11, 0))
        assert refused.value.problem is StateProblem.CANCELLED


def test_a_visit_marked_missed_by_mistake_is_corrected_and_its_follow_up_withdrawn(
    session: Session, clinics: None
) -> None:
    visit = book(session, 805, at(2, 10, 0))
    users.set_follow_up_consent(session, pseudonym=make_user(session, telegram_id=805).pseudonym, agreed=True)
    missed = attendance.record_attendance(session, appointment_id=visit.id, attended=False, now=at(2, 10, 30))
    assert missed.status is AppointmentStatus.MISSED
    assert entries(session)[f"follow_up:{visit.id}"].status is OutboxStatus.PENDING
    came = attendance.record_attendance(session, appointment_id=visit.id, attended=True, now=at(2, 10, 40))
    assert came.status is AppointmentStatus.ATTENDED
    assert entries(session)[f"follow_up:{visit.id}"].status is OutboxStatus.CANCELLED


def test_only_the_providers_own_chat_may_answer(session: Session, clinics: None) -> None:
    visit, elsewhere = book(session, 806, at(2, 10, 0)), book(session, 807, at(2, 10, 0), QUIET)
    after = at(2, 10, 30)
    for chat, appointment in ((CLINIC_CHAT + 1, visit), (806, visit), (CLINIC_CHAT, elsewhere)):
        with pytest.raises(attendance.NotTheProvidersChatError):
            attendance.record_attendance_from_chat(
                session, appointment_id=appointment.id, chat_id=chat, attended=True, now=after
            )
    assert booking.get_appointment(session, appointment_id=visit.id).status is AppointmentStatus.BOOKED  # type: ignore[union-attr]
    with pytest.raises(booking.AppointmentNotFoundError):
        attendance.record_attendance_from_chat(
            session, appointment_id=10**9, chat_id=CLINIC_CHAT, attended=True, now=after
        )
    missed = attendance.record_attendance_from_chat(
        session, appointment_id=visit.id, chat_id=CLINIC_CHAT, attended=False, now=after
    )
    assert missed.status is AppointmentStatus.MISSED


def test_a_visit_is_found_by_its_agenda_number_or_its_recent_visit_code(session: Session, clinics: None) -> None:
    first, later = book(session, 808, at(2, 10, 0)), book(session, 808, at(3, 11, 0))
    other = book(session, 809, at(3, 11, 0), QUIET)
    now = at(3, 12, 0)
    for reference in (str(first.id), f"#{first.id}", f" #{first.id} "):
        assert attendance.find_visit(session, reference=reference, provider_id=None, now=now).id == first.id
    assert attendance.find_visit(session, reference=f"#{first.id}", provider_id=CLINIC, now=now).id == first.id
    with pytest.raises(attendance.VisitNotFoundError):
        attendance.find_visit(session, reference=f"#{first.id}", provider_id=QUIET, now=now)
    code = first.visit_code
    assert code == later.visit_code != other.visit_code
    for reference in (code, code.lower(), code.replace("-", "")):
        found = attendance.find_visit(session, reference=reference, provider_id=None, now=now)
        assert found.id == later.id, "the latest visit that has started"
    assert attendance.find_visit(session, reference=code, provider_id=None, now=at(3, 10, 0)).id == first.id
    for reference, provider, moment in (
        (code, QUIET, now),  # not at that provider
        (code, None, at(2, 9, 0)),  # not started yet
        (code, None, now + timedelta(days=30)),  # too long ago
        ("ABC-DEF", None, now),
        ("not a code", None, now),
        ("#99999999", None, now),
    ):
        with pytest.raises(attendance.VisitNotFoundError):
            attendance.find_visit(session, reference=reference, provider_id=provider, now=moment)


def test_a_code_at_several_providers_needs_the_provider(
    session: Session, clinics: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    book(session, 810, at(2, 10, 0))
    quiet = book(session, 811, at(2, 10, 0), QUIET)
    monkeypatch.setattr(attendance, "visit_code", lambda **_ids: "AAA-BBB")  # a collision of two codes
    with pytest.raises(attendance.AmbiguousVisitError):
        attendance.find_visit(session, reference="AAA-BBB", provider_id=None, now=at(2, 11, 0))
    assert attendance.find_visit(session, reference="AAA-BBB", provider_id=QUIET, now=at(2, 11, 0)).id == quiet.id
