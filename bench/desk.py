"""Counselor desk benchmark: from a user's crisis message to emergency numbers in her chat and a topic with its
case card on the counselors' forum.

The real PTB application serves a Bot API stand-in (local HTTP, 20 ms per call like a nearby Bot API server) on a
fresh SQLite database, without Rasa (the safety net does not need it). Crisis messages come from different users:
one at a time (a new case every `SPACING` seconds, within the group's 20 messages a minute: a case costs two calls),
then a burst of simultaneous ones (within the group limit's short burst). Target: p95 within 2 s for both. A larger
burst queues behind Telegram's group limit: about 10 new cases a minute.
Usage: python -m bench.desk [--json OUT.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.dialogue.flow import Dialogue
from bot.preparation import prepare_database
from bot.telegram.application import build_application
from services.config import load_settings
from services.crypto.keys import KeyRing
from services.safety.loader import load_lexicon
from services.storage.database import create_database_engine, session_factory
from tests.telegram_standin import BotApiStandIn, TelegramUser
from tests.telegram_standin.protocol import TOKEN

DESK_CHAT = -1009990001111
CRISES = (
    "Meni xonaga qamab qo'yishdi",
    "он бьёт меня, помогите",
    "өзүмдү өлтүргүм келет",
    "мехоҳам худамро бикушам",
    "I took all the pills",
    "ол мені өлтіремін деп жатыр",
)
API_LATENCY = 0.02
SPACING = 6.0
TARGET_SECONDS = 2.0


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "n": len(ordered),
    }


class _Clock:
    """When each user's crisis went out, reached her, and reached the desk."""

    def __init__(self, api: BotApiStandIn) -> None:
        self.api = api
        self.sent: dict[int, float] = {}
        self.user_times: list[float] = []
        self.desk_times: list[float] = []

    async def crisis(self, user: TelegramUser, text: str) -> None:
        started = time.monotonic()
        user.says(text)
        seen_user = seen_desk = None
        while seen_user is None or seen_desk is None:
            now = time.monotonic()
            if seen_user is None and len(user.sees()) >= 4:
                seen_user = now - started
            if seen_desk is None and self._card_mentions(text):
                seen_desk = now - started
            if now - started > 30:
                raise TimeoutError(f"no answer in 30 s (user {seen_user}, desk {seen_desk})")
            await asyncio.sleep(0.005)
        self.user_times.append(seen_user)
        self.desk_times.append(seen_desk)

    def _card_mentions(self, text: str) -> bool:
        with self.api._lock:
            messages = list(self.api._messages.get(DESK_CHAT, {}).values())
        return any(text in str(message.get("text", "")) for message in messages if message.get("message_thread_id"))


async def _consented(api: BotApiStandIn, user: TelegramUser, locale: str) -> None:
    user.says("/start")
    user.taps(f"lang|{locale}")
    user.taps("consent:yes")
    await api.until(lambda _calls: len(user.sees()) >= 3, timeout=30)


async def _measure(database_url: str, single: int, burst: int) -> dict[str, Any]:
    api = BotApiStandIn()
    api.start()
    api.latency(API_LATENCY)
    api.add_supergroup(DESK_CHAT)
    settings = load_settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api.base_url,
        database_url=database_url,
        secret_key="d" * 40,
        counselor_chat_id=DESK_CHAT,
        _env_file=None,
    )
    engine = create_database_engine(database_url, key_ring=KeyRing.from_settings(settings))
    sessions = session_factory(engine)
    prepare_database(engine, sessions)
    load_lexicon().compile_all()
    dialogue = Dialogue(
        sessions=sessions,
        secret_key=settings.secret_key_bytes(),
        default_locale="ru",
        retention_days=180,
        counselors_connected=True,
    )
    application = build_application(settings, dialogue, sessions)
    await application.initialize()
    await application.post_init(application)  # type: ignore[misc]
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        one_by_one, together = _Clock(api), _Clock(api)
        users = [TelegramUser(api, user_id=80_000_000 + n, language_code="ru") for n in range(single + burst)]
        await asyncio.gather(*(_consented(api, user, "ru") for user in users))
        for n, user in enumerate(users[:single]):
            started = time.monotonic()
            await one_by_one.crisis(user, f"{CRISES[n % len(CRISES)]} #{n}")
            await asyncio.sleep(max(0.0, SPACING - (time.monotonic() - started)))
        await asyncio.gather(
            *(together.crisis(user, f"{CRISES[n % len(CRISES)]} ~{n}") for n, user in enumerate(users[single:]))
        )
        errors = len(api.errors)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        api.stop()
        engine.dispose()
    return {
        "api_latency_ms": API_LATENCY * 1000,
        "one_at_a_time": {
            "emergency_to_user": _percentiles(one_by_one.user_times),
            "case_card_on_desk": _percentiles(one_by_one.desk_times),
        },
        f"burst_of_{burst}": {
            "emergency_to_user": _percentiles(together.user_times),
            "case_card_on_desk": _percentiles(together.desk_times),
        },
        "bot_api_errors": errors,
        "target_p95_ms": TARGET_SECONDS * 1000,
    }


def run(single: int = 12, burst: int = 6) -> dict[str, Any]:
    """Measure on a scratch SQLite database."""
    folder = Path(tempfile.mkdtemp(prefix="yoldosh-desk-"))
    return asyncio.run(_measure(f"sqlite:///{folder / 'desk.db'}", single, burst))


def main() -> None:
    """Print (and optionally save) the desk latencies."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    results = run()
    print(json.dumps(results, indent=2))
    if arguments.json:
        arguments.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
