"""Reminders and provider notices end to end: bookings made through the services, the outbox worker of the real PTB
application delivering to the Bot API stand-in with its clock moved forward; once each, across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.preparation import prepare_database
from bot.telegram.outbox_worker import INTERVAL_SECONDS, JOB_NAME, WORKER_KEY, OutboxWorker
from services.booking import service as booking
from services.booking.types import AppointmentView
from services.directory.service import get_provider_card
from services.i18n.catalogs import Translator
from services.outbox.models import OutboxMessage, OutboxStatus
from services.storage.database import create_database_engine, session_factory, transaction
from services.trail.service import take_recent_messages
from services.users import service as users
from services.users.types import UserView
from tests.booking_factories import NOW, load_providers, provider_entry
from tests.conftest import TEST_SECRET, key_ring_for, serving_bot
from tests.factories import make_user
from tests.telegram_standin import ApiCall, BotApiStandIn, shown_text

CLINIC = "uz-reminder-clinic"
PROVIDER_CHAT = -1001234567890
BEFORE_EVERYTHING = NOW - timedelta(days=1)
FORBIDDEN = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}


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
def clinic(api: BotApiStandIn, served_sessions: sessionmaker[Session]) -> str:
    """A clinic open weekday mornings whose staff chat receives booking notices."""
    with transaction(served_sessions) as session:
        load_providers(session, provider_entry(CLINIC, telegram_chat_id=PROVIDER_CHAT))
    api.add_supergroup(PROVIDER_CHAT, title="Clinic staff", is_forum=False)
    return CLINIC


def person(api: BotApiStandIn, sessions: sessionmaker[Session], telegram_id: int, locale: str) -> UserView:
    """A consenting user whose private chat (same id as the account) the stand-in knows."""
    with transaction(sessions) as session:
        user = make_user(session, telegram_id=telegram_id, locale=locale, chat_id=telegram_id)
    api.known_chat(telegram_id)
    return user


def book(
    sessions: sessionmaker[Session], user: UserView, starts_at: datetime, note: str | None = None
) -> AppointmentView:
    """Book at the clinic through the booking service, as of NOW."""
    with transaction(sessions) as session:
        return booking.book_slot(
            session,
            pseudonym=user.pseudonym,
            provider_id=CLINIC,
            starts_at=starts_at,
            note=note,
            idempotency_key=f"{user.id}:{starts_at.isoformat()}",
            now=NOW,
        )


def worker_of(application: Any) -> OutboxWorker:
    """The application's outbox worker, its clock held before every test's data so only the test decides when."""
    worker: OutboxWorker = application.bot_data[WORKER_KEY]
    worker.clock = lambda: BEFORE_EVERYTHING
    return worker


def sent_to(api: BotApiStandIn, chat_id: int) -> list[ApiCall]:
    """Every sendMessage to a chat, refused ones included."""
    return [call for call in api.calls_to("sendMessage") if int(call.params["chat_id"]) == chat_id]


def texts_in(api: BotApiStandIn, chat_id: int) -> list[str]:
    """The chat's messages as its reader sees them."""
    return [shown_text(message) or "" for message in api.messages_in(chat_id)]


def entries(sessions: sessionmaker[Session]) -> dict[str, tuple[OutboxStatus, int, str | None]]:
    """Each outbox entry's status, attempts and last error, by dedupe key."""
    with sessions() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        return {row.dedupe_key: (row.status, row.attempts, row.last_error) for row in rows}


def card_name(sessions: sessionmaker[Session], locale: str) -> tuple[str, str]:
    """The clinic's name and address line in `locale`."""
    with sessions() as session:
        card = get_provider_card(session, provider_id=CLINIC, locale=locale)
    return card.name, f"{card.address}, test"


async def test_a_reminder_goes_out_once_in_the_users_language_and_not_again_after_a_restart(
    api: BotApiStandIn, dialogue: Any, clinic: str, served_sessions: sessionmaker[Session], served_database_url: str
) -> None:
    user = person(api, served_sessions, 7101, "uz")
    starts_at = at(2, 10, 30)  # Wednesday 10:30 in Tashkent, 05:30 UTC
    appointment = book(served_sessions, user, starts_at)
    day_before = starts_at - timedelta(hours=24) + timedelta(minutes=1)
    uz = Translator("uz")
    name, address = card_name(served_sessions, "uz")

    async with serving_bot(api, dialogue, served_sessions, served_database_url) as application:
        worker = worker_of(application)
        report = await worker.run_once(application.bot, now=day_before)
        assert (report.sent, report.skipped, report.failed, report.retrying) == (2, 0, 0, 0)  # + the provider notice
        assert texts_in(api, 7101) == [
            "\n".join(
                [
                    uz("Reminder: your appointment at {provider} is tomorrow, {date} at {time}.").format(
                        provider=name, date="chorshanba, 2-dekabr, 2026", time="10:30"
                    ),
                    uz("Address: {address}").format(address=address),
                    "",
                    uz("If you cannot come, you can cancel here: /appointments"),
                ]
            )
        ]
        assert (await worker.run_once(application.bot, now=day_before + timedelta(minutes=5))).claimed == 0
        first_worker = worker.worker_id

    async with serving_bot(api, dialogue, served_sessions, served_database_url) as restarted:
        worker = worker_of(restarted)
        assert worker.worker_id != first_worker
        assert (await worker.run_once(restarted.bot, now=day_before + timedelta(minutes=10))).claimed == 0
        assert len(sent_to(api, 7101)) == 1, "the restart sent nothing again"
        report = await worker.run_once(restarted.bot, now=starts_at - timedelta(hours=2))
        assert report.sent == 1
        assert (await worker.run_once(restarted.bot, now=starts_at - timedelta(minutes=30))).claimed == 0

    _tomorrow, two_hours = texts_in(api, 7101)
    assert two_hours.startswith(
        uz("Reminder: your appointment at {provider} is in about two hours, today at {time}.").format(
            provider=name, time="10:30"
        )
    )
    assert entries(served_sessions)[f"reminder:{appointment.id}:24h"] == (OutboxStatus.SENT, 1, None)
    assert entries(served_sessions)[f"reminder:{appointment.id}:2h"] == (OutboxStatus.SENT, 1, None)
    # Reminders join the quick-exit trail, so /exit erases them with the rest of the conversation.
    delivered = [int(message["message_id"]) for message in api.messages_in(7101)]
    with transaction(served_sessions) as session:
        assert take_recent_messages(session, pseudonym=user.pseudonym, now=starts_at) == delivered
    api.assert_no_errors()


async def test_a_cancelled_appointment_gets_no_reminder_and_the_provider_hears_of_it_in_order(
    api: BotApiStandIn, running_bot: Any, clinic: str, served_sessions: sessionmaker[Session]
) -> None:
    user = person(api, served_sessions, 7102, "ru")
    starts_at = at(3, 9, 0)
    appointment = book(served_sessions, user, starts_at)
    with transaction(served_sessions) as session:
        booking.cancel_appointment(
            session, pseudonym=user.pseudonym, appointment_id=appointment.id, now=NOW + timedelta(hours=1)
        )
    worker = worker_of(running_bot)
    report = await worker.run_once(running_bot.bot, now=starts_at - timedelta(minutes=90))  # both reminders due
    assert sent_to(api, 7102) == []
    assert report.sent == 2
    booked, cancelled = texts_in(api, PROVIDER_CHAT)
    ru = Translator("ru")
    name, _address = card_name(served_sessions, "ru")
    day = "четверг, 3 декабря 2026\u202fг."
    when = {"provider": name, "date": day, "time": "09:00", "code": appointment.visit_code}
    assert booked == ru("New booking at {provider}: {date} at {time}, visit code {code}.").format(**when)
    assert cancelled == ru(
        "Booking cancelled at {provider}: {date} at {time}, visit code {code}. The time is free again."
    ).format(**when)
    status = entries(served_sessions)
    assert status[f"reminder:{appointment.id}:24h"][0] is status[f"reminder:{appointment.id}:2h"][0]
    assert status[f"reminder:{appointment.id}:2h"][0] is OutboxStatus.CANCELLED
    api.assert_no_errors()


async def test_reminders_claimed_after_the_appointment_began_are_skipped_not_sent(
    api: BotApiStandIn, running_bot: Any, clinic: str, served_sessions: sessionmaker[Session]
) -> None:
    user = person(api, served_sessions, 7103, "kk")
    appointment = book(served_sessions, user, at(2, 11, 0))
    worker = worker_of(running_bot)
    report = await worker.run_once(running_bot.bot, now=at(2, 11, 5))  # the bot was down for a day
    assert (report.sent, report.skipped) == (1, 2)  # the provider notice; both reminders skipped
    assert sent_to(api, 7103) == []
    status = entries(served_sessions)
    for lead in ("24h", "2h"):
        assert status[f"reminder:{appointment.id}:{lead}"] == (OutboxStatus.SKIPPED, 1, "appointment already started")


async def test_a_user_who_blocked_the_bot_does_not_stop_the_job_and_is_not_retried(
    api: BotApiStandIn, running_bot: Any, clinic: str, served_sessions: sessionmaker[Session]
) -> None:
    blocked = person(api, served_sessions, 7104, "ky")
    other = person(api, served_sessions, 7105, "tg")
    first = book(served_sessions, blocked, at(3, 9, 0))
    book(served_sessions, other, at(3, 9, 30))
    worker = worker_of(running_bot)
    await worker.run_once(running_bot.bot, now=NOW)  # the provider notices
    api.fail_next("sendMessage", 403, FORBIDDEN)
    # The scheduled job itself runs, as the JobQueue would every INTERVAL_SECONDS, when the blocked user's is due.
    (job,) = running_bot.job_queue.get_jobs_by_name(JOB_NAME)
    assert job.job.trigger.interval == timedelta(seconds=INTERVAL_SECONDS)
    worker.clock = lambda: at(2, 9, 1)
    await job.run(running_bot)
    assert len(sent_to(api, 7104)) == 1 and api.messages_in(7104) == []
    refused = (OutboxStatus.FAILED, 1, "Forbidden: bot was blocked by the user")
    assert entries(served_sessions)[f"reminder:{first.id}:24h"] == refused
    # Later runs deliver the others and never come back to the refused reminder.
    await worker.run_once(running_bot.bot, now=at(2, 9, 31))
    await worker.run_once(running_bot.bot, now=at(2, 23, 0))
    assert len(sent_to(api, 7104)) == 1
    assert len(texts_in(api, 7105)) == 1
    assert entries(served_sessions)[f"reminder:{first.id}:24h"][:2] == (OutboxStatus.FAILED, 1)


async def test_no_chat_to_deliver_to_fails_at_once(
    api: BotApiStandIn, running_bot: Any, clinic: str, served_sessions: sessionmaker[Session]
) -> None:
    user = person(api, served_sessions, 7106, "en")
    appointment = book(served_sessions, user, at(2, 10, 0))
    with transaction(served_sessions) as session:
        users.decline_consent(session, pseudonym=user.pseudonym)  # the chat id is forgotten with the consent
    worker = worker_of(running_bot)
    report = await worker.run_once(running_bot.bot, now=at(1, 10, 1))
    assert (report.sent, report.failed) == (1, 1)
    assert sent_to(api, 7106) == []
    refused = (OutboxStatus.FAILED, 1, "no chat to deliver to")
    assert entries(served_sessions)[f"reminder:{appointment.id}:24h"] == refused


async def test_the_provider_chat_gets_the_booking_with_the_visit_code_and_no_identity(
    api: BotApiStandIn, running_bot: Any, clinic: str, served_sessions: sessionmaker[Session]
) -> None:
    user = person(api, served_sessions, 7107, "tg")
    note = "Мне нужен переводчик <таджикский> & русский"
    appointment = book(served_sessions, user, at(4, 11, 30), note=note)
    worker = worker_of(running_bot)
    worker.clock = lambda: NOW + timedelta(minutes=1)
    (job,) = running_bot.job_queue.get_jobs_by_name(JOB_NAME)
    await job.run(running_bot)
    (notice,) = texts_in(api, PROVIDER_CHAT)
    ru = Translator("ru")  # the bot's default locale
    name, _address = card_name(served_sessions, "ru")
    assert notice == "\n".join(
        [
            ru("New booking at {provider}: {date} at {time}, visit code {code}.").format(
                provider=name, date="пятница, 4 декабря 2026\u202fг.", time="11:30", code=appointment.visit_code
            ),
            ru("Note from the visitor: {note}").format(note=note),
        ]
    )
    for identity in ("7107", user.pseudonym, user.pseudonym[:12]):
        assert identity not in notice
    assert sent_to(api, 7107) == [], "the user's reminders are not due yet"
    api.assert_no_errors()


async def test_counselor_follow_ups_are_left_for_the_escalation_desk(
    api: BotApiStandIn, running_bot: Any, clinic: str, served_sessions: sessionmaker[Session]
) -> None:
    user = person(api, served_sessions, 7108, "uz_Cyrl")
    with transaction(served_sessions) as session:
        users.set_follow_up_consent(session, pseudonym=user.pseudonym, agreed=True)
    appointment = book(served_sessions, user, at(3, 9, 0))
    with transaction(served_sessions) as session:
        booking.mark_missed(session, appointment_id=appointment.id, now=at(3, 9, 45))
    worker = worker_of(running_bot)
    report = await worker.run_once(running_bot.bot, now=at(3, 10, 0))
    # the provider notice; the missed visit's reminders and attendance question (already answered)
    assert (report.sent, report.skipped) == (1, 3)
    assert sent_to(api, 7108) == []
    status = entries(served_sessions)
    assert status[f"follow_up:{appointment.id}"] == (OutboxStatus.PENDING, 0, None)
    assert status[f"reminder:{appointment.id}:24h"] == (OutboxStatus.SKIPPED, 1, "appointment missed")
