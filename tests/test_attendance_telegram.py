"""Attendance in the provider's Telegram chat, end to end: the outbox worker of the real PTB application asks once a
slot is over, once only; the staff tap Came or Did not come; taps from any other chat change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.preparation import prepare_database
from bot.telegram.outbox_worker import WORKER_KEY, OutboxWorker
from bot.telegram.provider_buttons import PROVIDER_CHATS_KEY
from services.booking import service as booking
from services.booking.models import AppointmentStatus
from services.booking.types import AppointmentView
from services.directory.service import get_provider_card
from services.i18n.catalogs import Translator
from services.outbox.models import OutboxMessage, OutboxStatus
from services.storage.database import create_database_engine, session_factory, transaction
from services.users import service as users
from services.users.types import UserView
from tests.booking_factories import NOW, load_providers, provider_entry
from tests.conftest import TEST_SECRET, key_ring_for
from tests.factories import make_user
from tests.telegram_standin import BotApiStandIn, ForumMember, TelegramUser, callback_data_of, shown_text

CLINIC = "uz-attendance-clinic"
STAFF_CHAT = -1002223334445
RU = Translator("ru")  # the bot's default locale, which provider chats read


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time at the clinic (Tashkent) in December 2026, as UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=ZoneInfo("Asia/Tashkent")).astimezone(UTC)


@pytest.fixture
def served_database_url(tmp_path: Path) -> str:
    """A prepared database of each test's own: the worker claims every due entry, so no other test's may be there."""
    url = f"sqlite:///{tmp_path / 'yoldosh.db'}"
    engine = create_database_engine(url, key_ring=key_ring_for(TEST_SECRET))
    prepare_database(engine, session_factory(engine))
    engine.dispose()
    return url


@pytest.fixture
def staff(api: BotApiStandIn, served_sessions: sessionmaker[Session]) -> ForumMember:
    """A clinic (30-minute slots) whose staff group gets booking notices and attendance questions."""
    with transaction(served_sessions) as session:
        load_providers(session, provider_entry(CLINIC, telegram_chat_id=STAFF_CHAT))
    api.add_supergroup(STAFF_CHAT, title="Clinic staff", is_forum=False)
    return ForumMember(api, STAFF_CHAT, user_id=880001, first_name="Nurse")


def visitor(sessions: sessionmaker[Session], telegram_id: int, *, follow_up: bool = False) -> UserView:
    with transaction(sessions) as session:
        user = make_user(session, telegram_id=telegram_id, chat_id=telegram_id)
        if follow_up:
            user = users.set_follow_up_consent(session, pseudonym=user.pseudonym, agreed=True)
    return user


def book(sessions: sessionmaker[Session], user: UserView, starts_at: datetime) -> AppointmentView:
    with transaction(sessions) as session:
        return booking.book_slot(
            session,
            pseudonym=user.pseudonym,
            provider_id=CLINIC,
            starts_at=starts_at,
            note=None,
            idempotency_key=f"{user.id}:{starts_at.isoformat()}",
            now=NOW,
        )


def worker_of(application: Any) -> OutboxWorker:
    """The outbox worker, its clock before every test's data; the staff's taps happen at 10:00 on 3 December."""
    worker: OutboxWorker = application.bot_data[WORKER_KEY]
    worker.clock = lambda: NOW - timedelta(days=1)
    application.bot_data[PROVIDER_CHATS_KEY].clock = lambda: at(3, 10, 0)
    return worker


def status_of(sessions: sessionmaker[Session], appointment: AppointmentView) -> AppointmentStatus:
    with sessions() as session:
        view = booking.get_appointment(session, appointment_id=appointment.id)
    assert view is not None
    return view.status


def outbox(sessions: sessionmaker[Session]) -> dict[str, OutboxStatus]:
    with sessions() as session:
        return {row.dedupe_key: row.status for row in session.scalars(select(OutboxMessage))}


def question_of(staff: ForumMember, appointment: AppointmentView) -> dict[str, Any]:
    (message,) = [m for m in staff.bot_messages() if f"pvc|{appointment.id}" in callback_data_of(m)]
    return message


def wording(sessions: sessionmaker[Session], appointment: AppointmentView) -> dict[str, str]:
    with sessions() as session:
        name = get_provider_card(session, provider_id=CLINIC, locale="ru").name
    return {
        "provider": name,
        "code": appointment.visit_code,
        "date": "четверг, 3 декабря 2026\u202fг.",
        "time": "09:00",
    }


async def test_the_staff_are_asked_once_after_the_slot_and_did_not_come_opens_a_follow_up(
    api: BotApiStandIn, running_bot: Any, staff: ForumMember, served_sessions: sessionmaker[Session]
) -> None:
    user = visitor(served_sessions, 7501, follow_up=True)
    visit = book(served_sessions, user, at(3, 9, 0))
    worker = worker_of(running_bot)
    await worker.run_once(running_bot.bot, now=at(3, 9, 29))
    assert staff.sees() == [
        RU("New booking at {provider}: {date} at {time}, visit code {code}.").format(**wording(served_sessions, visit))
    ]
    assert (await worker.run_once(running_bot.bot, now=at(3, 9, 31))).sent == 1
    assert (await worker.run_once(running_bot.bot, now=at(3, 10, 0))).claimed == 0, "asked once"
    question = question_of(staff, visit)
    assert shown_text(question) == RU(
        "Visit code {code} at {provider}, {date} at {time}: did the visitor come?"
    ).format(**wording(served_sessions, visit))
    assert callback_data_of(question) == [f"pvc|{visit.id}", f"pvm|{visit.id}"]
    assert [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row] == [
        RU("Came"),
        RU("Did not come"),
    ]

    staff.taps(f"pvm|{visit.id}")
    await api.until(lambda calls: any(call.method == "editMessageText" for call in calls))
    answered = question_of_edited(staff, question["message_id"])
    assert shown_text(answered) == RU(
        "Visit code {code} at {provider}, {date} at {time}: the visitor did not come. Thank you."
    ).format(**wording(served_sessions, visit))
    assert "reply_markup" not in answered, "the buttons are gone"
    assert status_of(served_sessions, visit) is AppointmentStatus.MISSED
    assert outbox(served_sessions)[f"follow_up:{visit.id}"] is OutboxStatus.PENDING
    assert str(user.pseudonym) not in (shown_text(answered) or "") and "7501" not in (shown_text(answered) or "")
    api.assert_no_errors()


def tap_on_old_copy(staff: ForumMember, message: dict[str, Any], data: str) -> None:
    """A staff member taps a button on a copy of the question from before it was answered."""
    query = {"id": "5999000000001", "from": staff._from(), "chat_instance": f"ci{staff.chat_id}", "data": data}
    staff.api.push_update({"callback_query": {**query, "message": message}})


def question_of_edited(staff: ForumMember, message_id: int) -> dict[str, Any]:
    (message,) = [m for m in staff.bot_messages() if m["message_id"] == message_id]
    return message


async def test_came_is_recorded_and_taps_from_other_chats_change_nothing(
    api: BotApiStandIn, running_bot: Any, staff: ForumMember, served_sessions: sessionmaker[Session]
) -> None:
    visit = book(served_sessions, visitor(served_sessions, 7502), at(3, 9, 0))
    await worker_of(running_bot).run_once(running_bot.bot, now=at(3, 9, 45))
    question = question_of(staff, visit)

    stranger = TelegramUser(api, user_id=7502, language_code="ru")  # the visitor, forging the staff's button
    stranger.taps(f"pvc|{visit.id}")
    answers = await api.until(lambda calls: any(call.method == "answerCallbackQuery" for call in calls))
    (refusal,) = [call for call in answers if call.method == "answerCallbackQuery"]
    assert refusal.params["text"] == RU("This button is not for this chat.")
    assert status_of(served_sessions, visit) is AppointmentStatus.BOOKED

    staff.taps(f"pvc|{visit.id}")
    await api.until(lambda calls: any(call.method == "editMessageText" for call in calls))
    assert shown_text(question_of_edited(staff, question["message_id"])) == RU(
        "Visit code {code} at {provider}, {date} at {time}: the visitor came. Thank you."
    ).format(**wording(served_sessions, visit))
    assert status_of(served_sessions, visit) is AppointmentStatus.ATTENDED

    tap_on_old_copy(staff, question, f"pvm|{visit.id}")  # e.g. a second phone still showing the buttons
    await api.until(lambda calls: len([c for c in calls if c.method == "answerCallbackQuery"]) == 3)
    last = api.calls_to("answerCallbackQuery")[-1]
    assert last.params["text"] == RU("This visit is already recorded as attended.")
    assert status_of(served_sessions, visit) is AppointmentStatus.ATTENDED
    api.assert_no_errors()


async def test_a_cancelled_or_already_marked_visit_is_not_asked_about(
    api: BotApiStandIn, running_bot: Any, staff: ForumMember, served_sessions: sessionmaker[Session]
) -> None:
    cancelled_by, marked_by = visitor(served_sessions, 7503), visitor(served_sessions, 7504)
    cancelled, marked = book(served_sessions, cancelled_by, at(3, 9, 0)), book(served_sessions, marked_by, at(3, 9, 0))
    with transaction(served_sessions) as session:
        booking.cancel_appointment(session, pseudonym=cancelled_by.pseudonym, appointment_id=cancelled.id, now=NOW)
        booking.mark_attended(session, appointment_id=marked.id, now=at(3, 9, 10))  # e.g. from the command line
    report = await worker_of(running_bot).run_once(running_bot.bot, now=at(3, 9, 45))
    assert report.skipped == 2 + 2  # both questions; the marked visit's reminders (the cancelled one's are withdrawn)
    assert not [m for m in staff.bot_messages() if any(d.startswith("pv") for d in callback_data_of(m))]
    api.assert_no_errors()
