"""Hostile input through the whole pipeline: the Big List of Naughty Strings (a vendored subset, see the fixture's
header) and Telegram's own edges (4096/4097 UTF-16 units, right-to-left, zero-width and control characters,
gigantic captions and file names) go through the safety net, the dialogue and the rendering to the Bot API
stand-in as texts, booking notes, captions, file names and button data: zero crashes, zero refusals."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.dialogue.flow import Dialogue, Sender
from bot.dialogue.media_screens import MediaKind
from bot.dialogue.replies import Reply
from bot.dialogue.screens import apology
from bot.rasa.client import RasaClient
from bot.telegram.flood import FLOOD_BURST
from bot.telegram.rendering import telegram_messages
from services.i18n.catalogs import Translator
from services.safety.loader import load_lexicon
from tests.conftest import TEST_SECRET, serving_bot
from tests.telegram_standin import MAX_CALLBACK_DATA, MAX_TEXT, ApiCall, BotApiStandIn, TelegramUser, parse_html
from tests.telegram_standin import utf16_length as telegram_length

BLNS = Path(__file__).parent / "fixtures" / "naughty" / "blns.txt"


def naughty_strings() -> list[str]:
    """The vendored list as upstream reads it: comments and blank lines skipped, nothing stripped."""
    lines = BLNS.read_text(encoding="utf-8").split("\n")  # not splitlines(): U+2028, U+0085, VT, FF are content
    return [line for line in lines if line and not line.startswith("#")]


# What a line of the list cannot hold, and Telegram's edges.
EDGES = [
    "\x00",
    "a\x00b",
    "\r\n",
    "\r",
    "line\r\nbreak\rhere",
    "\n" * 60 + "x",
    "a" * 4096,
    "a" * 4097,
    "😀" * 2048,
    "😀" * 2049,
    "я" * 4097,
    ("word " * 1000)[:4097],
    "\u202e" + "ادخل " * 900,
    "\u200b" * 4097,
    "e" + "\u0301" * 4096,
    "👨‍👩‍👧‍👦" * 600,
    "x" * 20_000,
]
NAUGHTY = naughty_strings() + EDGES


@pytest.fixture(scope="module", autouse=True)
def _safety_net_compiled() -> None:
    """As `yoldosh run` does before serving."""
    load_lexicon().compile_all()


def test_the_vendored_list_says_where_it_comes_from_and_covers_upstream_sections() -> None:
    header = BLNS.read_text(encoding="utf-8")[:600]
    assert "github.com/minimaxir/big-list-of-naughty-strings" in header and "MIT" in header
    strings = naughty_strings()
    assert len(strings) >= 300
    for sample in ("undefined", "1E+02", "<script>alert(123)</script>", "' OR '1'='1", "﷽", "Ⱥ", "%s%s%s%s%s"):
        assert sample in strings
    assert any("\u202e" in string for string in strings) and any("\x7f" in string for string in strings)


# --- dialogue and rendering, every string in every role ----------------------------------------------------
def _telegram_would_accept(reply: Reply) -> None:
    """The checks the stand-in (and Telegram) apply to a sendMessage, without the HTTP round trip."""
    for html, markup in telegram_messages(reply) if reply.text else []:
        text, _entities = parse_html(html)
        assert text.strip(), "an empty message"
        assert telegram_length(text.strip()) <= MAX_TEXT
        for row in markup.inline_keyboard if markup else ():
            for button in row:
                assert button.text.strip() and len((button.callback_data or "").encode()) <= MAX_CALLBACK_DATA


def _data(replies: list[Reply], prefix: str) -> str:
    return next(b.data for reply in reversed(replies) for b in reply.all_buttons() if b.data.startswith(prefix))


def test_every_naughty_string_as_text_note_caption_and_button_renders_as_telegram_accepts(dialogue: Dialogue) -> None:
    english = Translator("en")
    person, booker = (Sender(channel="console", external_id=str(uuid.uuid4()), language_code="en") for _ in "ab")
    for someone in (person, booker):
        dialogue.start(someone)
        dialogue.press(someone, "lang|en")
        dialogue.press(someone, "consent:yes")
    cards = dialogue.press(booker, "country|psychosocial|UZ")
    days = dialogue.press(booker, _data(cards, "bk|"))
    times = dialogue.press(booker, _data(days, "bkd|"))
    time_button = _data(times, "bkt|")
    failures = {"apologies": 0}
    for string in NAUGHTY:
        dialogue.press(booker, time_button)  # the next text is the booking's note
        answers = [
            *dialogue.say(person, string),
            *dialogue.say(booker, string),
            *dialogue.media(person, MediaKind.DOCUMENT, string),
            *dialogue.press(person, string.encode()[:MAX_CALLBACK_DATA].decode(errors="ignore")),
        ]
        for reply in answers:
            _telegram_would_accept(reply)
            failures["apologies"] += reply.text == apology(english).text
    assert failures == {"apologies": 0}


# --- the real PTB application and the stand-in ---------------------------------------------------------------
@pytest.fixture
async def bot(
    api: BotApiStandIn, dialogue: Dialogue, served_database_url: str, served_sessions: sessionmaker[Session]
) -> AsyncIterator[Any]:
    """The application as `yoldosh run` serves it, allowed Telegram's paid broadcast rate so the test is quick."""
    async with serving_bot(
        api, dialogue, served_sessions, served_database_url, telegram_messages_per_second=1000
    ) as application:
        yield application


def _sent_to(calls: list[ApiCall], chat_id: int) -> list[str]:
    return [
        c.params.get("text", "") for c in calls if c.method == "sendMessage" and int(c.params["chat_id"]) == chat_id
    ]


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


WAVE = 24  # people writing at once: enough to overlap, few enough not to queue long on SQLite's one writer


async def _people(api: BotApiStandIn, count: int, first_id: int, *, consent: bool, language: str = "en") -> list[Any]:
    people = [TelegramUser(api, user_id=first_id + n, language_code=language) for n in range(count)]
    if consent:
        for person in people:
            person.says("/start")
            person.taps(f"lang|{language}")
            person.taps("consent:yes")
        await api.until(lambda calls: all(len(_sent_to(calls, p.user_id)) >= 3 for p in people), timeout=60)
    return people


def _act(person: TelegramUser, role: str, string: str) -> None:
    if role == "text":
        person.says(string)
    elif role == "document":
        person.sends_document(string or "file", caption=string)
    else:
        person.taps(string.encode()[:MAX_CALLBACK_DATA].decode(errors="ignore") or "?")


async def _through_telegram(
    api: BotApiStandIn, roles: list[tuple[str, str]], *, first_id: int, consent: bool, language: str = "en"
) -> None:
    """Each person sends a handful at once (inside the flood allowance); a wave of people at a time; every update
    must be answered."""
    per_person = FLOOD_BURST - (4 if consent else 1)
    work = list(_chunks(roles, per_person))
    for wave in _chunks(work, WAVE):
        people = await _people(api, len(wave), first_id, consent=consent, language=language)
        first_id += len(wave)
        before = {person.user_id: len(_sent_to(api.calls, person.user_id)) for person in people}
        for person, chunk in zip(people, wave, strict=True):
            for role, string in chunk:
                _act(person, role, string)
        expected = {p.user_id: before[p.user_id] + len(chunk) for p, chunk in zip(people, wave, strict=True)}
        await api.until(lambda calls, expected=expected: _answered(calls, expected), timeout=120)


def _answered(calls: list[ApiCall], expected: dict[int, int]) -> bool:
    return all(len(_sent_to(calls, chat)) >= count for chat, count in expected.items())


def _no_failures(api: BotApiStandIn, caplog: pytest.LogCaptureFixture, locale: str) -> None:
    api.assert_no_errors()
    sorry = apology(Translator(locale)).text
    assert not [call for call in api.calls if call.params.get("text") == sorry], "an update failed"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]


SAMPLE = naughty_strings()[::8] + EDGES


async def test_every_naughty_string_through_the_real_application_at_first_contact(
    api: BotApiStandIn, bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    await _through_telegram(api, [("text", string) for string in NAUGHTY], first_id=6668000, consent=False)
    await asyncio.sleep(0.3)
    _no_failures(api, caplog, "en")


async def test_naughty_texts_captions_file_names_and_buttons_after_consent(
    api: BotApiStandIn, bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    roles = [(role, string) for string in SAMPLE for role in ("text", "document", "button")]
    await _through_telegram(api, roles, first_id=6668500, consent=True)
    await asyncio.sleep(0.3)
    _no_failures(api, caplog, "en")


async def test_naughty_booking_notes_are_shown_back_as_telegram_accepts(
    api: BotApiStandIn, bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sample = [string for string in NAUGHTY if any(mark in string for mark in "<>&\u202e\u200b\x1b{%")][:24]
    sample += EDGES[:6]
    people = await _people(api, len(sample), first_id=6669000, consent=True)

    async def book_with_note(person: TelegramUser, note: str) -> None:
        steps = (("country|psychosocial|UZ", "bk|"), ("bk|", "bkd|"), ("bkd|", "bkt|"), ("bkt|", "bkn"))
        for tap, offered_next in steps:
            person.taps(_latest(api, person, tap) if tap.endswith("|") else tap)
            await api.until(lambda calls, wanted=offered_next: _offers(api, person, wanted), timeout=30)
        seen = len(_sent_to(api.calls, person.user_id))
        person.says(note)
        await api.until(lambda calls: len(_sent_to(calls, person.user_id)) > seen, timeout=30)

    await asyncio.gather(*(book_with_note(person, note) for person, note in zip(people, sample, strict=True)))
    _no_failures(api, caplog, "en")
    english = Translator("en")
    shown = [_sent_to(api.calls, person.user_id)[-1] for person in people]
    assert sum(text.startswith(english("Please check your booking:")) for text in shown) >= len(sample) // 2


def _latest(api: BotApiStandIn, person: TelegramUser, prefix: str) -> str:
    """The data of the newest button starting with `prefix` in the person's chat."""
    for message in reversed(api.messages_in(person.user_id)):
        for row in (message.get("reply_markup") or {"inline_keyboard": []})["inline_keyboard"]:
            for button in row:
                if str(button.get("callback_data", "")).startswith(prefix):
                    return str(button["callback_data"])
    raise AssertionError(f"no {prefix} button")


def _offers(api: BotApiStandIn, person: TelegramUser, prefix: str) -> bool:
    try:
        return bool(_latest(api, person, prefix))
    except AssertionError:
        return False


# --- with the real Rasa server -------------------------------------------------------------------------------
@pytest.fixture
async def bot_with_rasa(
    api: BotApiStandIn, rasa_url: str, served_database_url: str, served_sessions: sessionmaker[Session]
) -> AsyncIterator[Any]:
    client = RasaClient(rasa_url, timeout=30.0)
    talking = Dialogue(
        sessions=served_sessions, secret_key=TEST_SECRET, default_locale="ru", retention_days=180, nlu=client
    )
    async with serving_bot(
        api, talking, served_sessions, served_database_url, telegram_messages_per_second=1000
    ) as application:
        yield application
    client.close()


@pytest.mark.rasa
async def test_a_sample_of_naughty_strings_through_rasa(
    api: BotApiStandIn, bot_with_rasa: Any, caplog: pytest.LogCaptureFixture
) -> None:
    await _through_telegram(api, [("text", string) for string in SAMPLE], first_id=6669500, consent=True, language="ru")
    _no_failures(api, caplog, "ru")
