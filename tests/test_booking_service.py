"""Booking: slots from hours, time zones, closed days and holidays; book, refuse, cancel, reschedule, miss;
reminders in the outbox; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.booking import service as booking
from services.booking.agenda import provider_agenda
from services.booking.models import Appointment, AppointmentStatus, SlotSeat
from services.booking.types import StateProblem, UnavailableReason
from services.outbox.models import OutboxMessage, OutboxStatus
from services.users import service as users
from tests.booking_factories import NOW, load_providers, provider_entry
from tests.factories import make_user

TASHKENT = ZoneInfo("Asia/Tashkent")


def at(day: int, hour: int, minute: int = 0, zone: str = "Asia/Tashkent", month: int = 12) -> datetime:
    """A local wall-clock time in December 2026 as an aware UTC datetime."""
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def book(session: Session, pseudonym: str, starts_at: datetime, key: str, provider_id: str = "uz-test-clinic"):  # type: ignore[no-untyped-def]
    return booking.book_slot(
        session,
        pseudonym=pseudonym,
        provider_id=provider_id,
        starts_at=starts_at,
        note="  first visit, bring my son  ",
        idempotency_key=key,
        now=NOW,
    )


def outbox(session: Session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def clinic(session: Session) -> str:
    load_providers(session, provider_entry(closed_on=(date(2026, 12, 9),), telegram_chat_id=-100123))
    return "uz-test-clinic"


def test_slots_follow_hours_in_the_providers_zone_and_skip_past_closed_and_holidays(
    session: Session, clinic: str
) -> None:
    slots = booking.available_slots(session, provider_id=clinic, start=date(2026, 12, 1), days=10, now=NOW)
    by_day: dict[date, list[str]] = {}
    for slot in slots:
        by_day.setdefault(slot.local_starts_at.date(), []).append(slot.local_starts_at.strftime("%H:%M"))
    morning = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    # Tue 1 (now 09:10: 09:00 is past), Wed 2 … Fri 4, Mon 7, Thu 10; not the weekend, not Tue 8 (holiday),
    # not Wed 9 (closed_on).
    assert by_day == {
        date(2026, 12, 1): morning[1:],
        date(2026, 12, 2): morning,
        date(2026, 12, 3): morning,
        date(2026, 12, 4): morning,
        date(2026, 12, 7): morning,
        date(2026, 12, 10): morning,
    }
    first = slots[0]
    assert first.starts_at == datetime(2026, 12, 1, 4, 30, tzinfo=UTC) and first.starts_at.tzinfo is UTC
    assert first.ends_at - first.starts_at == timedelta(minutes=30)
    assert (first.timezone, first.capacity, first.remaining) == ("Asia/Tashkent", 2, 2)


@pytest.mark.parametrize(
    ("zone", "country", "utc_hour"),
    [("Asia/Tashkent", "UZ", 4), ("Asia/Almaty", "KZ", 4), ("Asia/Bishkek", "KG", 3), ("Asia/Dushanbe", "TJ", 4)],
)
def test_each_countrys_zone_turns_local_opening_into_utc(
    session: Session, zone: str, country: str, utc_hour: int
) -> None:
    provider_id = f"{country.lower()}-zone-test"
    hours = {"thu": ["09:00-10:00", "14:00-15:00"]}
    load_providers(session, provider_entry(provider_id, country=country, timezone=zone, hours=hours, slot_minutes=60))
    slots = booking.available_slots(session, provider_id=provider_id, start=date(2026, 12, 3), days=1, now=NOW)
    assert [slot.starts_at.hour for slot in slots] == [utc_hour, utc_hour + 5]
    assert [slot.local_starts_at.hour for slot in slots] == [9, 14]


def test_booking_takes_a_seat_and_queues_reminders_and_the_provider_notice(session: Session, clinic: str) -> None:
    user = make_user(session, telegram_id=501, locale="uz_Cyrl")
    view = book(session, user.pseudonym, at(3, 10, 30), "k-501")
    assert (view.status, view.note, view.timezone) == (
        AppointmentStatus.BOOKED,
        "first visit, bring my son",
        "Asia/Tashkent",
    )
    assert view.starts_at == at(3, 10, 30) and view.local_starts_at.hour == 10
    assert len(view.visit_code) == 7 and view.visit_code[3] == "-"
    slots = booking.available_slots(session, provider_id=clinic, start=date(2026, 12, 3), days=1, now=NOW)
    assert {slot.starts_at: slot.remaining for slot in slots}[at(3, 10, 30)] == 1
    messages = outbox(session)
    reminders = [m for m in messages if m.kind == "appointment_reminder"]
    assert [(m.dedupe_key, m.due_at) for m in reminders] == [
        (f"reminder:{view.id}:24h", at(2, 10, 30)),
        (f"reminder:{view.id}:2h", at(3, 8, 30)),
    ]
    for message in reminders:
        assert message.user_id == user.id and message.status is OutboxStatus.PENDING
        assert message.payload == {
            "appointment_id": view.id,
            "provider_id": clinic,
            "locale": "uz_Cyrl",
            "lead": message.dedupe_key.rsplit(":", 1)[1],
        }
    notice = next(m for m in messages if m.kind == "provider_booking_created")
    assert notice.payload == {"appointment_id": view.id, "provider_id": clinic} and notice.user_id is None


def test_reminders_already_due_are_left_out(session: Session, clinic: str) -> None:
    user = make_user(session, telegram_id=502)
    view = book(session, user.pseudonym, at(1, 11, 30), "k-502")  # in 2 h 20 min
    keys = [m.dedupe_key for m in outbox(session) if m.kind == "appointment_reminder"]
    assert keys == [f"reminder:{view.id}:2h"]
    soon = book(session, user.pseudonym, at(1, 9, 30), "k-502b")  # in 20 min
    assert not [m for m in outbox(session) if m.dedupe_key.startswith(f"reminder:{soon.id}:")]


def test_a_double_tapped_confirm_makes_one_booking(session: Session, clinic: str) -> None:
    user = make_user(session, telegram_id=503)
    first = book(session, user.pseudonym, at(3, 10, 0), "same-key")
    second = book(session, user.pseudonym, at(3, 10, 0), "same-key")
    assert first == second
    assert session.scalar(select(func.count()).select_from(Appointment)) == 1
    assert session.scalar(select(func.count()).select_from(SlotSeat)) == 1
    assert len([m for m in outbox(session) if m.kind == "appointment_reminder"]) == 2
    with pytest.raises(booking.IdempotencyKeyReusedError):
        book(session, user.pseudonym, at(3, 11, 0), "same-key")
    other = make_user(session, telegram_id=504)
    with pytest.raises(booking.IdempotencyKeyReusedError):
        book(session, other.pseudonym, at(3, 10, 0), "same-key")


@pytest.mark.parametrize(
    ("starts_at", "reason", "first_alternative"),
    [
        (at(1, 9, 0), UnavailableReason.PAST, at(1, 9, 30)),
        (at(8, 10, 0), UnavailableReason.CLOSED, at(10, 9, 0)),  # public holiday, then closed_on the 9th
        (at(9, 10, 0), UnavailableReason.CLOSED, at(10, 9, 0)),
        (at(5, 10, 0), UnavailableReason.CLOSED, at(7, 9, 0)),  # Saturday: no hours
        (at(3, 10, 10), UnavailableReason.NOT_A_SLOT, at(3, 10, 30)),
        (at(3, 11, 45), UnavailableReason.NOT_A_SLOT, at(4, 9, 0)),  # would end after closing
        (NOW + timedelta(days=70), UnavailableReason.TOO_FAR, at(1, 9, 30)),
    ],
)
def test_unbookable_times_are_refused_with_the_next_free_slots(
    session: Session, clinic: str, starts_at: datetime, reason: UnavailableReason, first_alternative: datetime
) -> None:
    user = make_user(session, telegram_id=505)
    with pytest.raises(booking.SlotUnavailableError) as refused:
        book(session, user.pseudonym, starts_at, "k-505")
    assert refused.value.reason is reason
    assert len(refused.value.alternatives) == booking.ALTERNATIVES
    assert refused.value.alternatives[0].starts_at == first_alternative
    assert session.scalar(select(func.count()).select_from(Appointment)) == 0


def test_a_full_slot_is_refused_with_later_free_slots_and_leaves_nothing_behind(session: Session) -> None:
    load_providers(session, provider_entry(capacity=1))
    first, second = make_user(session, telegram_id=506), make_user(session, telegram_id=507)
    book(session, first.pseudonym, at(3, 10, 0), "k-506")
    book(session, first.pseudonym, at(3, 10, 30), "k-506b")
    with pytest.raises(booking.SlotUnavailableError) as refused:
        book(session, second.pseudonym, at(3, 10, 0), "k-507")
    assert refused.value.reason is UnavailableReason.FULL
    assert [slot.starts_at for slot in refused.value.alternatives] == [at(3, 11, 0), at(3, 11, 30), at(4, 9, 0)]
    assert session.scalar(select(func.count()).select_from(Appointment)) == 2
    assert session.scalar(select(func.count()).select_from(SlotSeat)) == 2
    assert (
        booking.book_slot(
            session,
            pseudonym=second.pseudonym,
            provider_id="uz-test-clinic",
            starts_at=at(3, 11, 0),
            note=None,
            idempotency_key="k-507",
            now=NOW,
        ).note
        is None
    )


def test_booking_needs_consent_a_known_user_an_active_provider_and_a_short_note(session: Session, clinic: str) -> None:
    stranger = make_user(session, telegram_id=508, consented=False)
    with pytest.raises(users.ConsentRequiredError):
        book(session, stranger.pseudonym, at(3, 10, 0), "k-508")
    with pytest.raises(users.UnknownUserError):
        book(session, "f" * 64, at(3, 10, 0), "k-508")
    user = make_user(session, telegram_id=509)
    with pytest.raises(booking.ProviderNotFoundError):
        book(session, user.pseudonym, at(3, 10, 0), "k-509", provider_id="uz-nowhere")
    with pytest.raises(booking.NoteTooLongError):
        booking.book_slot(
            session,
            pseudonym=user.pseudonym,
            provider_id=clinic,
            starts_at=at(3, 10, 0),
            note="x" * 501,
            idempotency_key="k-509",
            now=NOW,
        )
    with pytest.raises(ValueError, match="naive"):
        book(session, user.pseudonym, datetime(2026, 12, 3, 10, 0), "k-509")


def test_cancelling_frees_the_seat_cancels_reminders_and_is_idempotent(session: Session) -> None:
    load_providers(session, provider_entry(capacity=1, telegram_chat_id=-100123))
    user, other = make_user(session, telegram_id=510), make_user(session, telegram_id=511)
    view = book(session, user.pseudonym, at(3, 10, 0), "k-510")
    with pytest.raises(booking.AppointmentNotFoundError):
        booking.cancel_appointment(session, pseudonym=other.pseudonym, appointment_id=view.id, now=NOW)
    cancelled = booking.cancel_appointment(session, pseudonym=user.pseudonym, appointment_id=view.id, now=NOW)
    assert cancelled.status is AppointmentStatus.CANCELLED and cancelled.cancelled_at == NOW
    again = booking.cancel_appointment(session, pseudonym=user.pseudonym, appointment_id=view.id, now=NOW)
    assert again == cancelled
    statuses = {m.dedupe_key: m.status for m in outbox(session)}
    assert statuses[f"reminder:{view.id}:24h"] is statuses[f"reminder:{view.id}:2h"] is OutboxStatus.CANCELLED
    assert statuses[f"provider:{view.id}:cancelled"] is OutboxStatus.PENDING
    assert book(session, other.pseudonym, at(3, 10, 0), "k-511").status is AppointmentStatus.BOOKED


def test_an_appointment_that_has_started_cannot_be_cancelled_or_moved(session: Session, clinic: str) -> None:
    user = make_user(session, telegram_id=512)
    view = book(session, user.pseudonym, at(1, 9, 30), "k-512")
    later = at(1, 9, 31)
    with pytest.raises(booking.AppointmentStateError) as refused:
        booking.cancel_appointment(session, pseudonym=user.pseudonym, appointment_id=view.id, now=later)
    assert refused.value.problem is StateProblem.STARTED
    with pytest.raises(booking.AppointmentStateError):
        booking.reschedule_appointment(
            session,
            pseudonym=user.pseudonym,
            appointment_id=view.id,
            starts_at=at(2, 9, 0),
            idempotency_key="r",
            now=later,
        )


def test_rescheduling_moves_the_seat_and_the_reminders(session: Session, clinic: str) -> None:
    user = make_user(session, telegram_id=513)
    old = book(session, user.pseudonym, at(3, 10, 0), "k-513")
    new = booking.reschedule_appointment(
        session,
        pseudonym=user.pseudonym,
        appointment_id=old.id,
        starts_at=at(4, 11, 0),
        idempotency_key="r-513",
        now=NOW,
    )
    assert (new.status, new.starts_at, new.rescheduled_from_id, new.note) == (
        AppointmentStatus.BOOKED,
        at(4, 11, 0),
        old.id,
        old.note,
    )
    replay = booking.reschedule_appointment(
        session,
        pseudonym=user.pseudonym,
        appointment_id=old.id,
        starts_at=at(4, 11, 0),
        idempotency_key="r-513",
        now=NOW,
    )
    assert replay == new
    listed = booking.list_appointments(session, pseudonym=user.pseudonym, now=NOW)
    assert [a.id for a in listed] == [new.id]
    seats = session.execute(select(SlotSeat.appointment_id, SlotSeat.starts_at)).all()
    assert [(row[0], row[1]) for row in seats] == [(new.id, at(4, 11, 0))]
    statuses = {m.dedupe_key: m.status for m in outbox(session) if m.kind == "appointment_reminder"}
    assert statuses == {
        f"reminder:{old.id}:24h": OutboxStatus.CANCELLED,
        f"reminder:{old.id}:2h": OutboxStatus.CANCELLED,
        f"reminder:{new.id}:24h": OutboxStatus.PENDING,
        f"reminder:{new.id}:2h": OutboxStatus.PENDING,
    }


def test_rescheduling_to_a_full_slot_changes_nothing(session: Session) -> None:
    load_providers(session, provider_entry(capacity=1))
    user, other = make_user(session, telegram_id=514), make_user(session, telegram_id=515)
    mine = book(session, user.pseudonym, at(3, 10, 0), "k-514")
    book(session, other.pseudonym, at(3, 11, 0), "k-515")
    with pytest.raises(booking.SlotUnavailableError) as refused:
        booking.reschedule_appointment(
            session,
            pseudonym=user.pseudonym,
            appointment_id=mine.id,
            starts_at=at(3, 11, 0),
            idempotency_key="r",
            now=NOW,
        )
    assert refused.value.reason is UnavailableReason.FULL
    assert booking.list_appointments(session, pseudonym=user.pseudonym, now=NOW) == (mine,)
    assert session.scalar(select(func.count()).select_from(SlotSeat)) == 2
    pending = [m.dedupe_key for m in outbox(session) if m.status is OutboxStatus.PENDING]
    assert f"reminder:{mine.id}:24h" in pending and f"reminder:{mine.id}:2h" in pending


def test_my_appointments_lists_upcoming_ones_and_on_request_past_ones(session: Session, clinic: str) -> None:
    user = make_user(session, telegram_id=516)
    early = book(session, user.pseudonym, at(1, 10, 0), "k-516a")
    late = book(session, user.pseudonym, at(2, 10, 0), "k-516b")
    dropped = book(session, user.pseudonym, at(3, 10, 0), "k-516c")
    booking.cancel_appointment(session, pseudonym=user.pseudonym, appointment_id=dropped.id, now=NOW)
    next_day = at(2, 9, 0)
    assert [a.id for a in booking.list_appointments(session, pseudonym=user.pseudonym, now=NOW)] == [early.id, late.id]
    assert [a.id for a in booking.list_appointments(session, pseudonym=user.pseudonym, now=next_day)] == [late.id]
    everything = booking.list_appointments(session, pseudonym=user.pseudonym, now=next_day, include_past=True)
    assert [a.id for a in everything] == [early.id, late.id]
    assert booking.list_appointments(session, pseudonym="0" * 64, now=NOW) == ()


def test_a_missed_visit_asks_for_a_follow_up_only_when_the_user_agreed(session: Session, clinic: str) -> None:
    agreed, silent = make_user(session, telegram_id=517, locale="tg"), make_user(session, telegram_id=518)
    users.set_follow_up_consent(session, pseudonym=agreed.pseudonym, agreed=True)
    first = book(session, agreed.pseudonym, at(2, 10, 0), "k-517")
    second = book(session, silent.pseudonym, at(2, 10, 0), "k-518")
    with pytest.raises(booking.AppointmentStateError) as early:
        booking.mark_missed(session, appointment_id=first.id, now=NOW)
    assert early.value.problem is StateProblem.NOT_STARTED
    after = at(2, 10, 45)
    for view in (first, second):
        assert booking.mark_missed(session, appointment_id=view.id, now=after).status is AppointmentStatus.MISSED
    assert booking.mark_missed(session, appointment_id=first.id, now=after).status is AppointmentStatus.MISSED
    follow_ups = [m for m in outbox(session) if m.kind == "counselor_follow_up"]
    assert [(m.user_id, m.dedupe_key, m.payload) for m in follow_ups] == [
        (agreed.id, f"follow_up:{first.id}", {"appointment_id": first.id, "provider_id": clinic, "locale": "tg"})
    ]
    with pytest.raises(booking.AppointmentNotFoundError):
        booking.mark_missed(session, appointment_id=10**9, now=after)


def test_the_agenda_shows_a_local_day_with_pseudonymous_codes_and_notes(session: Session, clinic: str) -> None:
    first, second = make_user(session, telegram_id=519, chat_id=519519), make_user(session, telegram_id=520)
    a = book(session, first.pseudonym, at(3, 11, 30), "k-519")
    b = book(session, second.pseudonym, at(3, 9, 0), "k-520")
    book(session, first.pseudonym, at(4, 9, 0), "k-519b")
    dropped = book(session, second.pseudonym, at(3, 10, 0), "k-520b")
    booking.cancel_appointment(session, pseudonym=second.pseudonym, appointment_id=dropped.id, now=NOW)
    agenda = provider_agenda(session, provider_id=clinic, day=date(2026, 12, 3))
    assert (agenda.timezone, agenda.day) == ("Asia/Tashkent", date(2026, 12, 3))
    assert [(e.appointment_id, e.visit_code) for e in agenda.entries] == [(b.id, b.visit_code), (a.id, a.visit_code)]
    assert a.visit_code != b.visit_code and a.visit_code != booking.visit_code(
        provider_id="other", pseudonym=first.pseudonym
    )
    assert agenda.entries[0].note == "first visit, bring my son"
    assert all(first.pseudonym not in repr(e) and "519519" not in repr(e) for e in agenda.entries)
    with pytest.raises(booking.ProviderNotFoundError):
        provider_agenda(session, provider_id="uz-nowhere", day=date(2026, 12, 3))


def test_erasing_the_user_frees_their_seats(session: Session) -> None:
    load_providers(session, provider_entry(capacity=1))
    user, other = make_user(session, telegram_id=521), make_user(session, telegram_id=522)
    book(session, user.pseudonym, at(3, 10, 0), "k-521")
    users.delete_user_data(session, pseudonym=user.pseudonym)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SlotSeat)) == 0
    assert book(session, other.pseudonym, at(3, 10, 0), "k-522").status is AppointmentStatus.BOOKED


def test_a_local_time_skipped_by_daylight_saving_is_never_offered() -> None:
    from datetime import time as clock

    from services.booking.slots import day_slot_starts
    from services.booking.types import Schedule

    # Central Asia keeps no DST today; Berlin skips 02:00-03:00 on 29 March 2026 (a Sunday).
    schedule = Schedule(
        provider_id="x",
        country_code="UZ",
        timezone="Europe/Berlin",
        slot_minutes=30,
        capacity=1,
        hours=((6, clock(1, 0), clock(4, 0)),),
        closed=frozenset(),
    )
    starts = [
        start.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M")
        for start in day_slot_starts(schedule, date(2026, 3, 29))
    ]
    assert starts == ["01:00", "01:30", "03:00", "03:30"]


def test_search_stops_at_the_booking_horizon(session: Session, clinic: str) -> None:
    slots = booking.available_slots(session, provider_id=clinic, start=date(2026, 12, 1), days=365, now=NOW)
    last_day = date(2026, 12, 1) + timedelta(days=booking.BOOKING_HORIZON_DAYS - 1)
    assert max(slot.local_starts_at.date() for slot in slots) <= last_day
    assert (
        booking.available_slots(session, provider_id=clinic, start=last_day + timedelta(days=1), days=7, now=NOW) == []
    )
