"""The bot process killed with SIGKILL in the middle of conversations, then started again: no update is lost,
each chat keeps its order, and only an update being handled at the very moment of the kill may be answered
twice (its reply had left, its "done" had not been written).

The bot runs as `yoldosh serve-bot` (long polling) against the Bot API stand-in, on a SQLite database prepared
by `yoldosh prepare`. The stand-in confirms an update as soon as the bot asks for the next offset, as Telegram
does, so whatever the bot fetched and had not stored would be gone for good.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import create_engine, text

from bot.cli.main import main
from services.paths import PROJECT_ROOT
from tests.conftest import free_port
from tests.telegram_standin import TOKEN, BotApiStandIn
from tests.telegram_standin.user import TelegramUser

YOLDOSH = [sys.executable, "-m", "bot.cli.main"]
USERS = 5
MESSAGES_EACH = 8
KILL_AFTER_REPLIES = 8
# Two commands whose answers tell them apart, so each chat's order can be checked from the replies alone.
COMMANDS = ("/help", "/privacy")


@pytest.fixture
def api() -> BotApiStandIn:
    """A Bot API stand-in that answers every call after 0.15 s, so the kill lands in the middle of the work."""
    standin = BotApiStandIn()
    standin.start()
    standin.latency(0.15)
    yield standin  # type: ignore[misc]
    standin.stop()


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api: BotApiStandIn) -> dict[str, str]:
    """A prepared SQLite database and the bot's settings (no Rasa: commands need none)."""
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'yoldosh.db'}",
        "SECRET_KEY": "bot-killed-secret-key-0123456789abcdef",
        "LOG_FORMAT": "text",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "HEALTH_PORT": "",
        "TRACKER_STORE_URL": "",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    assert main(["prepare"]) == 0
    return settings


def _start_bot(settings: dict[str, str], logs: IO[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*YOLDOSH, "serve-bot"],
        env={**os.environ, **settings},
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=logs,
        start_new_session=True,
    )


def _replies(api: BotApiStandIn, user: TelegramUser, after: int) -> list[str]:
    """The texts the bot sent to this user after the first `after` calls to the stand-in."""
    calls = api.calls[after:]
    return [
        str(call.params.get("text", ""))
        for call in calls
        if call.method == "sendMessage" and int(call.params["chat_id"]) == user.user_id
    ]


async def _consent(api: BotApiStandIn, users: list[TelegramUser]) -> None:
    for user in users:
        user.says("/start")
        user.taps("lang|en")
        user.taps("consent:yes")
    await api.until(lambda calls: all(len(_replies(api, user, 0)) >= 3 for user in users), timeout=60)
    await asyncio.sleep(1.0)


def _kind(reply: str, help_reply: str) -> str:
    return COMMANDS[0] if reply == help_reply else COMMANDS[1]


async def _wait(condition: object, *, timeout: float, what: str, bot: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert bot.poll() is None, f"the bot exited while waiting for {what}:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{log.read_text()[-3000:]}"
        await asyncio.sleep(0.05)


async def test_a_bot_killed_mid_conversation_loses_no_update_and_keeps_each_chats_order(
    api: BotApiStandIn, environment: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    users = [TelegramUser(api, user_id=7_300_001 + n, language_code="en") for n in range(USERS)]
    with log.open("w") as logs:
        bot = _start_bot(environment, logs)
    try:
        await _wait(lambda: api.calls_to("deleteWebhook"), timeout=90, what="the bot to start", bot=bot, log=log)
        await _consent(api, users)
        mark = len(api.calls)
        sent: dict[int, list[str]] = {user.user_id: [] for user in users}
        for round_ in range(MESSAGES_EACH):
            for user in users:
                command = COMMANDS[(round_ + user.user_id) % 2]
                user.says(command)
                sent[user.user_id].append(command)
        await _wait(
            lambda: sum(len(_replies(api, user, mark)) for user in users) >= KILL_AFTER_REPLIES,
            timeout=60,
            what="the first replies",
            bot=bot,
            log=log,
        )
        os.killpg(bot.pid, signal.SIGKILL)
        bot.wait(10)
        answered_before_kill = sum(len(_replies(api, user, mark)) for user in users)
        assert answered_before_kill < USERS * MESSAGES_EACH, "the kill came after everything was answered"

        with log.open("a") as logs:
            bot = _start_bot(environment, logs)
        await _wait(
            lambda: all(len(_replies(api, user, mark)) >= MESSAGES_EACH for user in users),
            timeout=120,
            what="every message to be answered after the restart",
            bot=bot,
            log=log,
        )
        await asyncio.sleep(1.0)  # room for a reply that should not come
    finally:
        if bot.poll() is None:
            os.killpg(bot.pid, signal.SIGTERM)
            bot.wait(30)

    help_reply = next(
        reply
        for user in users
        for reply, command in zip(_replies(api, user, mark), sent[user.user_id], strict=False)
        if command == "/help"
    )
    twice = 0
    for user in users:
        replies = _replies(api, user, mark)
        assert MESSAGES_EACH <= len(replies) <= MESSAGES_EACH + 1, f"user {user.user_id}: {len(replies)} replies"
        twice += len(replies) - MESSAGES_EACH
        kinds = [_kind(reply, help_reply) for reply in replies]
        without_repeats = [kind for n, kind in enumerate(kinds) if n == 0 or kind != kinds[n - 1]]
        assert without_repeats == sent[user.user_id], "each chat answered in the order it wrote"
    assert twice <= USERS, "only updates being handled at the moment of the kill may be answered twice"
    engine = create_engine(environment["DATABASE_URL"])
    with engine.connect() as connection:
        states = Counter(state for (state,) in connection.execute(text("SELECT state FROM inbound_updates")))
        pending = connection.scalar(text("SELECT count(*) FROM pending_updates"))
    engine.dispose()
    assert states == {"done": USERS * (MESSAGES_EACH + 3)}, "the consent's three updates and the eight each"
    assert pending == 0, "handled updates keep no content"
    api.assert_no_errors()
