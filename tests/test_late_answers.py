"""Rasa unreachable, then back: the person gets the menu at once and is told the message is kept; once Rasa
answers again, the kept message gets its proper answer, marked as late, exactly once. The service part (claims,
expiry, erasure) runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.dialogue import screens
from bot.dialogue.flow import Dialogue
from bot.rasa.client import RasaClient
from services.deferred import service as deferred
from services.deferred.models import DeferredQuestion
from services.i18n.catalogs import Translator
from services.storage.base import utcnow
from services.users.service import delete_user_data
from tests.conftest import TEST_SECRET, free_port, serving_bot
from tests.factories import make_user
from tests.telegram_standin import BotApiStandIn
from tests.telegram_standin.user import TelegramUser


def test_a_kept_question_is_claimed_by_one_worker_and_given_back_while_rasa_is_away(session: Session) -> None:
    user = make_user(session, telegram_id=5_550_001, chat_id=5_550_001)
    assert deferred.defer_question(session, pseudonym=user.pseudonym, text="first")
    assert deferred.defer_question(session, pseudonym=user.pseudonym, text="second")
    assert not deferred.defer_question(session, pseudonym="nobody", text="lost"), "an unknown person keeps nothing"

    taken = deferred.claim_waiting(session, worker="a", limit=10)
    assert [question.text for question in taken] == ["first", "second"], "in the order asked"
    assert taken[0].chat_id == 5_550_001
    assert deferred.claim_waiting(session, worker="b", limit=10) == [], "another worker finds them taken"
    deferred.release(session, question_ids=[taken[1].id])
    assert [question.text for question in deferred.claim_waiting(session, worker="b", limit=10)] == ["second"]
    later = utcnow() + deferred.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert len(deferred.claim_waiting(session, worker="c", limit=10, now=later)) == 2, "a dead worker's claims"
    deferred.answered(session, question_id=taken[0].id)
    assert deferred.waiting_count(session) == 1


def test_a_question_too_old_to_answer_is_dropped_and_erasure_takes_the_rest(session: Session) -> None:
    user = make_user(session, telegram_id=5_550_002, chat_id=5_550_002)
    long_ago = utcnow() - deferred.ANSWER_WITHIN - timedelta(minutes=1)
    deferred.defer_question(session, pseudonym=user.pseudonym, text="yesterday", now=long_ago)
    deferred.defer_question(session, pseudonym=user.pseudonym, text="just now")
    assert [q.text for q in deferred.claim_waiting(session, worker="a", limit=10)] == ["just now"]
    assert deferred.waiting_count(session) == 1
    delete_user_data(session, pseudonym=user.pseudonym)
    assert session.scalar(select(func.count(DeferredQuestion.id))) == 0, "nothing kept outlives the person"


class RasaComesBack:
    """A port where nothing listens until `back()`, then a pass-through to the real Rasa."""

    def __init__(self, rasa_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._rasa_url = rasa_url
        self._runner: web.AppRunner | None = None

    async def _forward(self, request: web.Request) -> web.Response:
        async with (
            aiohttp.ClientSession() as client,
            client.request(
                request.method,
                f"{self._rasa_url}{request.path_qs}",
                data=await request.read(),
                headers={"Content-Type": request.headers.get("Content-Type", "application/json")},
            ) as answer,
        ):
            return web.Response(status=answer.status, body=await answer.read(), content_type=answer.content_type)

    async def back(self) -> None:
        """Rasa is reachable again."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def close(self) -> None:
        """Stop passing through."""
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
def rasa_away(rasa_url: str) -> Iterator[RasaComesBack]:
    """Rasa, unreachable for now."""
    yield RasaComesBack(rasa_url)


@pytest.fixture
async def bot_while_rasa_is_away(
    api: BotApiStandIn, rasa_away: RasaComesBack, served_database_url: str, served_sessions: sessionmaker[Session]
) -> AsyncIterator[Any]:
    client = RasaClient(rasa_away.url, timeout=5.0)
    talking = Dialogue(
        sessions=served_sessions, secret_key=TEST_SECRET, default_locale="ru", retention_days=180, nlu=client
    )
    async with serving_bot(api, talking, served_sessions, served_database_url) as application:
        yield application
    await rasa_away.close()
    client.close()


def _texts_to(api: BotApiStandIn, user: TelegramUser) -> list[str]:
    return [
        str(call.params.get("text", ""))
        for call in api.calls_to("sendMessage")
        if int(call.params["chat_id"]) == user.user_id
    ]


@pytest.mark.rasa
async def test_a_message_sent_while_rasa_is_away_gets_its_answer_once_rasa_is_back(
    api: BotApiStandIn, bot_while_rasa_is_away: Any, rasa_away: RasaComesBack, served_sessions: sessionmaker[Session]
) -> None:
    _ = Translator("ru")
    user = TelegramUser(api, user_id=5_559_301, language_code="ru")
    user.says("/start")
    user.taps("lang|ru")
    user.taps("consent:yes")
    await api.until(lambda calls: len(_texts_to(api, user)) >= 3, timeout=30)

    user.says("мне нужен врач для дочки, у неё температура")
    kept = screens.nlu_unavailable(_, kept=True).text
    await api.until(lambda calls: kept in _texts_to(api, user), timeout=30)
    with served_sessions() as session:
        assert deferred.waiting_count(session) == 1

    await asyncio.sleep(6)  # a run of the late-answer job while Rasa is still away gives the question back
    late = screens.late_answer(_).text
    assert late not in _texts_to(api, user)

    await rasa_away.back()
    await api.until(lambda calls: late in _texts_to(api, user), timeout=60)
    await asyncio.sleep(1)
    texts = _texts_to(api, user)
    answer = texts[texts.index(late) + 1 :]
    assert answer, "Rasa's answer follows the line that says it is late"
    assert kept not in answer and screens.free_text_fallback(_, consented=True).text not in answer
    with served_sessions() as session:
        assert deferred.waiting_count(session) == 0
    await asyncio.sleep(6)
    assert _texts_to(api, user).count(late) == 1, "answered once"
    api.assert_no_errors()
