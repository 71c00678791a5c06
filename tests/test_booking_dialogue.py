"""Booking as a conversation (dialogue engine on the prepared database): provider → day → time → note → confirm,
my appointments, cancel; a double tap, a restart in the middle, a stale button and an overlong note."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session, sessionmaker

from bot.dialogue.flow import Dialogue, Sender
from bot.dialogue.replies import Reply
from services.i18n.catalogs import Translator
from tests.conftest import TEST_SECRET


def _person(locale: str = "ru") -> Sender:
    return Sender(channel="console", external_id=str(uuid.uuid4()), language_code=locale)


def _consented(dialogue: Dialogue, person: Sender, locale: str) -> None:
    dialogue.start(person)
    dialogue.press(person, f"lang|{locale}")
    dialogue.press(person, "consent:yes")


def _data(replies: list[Reply], prefix: str) -> str:
    for reply in reversed(replies):
        for button in reply.all_buttons():
            if button.data.startswith(prefix):
                return button.data
    raise AssertionError(f"no {prefix!r} button in {[r.text[:40] for r in replies]}")


def _book_until_note(dialogue: Dialogue, person: Sender) -> list[Reply]:
    cards = dialogue.press(person, "country|psychosocial|UZ")
    days = dialogue.press(person, _data(cards, "bk|"))
    times = dialogue.press(person, _data(days, "bkd|"))
    return dialogue.press(person, _data(times, "bkt|"))


def test_book_a_visit_with_a_note_then_cancel_it(dialogue: Dialogue) -> None:
    person, uzbek = _person("uz"), Translator("uz")
    _consented(dialogue, person, "uz")
    (start,) = dialogue.say(person, "/book")
    assert start.text == uzbek("To book a visit, choose the kind of help, then tap “Book” under a service.")
    (note_prompt,) = _book_until_note(dialogue, person)
    assert "bkn" in [button.data for button in note_prompt.all_buttons()]

    (check,) = dialogue.say(person, "ayol psixolog bo‘lsa yaxshi")
    assert check.text.startswith(uzbek("Please check your booking:"))
    assert "ayol psixolog bo‘lsa yaxshi" in check.text
    (done,) = dialogue.press(person, "bky")
    assert done.text.startswith(uzbek("Done, you are booked:"))
    (again,) = dialogue.press(person, "bky")
    assert again.text == done.text, "a double-tapped Confirm shows the same booking"

    listing = dialogue.say(person, "/appointments")
    assert len(listing) == 2, "a heading and exactly one appointment"
    (ask,) = dialogue.press(person, _data(listing, "apc|"))
    assert ask.text.startswith(uzbek("Cancel your visit to {provider} on {when}?").split("{")[0])
    (cancelled,) = dialogue.press(person, _data([ask], "apcy|"))
    assert cancelled.text == uzbek("Your visit is cancelled, and the time is free for someone else.")
    (empty,) = dialogue.say(person, "/appointments")
    assert empty.text == uzbek("You have no upcoming appointments.")


def test_a_restart_in_the_middle_of_a_booking_loses_nothing(
    dialogue: Dialogue, served_sessions: sessionmaker[Session]
) -> None:
    person = _person("kk")
    _consented(dialogue, person, "kk")
    _book_until_note(dialogue, person)
    restarted = Dialogue(sessions=served_sessions, secret_key=TEST_SECRET, default_locale="ru", retention_days=180)
    (check,) = restarted.press(person, "bkn")
    assert check.text.startswith(Translator("kk")("Please check your booking:"))
    (done,) = restarted.press(person, "bky")
    assert done.text.startswith(Translator("kk")("Done, you are booked:"))


def test_an_overlong_note_is_refused_kindly_and_the_booking_waits(dialogue: Dialogue) -> None:
    person = _person("en")
    _consented(dialogue, person, "en")
    _book_until_note(dialogue, person)
    (too_long,) = dialogue.say(person, "please " * 200)
    assert too_long.text == "That note is a little long. Please keep it under 500 characters, or skip it."
    (check,) = dialogue.say(person, "short note")
    assert check.text.startswith("Please check your booking:") and "short note" in check.text


def test_buttons_of_an_abandoned_booking_are_answered_kindly(dialogue: Dialogue) -> None:
    person = _person("tg")
    _consented(dialogue, person, "tg")
    _book_until_note(dialogue, person)
    (abandoned,) = dialogue.press(person, "bkx")
    assert abandoned.text == Translator("tg")("All right, nothing was booked.")
    (gone,) = dialogue.press(person, "bky")
    assert gone.text == Translator("tg")("This booking is no longer in progress. You can start again with /book.")


def test_booking_needs_consent(dialogue: Dialogue) -> None:
    person = _person("ky")
    dialogue.start(person)
    dialogue.press(person, "lang|ky")
    dialogue.press(person, "consent:no")
    cards = dialogue.press(person, "country|medical|KG")
    (needs,) = dialogue.press(person, _data(cards, "bk|"))
    assert needs.text == Translator("ky")(
        "To read your messages I need your agreement first. You can also look up services without it."
    )
