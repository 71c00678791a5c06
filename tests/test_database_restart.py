"""PostgreSQL "restarting" in the middle of conversations: every connection of the bot's database is cut and new
ones are refused for a few seconds, while people are writing. Nothing is lost: every message is answered, in each
chat's order, none with an apology, and the ledger ends with every update done.

The restart is played on the test's own scratch database (connections cut with pg_terminate_backend, refused with
ALLOW_CONNECTIONS false), which is what a restart looks like from the bot, without stopping the server that other
tests share.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.dialogue import screens
from bot.dialogue.flow import Dialogue
from bot.preparation import prepare_database
from services.i18n.catalogs import Translator
from services.storage.database import create_database_engine, session_factory
from tests.conftest import TEST_SECRET, key_ring_for, postgres_admin_url, scratch_postgres_url, serving_bot
from tests.telegram_standin import BotApiStandIn
from tests.telegram_standin.user import TelegramUser

USERS = 4
MESSAGES_EACH = 6
COMMANDS = ("/help", "/privacy")
OUTAGE_SECONDS = 3.0


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A scratch PostgreSQL database of this test's own."""
    yield from scratch_postgres_url()


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    """The bot's engine on it, migrated and loaded as `yoldosh run` does."""
    database = create_database_engine(postgres_url, key_ring=key_ring_for(TEST_SECRET))
    prepare_database(database, session_factory(database))
    yield database
    database.dispose()


def _restart(database: str, admin: Engine) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false'))
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": database},
        )


def _back(database: str, admin: Engine) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true'))


def _replies(api: BotApiStandIn, user: TelegramUser, after: int = 0) -> list[str]:
    return [
        str(call.params.get("text", ""))
        for call in api.calls[after:]
        if call.method == "sendMessage" and int(call.params["chat_id"]) == user.user_id
    ]


async def test_a_database_restart_mid_conversation_loses_no_message(
    api: BotApiStandIn, engine: Engine, postgres_url: str
) -> None:
    sessions: sessionmaker[Session] = session_factory(engine)
    dialogue = Dialogue(sessions=sessions, secret_key=TEST_SECRET, default_locale="en", retention_days=180)
    database = make_url(postgres_url).database
    admin_url = postgres_admin_url()
    assert database is not None and admin_url is not None
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    api.latency(0.1)
    users = [TelegramUser(api, user_id=7_400_001 + n, language_code="en") for n in range(USERS)]
    try:
        async with serving_bot(api, dialogue, sessions, postgres_url):
            for user in users:
                user.says("/start")
                user.taps("lang|en")
                user.taps("consent:yes")
            await api.until(lambda calls: all(len(_replies(api, user)) >= 3 for user in users), timeout=60)
            await asyncio.sleep(0.5)
            mark = len(api.calls)
            sent = {user.user_id: [COMMANDS[(n + user.user_id) % 2] for n in range(MESSAGES_EACH)] for user in users}
            for n in range(MESSAGES_EACH):
                for user in users:
                    user.says(sent[user.user_id][n])
            await api.until(lambda calls: sum(len(_replies(api, user, mark)) for user in users) >= USERS, timeout=60)
            await asyncio.to_thread(_restart, database, admin)
            answered_at_restart = sum(len(_replies(api, user, mark)) for user in users)
            await asyncio.sleep(OUTAGE_SECONDS)
            await asyncio.to_thread(_back, database, admin)
            await api.until(
                lambda calls: all(len(_replies(api, user, mark)) >= MESSAGES_EACH for user in users), timeout=120
            )
            await asyncio.sleep(1.0)
            with engine.connect() as connection:
                states = dict(
                    connection.execute(text("SELECT state, count(*) FROM inbound_updates GROUP BY state")).all()
                )
                pending = connection.scalar(text("SELECT count(*) FROM pending_updates"))
    finally:
        await asyncio.to_thread(_back, database, admin)
        admin.dispose()

    assert answered_at_restart < USERS * MESSAGES_EACH, "the restart came while messages were still being answered"
    apology = screens.apology(Translator("en")).text
    first = users[0]
    help_reply = _replies(api, first, mark)[sent[first.user_id].index("/help")]
    for user in users:
        replies = _replies(api, user, mark)
        assert len(replies) == MESSAGES_EACH, f"user {user.user_id}: {len(replies)} replies"
        assert apology not in replies
        kinds = [COMMANDS[0] if reply == help_reply else COMMANDS[1] for reply in replies]
        assert kinds == sent[user.user_id], "answered in the order written"
    assert states == {"done": USERS * (MESSAGES_EACH + 3)}
    assert pending == 0
    api.assert_no_errors()
