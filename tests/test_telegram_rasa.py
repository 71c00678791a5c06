"""One whole Telegram conversation per locale through the real PTB application, Rasa server and action server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.dialogue.flow import Dialogue
from bot.rasa.client import RasaClient
from services.i18n.catalogs import Translator
from tests.conftest import TEST_SECRET, serving_bot
from tests.telegram_standin import BotApiStandIn, TelegramUser
from tests.test_rasa import CONVERSATIONS, GREETING

pytestmark = pytest.mark.rasa


@pytest.fixture
async def bot_with_rasa(
    api: BotApiStandIn, rasa_url: str, served_database_url: str, served_sessions: sessionmaker[Session]
) -> AsyncIterator[Any]:
    client = RasaClient(rasa_url, timeout=30.0)
    talking = Dialogue(
        sessions=served_sessions, secret_key=TEST_SECRET, default_locale="ru", retention_days=180, nlu=client
    )
    async with serving_bot(api, talking, served_sessions, served_database_url) as application:
        yield application
    client.close()


@pytest.mark.parametrize("locale", sorted(CONVERSATIONS))
async def test_a_telegram_conversation_in_each_language(api: BotApiStandIn, bot_with_rasa: Any, locale: str) -> None:
    greeting, question, phone_prefix, danger = CONVERSATIONS[locale]
    _ = Translator(locale)
    user = TelegramUser(api, user_id=7000000 + uuid.uuid4().int % 1_000_000, language_code=locale.split("_")[0])
    user.says("/start")
    user.taps(f"lang|{locale}")
    user.taps("consent:yes")
    await api.until(lambda calls: len(user.sees()) >= 3, timeout=30)

    user.says(greeting)
    await api.until(lambda calls: _(GREETING) in user.sees(), timeout=30)

    user.says(question)
    await api.until(lambda calls: any(phone_prefix in text for text in user.sees()), timeout=30)

    user.says(danger)
    emergency = _("If you or someone near you is in danger right now, please call:")
    await api.until(lambda calls: any(text.startswith(emergency) for text in user.sees()), timeout=30)
    api.assert_no_errors()
