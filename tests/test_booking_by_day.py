"""Booking in words with a day ("ertaga psixologga yozilmoqchiman"): the action's Book buttons carry the day, and
tapping one opens that day's free times, or says kindly why the day has none and offers the next free days."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from bot.dialogue import booking_flow, booking_screens
from bot.dialogue import callbacks as cb
from bot.dialogue.flow import Dialogue, Sender
from bot.dialogue.replies import MAX_CALLBACK_BYTES, Reply
from bot.rasa.client import RasaClient
from nlu.actions import booking as booking_actions
from nlu.actions import runtime
from services.content.reader import read_directory
from services.directory.service import load_directory
from services.i18n.catalogs import Translator
from services.i18n.formatting import format_day
from services.storage.base import utcnow
from services.storage.database import transaction
from services.users import service as users

TRACKERS = Path(__file__).parent / "fixtures" / "trackers"
TASHKENT = ZoneInfo("Asia/Tashkent")
PROVIDER = "uz-tashkent-child-psychology-centre"  # Mon–Fri 09:00–18:00, Sat 10:00–14:00, closed on Sundays
TUESDAY_MORNING = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 09:00 in Tashkent


def _frozen_at(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    for module in (booking_actions, booking_flow):
        monkeypatch.setattr(module, "utcnow", lambda: now)


def _slot_days(reply: Reply) -> set[date]:
    starts = [
        booking_screens.parse_slot_data(b.data.split("|")[1]) for b in reply.all_buttons() if b.data[:4] == "bkt|"
    ]
    return {start.astimezone(TASHKENT).date() for start in starts if start is not None}


def _day_buttons(reply: Reply) -> list[str]:
    return [button.data for button in reply.all_buttons() if button.data.startswith("bkd|")]


@pytest.fixture
def installed(sessions: sessionmaker[Session]) -> Iterator[None]:
    with transaction(sessions) as session:
        load_directory(session, content=read_directory())
    runtime.install(runtime.ActionRuntime(sessions=sessions, default_locale="ru", retention_days=90))
    yield
    runtime.install(None)


async def test_ertaga_in_a_booking_request_leads_to_tomorrows_times(
    installed: None, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _frozen_at(monkeypatch, TUESDAY_MORNING)
    wednesday, uzbek = date(2026, 12, 2), Translator("uz")
    tracker = Tracker.from_dict(json.loads((TRACKERS / "book_psychologist_tomorrow_uz.json").read_text("utf-8")))
    dispatcher = CollectingDispatcher()
    assert await booking_actions.ActionStartBooking().run(dispatcher, tracker, {}) == []

    intro, *cards, _footer = dispatcher.messages
    assert intro["text"] == booking_screens.book_start_on_day(uzbek, wednesday).text
    books = [button["payload"] for card in cards for button in card["buttons"] if button["payload"].startswith("bk|")]
    assert len(books) == len(cards) > 0
    assert all(book.endswith("@20261202") and len(book.encode()) <= MAX_CALLBACK_BYTES for book in books)

    with transaction(sessions) as session:
        users.choose_locale(session, pseudonym=tracker.sender_id, locale="uz")
        users.give_consent(session, pseudonym=tracker.sender_id)
    (times,) = booking_flow.BookingFlow(sessions).start(uzbek, tracker.sender_id, cb.parse(books[0]).args[0])
    assert format_day(wednesday, "uz") in times.text
    assert _slot_days(times) == {wednesday}


async def test_a_booking_request_without_a_day_keeps_the_plain_book_buttons(
    installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _frozen_at(monkeypatch, TUESDAY_MORNING)
    fixture: dict[str, Any] = json.loads((TRACKERS / "book_psychologist_tomorrow_uz.json").read_text("utf-8"))
    fixture["latest_message"]["text"] = "psixologga yozilmoqchiman"
    dispatcher = CollectingDispatcher()
    await booking_actions.ActionStartBooking().run(dispatcher, Tracker.from_dict(fixture), {})
    assert dispatcher.messages[0]["text"] == booking_screens.book_start_here(Translator("uz")).text
    books = [b["payload"] for m in dispatcher.messages for b in m["buttons"] if b["payload"].startswith("bk|")]
    assert books and not any("@" in book for book in books)


def _consented(dialogue: Dialogue, locale: str) -> Sender:
    person = Sender(channel="console", external_id=str(uuid.uuid4()), language_code=locale)
    dialogue.start(person)
    dialogue.press(person, f"lang|{locale}")
    dialogue.press(person, "consent:yes")
    return person


def test_the_book_button_of_a_named_day_opens_its_times(dialogue: Dialogue, monkeypatch: pytest.MonkeyPatch) -> None:
    _frozen_at(monkeypatch, TUESDAY_MORNING)
    person, thursday = _consented(dialogue, "ru"), date(2026, 12, 3)
    (times,) = dialogue.press(person, booking_screens.book_data(PROVIDER, thursday))
    assert format_day(thursday, "ru") in times.text
    assert _slot_days(times) == {thursday}
    (note,) = dialogue.press(person, next(b.data for b in times.all_buttons() if b.data.startswith("bkt|")))
    assert "bkn" in [button.data for button in note.all_buttons()], "the booking goes on as usual"


@pytest.mark.parametrize(
    ("locale", "now", "day", "message"),
    [
        ("uz", TUESDAY_MORNING, date(2026, 12, 6), "The service is closed on {day}."),  # a Sunday
        ("kk", TUESDAY_MORNING, date(2026, 12, 8), "The service is closed on {day}."),  # Constitution Day
        ("en", TUESDAY_MORNING, date(2026, 11, 30), "The day you asked for ({day}) has already passed."),
        ("ky", TUESDAY_MORNING, date(2027, 3, 1), "The day you asked for ({day}) is too far ahead to book yet."),
        ("tg", datetime(2026, 12, 1, 13, 30, tzinfo=UTC), date(2026, 12, 1), "There are no free times left on {day}."),
    ],
)
def test_a_named_day_without_free_times_is_explained_and_the_next_days_offered(
    dialogue: Dialogue, monkeypatch: pytest.MonkeyPatch, locale: str, now: datetime, day: date, message: str
) -> None:
    _frozen_at(monkeypatch, now)
    person, _ = _consented(dialogue, locale), Translator(locale)
    (reply,) = dialogue.press(person, booking_screens.book_data(PROVIDER, day))
    assert reply.text.startswith(_(message).format(day=format_day(day, locale)) + "\n\n" + _("Booking a visit to:"))
    offered = _day_buttons(reply)
    today = f"{now.astimezone(TASHKENT):%Y%m%d}"
    assert offered and all(data.split("|")[1] >= today for data in offered)
    assert f"bkd|{day:%Y%m%d}" not in offered
    (times,) = dialogue.press(person, offered[0])
    assert _slot_days(times), "an offered day has free times"


def test_book_data_with_a_day_fits_telegram_for_the_longest_provider_id() -> None:
    longest = "a" * 48  # services/content/schema.py: provider ids are slugs of at most 48 characters
    data = booking_screens.book_data(longest, date(2026, 12, 31))
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert booking_screens.parse_book_arg(cb.parse(data).args[0]) == (longest, date(2026, 12, 31))
    assert booking_screens.parse_book_arg(PROVIDER) == (PROVIDER, None)
    assert booking_screens.parse_book_arg(f"{PROVIDER}@2026x") == (PROVIDER, None)


def test_an_unreadable_day_shows_the_day_picker(dialogue: Dialogue, monkeypatch: pytest.MonkeyPatch) -> None:
    _frozen_at(monkeypatch, TUESDAY_MORNING)
    person = _consented(dialogue, "uz")
    (days,) = dialogue.press(person, f"bk|{PROVIDER}@20261340")
    assert days.text.endswith(Translator("uz")("Choose a day:")) and _day_buttons(days)


@pytest.mark.rasa
def test_ertaga_through_rasa_gives_book_buttons_for_tomorrow(rasa_url: str) -> None:
    client = RasaClient(rasa_url, timeout=30.0)
    before = utcnow().astimezone(TASHKENT).date()
    try:
        messages = client.converse(
            sender=str(uuid.uuid4()),
            text="ertaga psixologga yozilmoqchiman",
            metadata={"locale": "uz", "country": "UZ"},
        )
    finally:
        client.close()
    tomorrows = {f"@{day + timedelta(days=1):%Y%m%d}" for day in (before, utcnow().astimezone(TASHKENT).date())}
    books = [button.payload for message in messages for button in message.buttons if button.payload.startswith("bk|")]
    assert books and all(book[-9:] in tomorrows for book in books), books
