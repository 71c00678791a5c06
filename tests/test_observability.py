"""Observability of the bot process: /metrics scraped after real conversations (the PTB application against the Bot
API stand-in, the dialogue, the desk), /readyz flipping with the database and Rasa, /healthz, JSON log lines."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from bot.dialogue.flow import Dialogue, Sender
from bot.health import HealthServer
from bot.json_logs import JsonFormatter
from bot.rasa.client import RasaClient
from services.i18n.catalogs import Translator
from tests.conftest import TEST_SECRET, free_port, serving_bot
from tests.telegram_standin import BotApiStandIn, ForumMember, TelegramUser
from tests.test_booking_dialogue import _book_until_note
from tests.test_counselor_desk import (  # the desk fixture and its helpers
    DESK_CHAT,
    DILNOZA,
    _case_on,
    _consented,
    _sees,
    _topic_of_new_case,
    desk_bot,  # noqa: F401
)
from tests.test_telegram_channel import _replies_to

CRISIS = "помогите он меня убьет"


async def _hello(_request: web.Request) -> web.Response:
    return web.Response(text="Hello from Rasa: 3.6.21")


class StandInRasa:
    """Rasa's root URL, up or down at the test's wish, in the test's event loop."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._runner: web.AppRunner | None = None

    async def up(self) -> None:
        """Answer like Rasa's root URL."""
        app = web.Application()
        app.router.add_get("/", _hello)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def down(self) -> None:
        """Stop answering."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@pytest.fixture
async def rasa() -> AsyncIterator[StandInRasa]:
    """A Rasa that is down until the test brings it up."""
    standin = StandInRasa()
    yield standin
    await standin.down()


def _engine_of(sessions: sessionmaker[Session]) -> Engine:
    engine: Engine = sessions.kw["bind"]
    return engine


@asynccontextmanager
async def _health(engine: Engine, sessions: sessionmaker[Session], rasa_url: str) -> AsyncIterator[HealthServer]:
    server = HealthServer(engine=engine, sessions=sessions, rasa_url=rasa_url, port=free_port())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def health(served_sessions: sessionmaker[Session], rasa: StandInRasa) -> AsyncIterator[HealthServer]:
    """The health server of a bot on the prepared database, its Rasa down."""
    async with _health(_engine_of(served_sessions), served_sessions, rasa.url) as server:
        yield server


async def _get(server: HealthServer, path: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"{server.url}{path}", timeout=10)


async def _scrape(server: HealthServer) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await _get(server, "/metrics")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): float(sample.value)
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def _person(locale: str = "en") -> Sender:
    return Sender(channel="console", external_id=str(uuid.uuid4()), language_code=locale)


def _consent(dialogue: Dialogue, person: Sender, locale: str = "en") -> None:
    dialogue.start(person)
    dialogue.press(person, f"lang|{locale}")
    dialogue.press(person, "consent:yes")


# --- metrics ------------------------------------------------------------------------------------------------------
async def test_a_conversation_through_telegram_moves_the_counters(
    api: BotApiStandIn,
    dialogue: Dialogue,
    served_database_url: str,
    served_sessions: sessionmaker[Session],
    health: HealthServer,
) -> None:
    before = await _scrape(health)
    async with serving_bot(api, dialogue, served_sessions, served_database_url):
        user = TelegramUser(api, user_id=6_669_001, language_code="en")
        user.says("/start")
        user.taps("lang|en")
        user.taps("consent:yes")
        user.says("/help")
        await _replies_to(api, user, 4)
    after = await _scrape(health)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert moved("yoldosh_turns_total", channel="telegram", kind="text") == 2
    assert moved("yoldosh_turns_total", channel="telegram", kind="button") == 2
    assert moved("yoldosh_turn_stage_seconds_count", stage="dialogue") == 4
    assert moved("yoldosh_turn_stage_seconds_count", stage="send") >= 4
    assert moved("yoldosh_turn_stage_seconds_count", stage="safety") == 2, "the safety net read both texts"
    assert ("yoldosh_outbox_backlog", frozenset()) in after, "counted at scrape time"


async def test_rasa_down_is_counted_and_the_user_still_gets_the_menu(
    served_sessions: sessionmaker[Session], rasa: StandInRasa, health: HealthServer
) -> None:
    nlu = RasaClient(rasa.url, timeout=2)
    talking = Dialogue(
        sessions=served_sessions, secret_key=TEST_SECRET, default_locale="ru", retention_days=180, nlu=nlu
    )
    person = _person()
    _consent(talking, person)
    before = await _scrape(health)
    (answer,) = talking.say(person, "I need a school for my son")
    nlu.close()
    after = await _scrape(health)
    assert answer.text == Translator("en")(
        "I cannot read free text right now, sorry. The menu below still works: you can find services with it."
    )
    assert _value(after, "yoldosh_rasa_errors_total") - _value(before, "yoldosh_rasa_errors_total") == 1
    rasa_stage = "yoldosh_turn_stage_seconds_count"
    assert _value(after, rasa_stage, stage="rasa") - _value(before, rasa_stage, stage="rasa") == 1


async def test_cases_opened_are_counted_by_priority_and_trigger(
    served_sessions: sessionmaker[Session], health: HealthServer
) -> None:
    desk = Dialogue(
        sessions=served_sessions,
        secret_key=TEST_SECRET,
        default_locale="ru",
        retention_days=180,
        counselors_connected=True,
    )
    before = await _scrape(health)
    desk.say(_person("ru"), CRISIS)  # before any choice: the safety net opens an urgent case
    asking = _person()
    _consent(desk, asking)
    desk.press(asking, "counselor")
    desk.press(asking, "counselor")  # asked again: the same case, not a new one
    after = await _scrape(health)

    def opened(priority: str, trigger: str) -> float:
        name, labels = "yoldosh_escalations_total", {"priority": priority, "trigger": trigger}
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert opened("urgent", "safety_net") == 1
    assert opened("normal", "request") == 1
    backlog = _value(after, "yoldosh_outbox_backlog") - _value(before, "yoldosh_outbox_backlog")
    assert backlog >= 2, "each new case waits in the outbox for the desk (no desk worker runs here)"


async def test_a_booking_is_counted_once_even_when_confirm_is_tapped_twice(
    dialogue: Dialogue, health: HealthServer
) -> None:
    person = _person("uz")
    _consent(dialogue, person, "uz")
    _book_until_note(dialogue, person)
    dialogue.press(person, "bkn")
    before = await _scrape(health)
    (done,) = dialogue.press(person, "bky")
    dialogue.press(person, "bky")
    after = await _scrape(health)
    assert done.text.startswith(Translator("uz")("Done, you are booked:"))
    assert _value(after, "yoldosh_bookings_total") - _value(before, "yoldosh_bookings_total") == 1


@pytest.mark.usefixtures("desk_bot")
async def test_time_to_claim_is_observed_when_a_counselor_claims(
    api: BotApiStandIn, served_sessions: sessionmaker[Session], health: HealthServer
) -> None:
    user = TelegramUser(api, user_id=70_000_901, language_code="ru")
    dilnoza = ForumMember(api, DESK_CHAT, DILNOZA, "Dilnoza")
    await _consented(api, user, "ru")
    topics_before = len(api._topics.get(DESK_CHAT, {}))
    user.says(CRISIS)
    topic, _title = await _topic_of_new_case(api, topics_before)
    case = await _case_on(served_sessions, topic, user)
    before = await _scrape(health)
    dilnoza.taps(f"dkc|{case.id}")
    await _sees(api, dilnoza, "Claimed by Dilnoza", topic)
    after = await _scrape(health)
    count = "yoldosh_case_claim_seconds_count"
    assert _value(after, count, priority="urgent") - _value(before, count, priority="urgent") == 1


# --- health and readiness -----------------------------------------------------------------------------------------
async def test_healthz_answers_while_the_process_lives(health: HealthServer) -> None:
    response = await _get(health, "/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "alive"})


async def test_readyz_follows_rasa(health: HealthServer, rasa: StandInRasa) -> None:
    down = await _get(health, "/readyz")
    assert down.status_code == 503
    assert down.json() == {"status": "not ready", "checks": {"database": True, "rasa": False}}
    await rasa.up()
    up = await _get(health, "/readyz")
    assert (up.status_code, up.json()["checks"]) == (200, {"database": True, "rasa": True})
    await rasa.down()
    assert (await _get(health, "/readyz")).status_code == 503


@pytest.mark.parametrize(
    "wrong_url",
    ["sqlite:////nonexistent-directory/yoldosh.db", f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"],
)
async def test_readyz_says_not_ready_when_the_database_url_is_wrong(
    wrong_url: str, served_sessions: sessionmaker[Session], rasa: StandInRasa
) -> None:
    await rasa.up()
    wrong = create_engine(wrong_url)
    async with _health(wrong, sessionmaker(bind=wrong), rasa.url) as server:
        ready = await _get(server, "/readyz")
        metrics = await _get(server, "/metrics")
    wrong.dispose()
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": False, "rasa": True}
    assert metrics.status_code == 200 and "yoldosh_outbox_backlog " not in metrics.text, "nothing made up"
    async with _health(_engine_of(served_sessions), served_sessions, rasa.url) as server:
        assert (await _get(server, "/readyz")).status_code == 200


# --- JSON logs ----------------------------------------------------------------------------------------------------
@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing through the JSON formatter into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("yoldosh.test.json")
    logger.addHandler(handler)
    logger.propagate, logger.level = False, logging.INFO
    yield logger, stream
    logger.removeHandler(handler)


def test_json_log_lines_parse_and_keep_exception_messages_out(json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    logger.info("%d updates left unfinished", 3)
    words = "Meni xonaga " + "qamab qo'yishdi"  # what an exception message might quote
    try:
        raise ValueError(words)
    except ValueError:
        logger.exception("update handling failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["event"] == "3 updates left unfinished" and first["level"] == "INFO"
    assert first["logger"] == "yoldosh.test.json" and first["time"].endswith("+00:00")
    assert second["error"] == "ValueError" and "test_observability.py" in second["stack"]
    assert "xonaga" not in stream.getvalue(), "never the exception's message"
