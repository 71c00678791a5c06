"""What the Telegram load scenarios share (bench layer): the messages users send, the bench, the warm-up.

All scenarios let the bot send 1000 messages/s overall (TELEGRAM_MESSAGES_PER_SECOND): Telegram allows one bot
about 30, which production keeps to; here the bot's own capacity is measured. Telegram's one message a second per
private chat is kept (the bot paces itself), so users are many and patient enough.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.bot_runner import BotConfig, Line, telegram_line
from bench.telegram_harness import CpuMeter, SimUser, Turn, new_user, percentiles, rasa_turn, rendered_replies, say, tap
from tests.telegram_standin import ApiError

LOAD_MESSAGES_PER_SECOND = 1000
# Free text Rasa answers, per locale: a greeting, a directory search, thanks (nothing the safety net flags).
MESSAGES: dict[str, tuple[str, ...]] = {
    "ru": ("здравствуйте", "нужен врач в Бишкеке", "спасибо"),
    "uz": ("salom", "Andijonda ayollar vrachi kerak", "rahmat"),
    "en": ("hello", "I need a psychologist for my son in Almaty", "thank you"),
    "kk": ("сәлеметсіз бе", "Алматыда дәрігер керек", "мың рахмет"),
    "ky": ("салам", "Бишкекте дарыгер керек", "рахмат"),
    "tg": ("салом", "дар Душанбе духтур лозим", "ташаккур"),
    "uz_Cyrl": ("салом", "Тошкентда шифокор керак", "раҳмат"),
}
LOCALES = tuple(MESSAGES)
# Long conversations: a five-turn cycle (so turns 1-10 and 91-100 say the same) whose search is answered in two
# messages: 1.2 messages a turn, 1.2 s apart, stays within Telegram's one message a second per chat.
LONG_MESSAGES: dict[str, tuple[str, ...]] = {
    "en": ("hello", "thank you", "where can I find a school in Bishkek", "hello", "thank you"),
    "ru": ("здравствуйте", "спасибо", "где найти школу для ребёнка в Ташкенте", "здравствуйте", "спасибо"),
    "uz": ("salom", "rahmat", "Toshkentda maktab kerak", "salom", "rahmat"),
    "kk": ("сәлеметсіз бе", "мың рахмет", "Алматыда дәрігер керек", "сәлеметсіз бе", "мың рахмет"),
}
COMMANDS = ("/help", "/services", "/privacy")


@dataclass
class Bench:
    """What every scenario shares: where Rasa is, the scratch database, reply counts, Bot API refusals so far."""

    rasa_url: str
    rasa_token: str
    database_url: str
    secret_key: str
    scratch: Path
    expected: dict[tuple[str, str], int] = field(default_factory=dict)
    errors: list[ApiError] = field(default_factory=list)
    cold_starts: dict[str, dict[str, Any]] = field(default_factory=dict)
    server_pids: dict[str, int] = field(default_factory=dict)

    def cpu(self, line: Line | None = None) -> CpuMeter:
        """Start counting the CPU time of Rasa, the action server, this process and the bot (when given)."""
        pids = {**self.server_pids, "bench (stand-in, users)": os.getpid()}
        if line is not None:
            pids["bot"] = line.process.pid
        return CpuMeter(pids)

    @asynccontextmanager
    async def line(self, name: str, *, latency: float = 0.0, warm: bool = True, **options: Any) -> AsyncIterator[Line]:
        """A fresh stand-in and bot process for one scenario, warmed up (see `warm_up`) unless told not to."""
        options.setdefault("messages_per_second", LOAD_MESSAGES_PER_SECOND)
        config = BotConfig(name, self.database_url, self.secret_key, self.rasa_url, **options)
        with telegram_line(config, self.errors, latency) as line:
            if warm:
                self.cold_starts[name] = await warm_up(self, line)
            yield line

    def rasa(self, connections: int = 16) -> httpx.AsyncClient:
        """An HTTP client for Rasa's REST webhook."""
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        return httpx.AsyncClient(base_url=self.rasa_url, timeout=30, limits=limits)

    async def tracker_size(self, http: httpx.AsyncClient, sender: str) -> dict[str, int]:
        """Events in a Rasa conversation tracker and its JSON size in bytes."""
        response = await http.get(f"/conversations/{sender}/tracker", params={"token": self.rasa_token})
        response.raise_for_status()
        return {"events": len(response.json().get("events", [])), "json_bytes": len(response.content)}


async def expected_replies(bench: Bench) -> None:
    """How many messages the bot sends for each free-text message (Rasa's answer, fresh conversation); warms Rasa."""
    async with bench.rasa() as http:
        for pool in (MESSAGES, LONG_MESSAGES):
            for locale, texts in pool.items():
                for text in texts:
                    counts = [rendered_replies((await rasa_turn(http, uuid.uuid4().hex, locale, text))[1])]
                    counts.append(rendered_replies((await rasa_turn(http, uuid.uuid4().hex, locale, text))[1]))
                    bench.expected[(locale, text)] = max(counts)


async def warm_up(bench: Bench, line: Line) -> dict[str, Any]:
    """Pay the bot's lazy start-up before the clock runs: one user per language says every benchmark message.

    The first turns of a fresh bot process compile the safety net's regexes on first use (seconds); these turns'
    latencies are returned as the cold start. The first user goes alone, so the lexicon is compiled once.
    """
    pools = [(locale, texts) for locale, texts in MESSAGES.items()]
    pools += [(locale, texts) for locale, texts in LONG_MESSAGES.items()]
    pools += [(locale, COMMANDS) for locale in LOCALES]
    users = [new_user(line.api, locale) for locale, _texts in pools]

    async def talk(user: SimUser, texts: tuple[str, ...]) -> list[Turn]:
        await say(line.clock, user, "/start")
        await tap(line.clock, user, f"lang|{user.locale}")
        await tap(line.clock, user, "consent:yes")
        for text in texts:
            await say(line.clock, user, text, bench.expected.get((user.locale, text), 1))
        turns, user.turns = user.turns, []
        return turns

    first = await talk(users[0], pools[0][1])
    rest = await asyncio.gather(
        *(talk(user, texts) for user, (_locale, texts) in zip(users[1:], pools[1:], strict=True))
    )
    turns = [turn for turns in (first, *rest) for turn in turns]
    answered = [turn.latency for turn in turns if turn.answered]
    return {
        "first_message_ms": round(first[0].latency * 1000, 1) if first[0].answered else None,
        "slowest_turn_ms": round(max(answered) * 1000, 1) if answered else None,
        "unanswered": len(turns) - len(answered),
        "turns": len(turns),
    }


def turn_stats(turns: list[Turn]) -> dict[str, Any]:
    """Latency percentiles of the answered turns, and how many went unanswered or incomplete."""
    answered = [turn for turn in turns if turn.answered]
    return {
        **percentiles([turn.latency for turn in answered]),
        "unanswered": len(turns) - len(answered),
        "incomplete": sum(not turn.complete for turn in answered),
    }


def users_for(line: Line, count: int, locales: tuple[str, ...] = LOCALES) -> list[SimUser]:
    """`count` new users, their languages in turn."""
    return [new_user(line.api, locales[index % len(locales)]) for index in range(count)]


async def pause_until(moment: float) -> None:
    """Sleep until this perf_counter moment."""
    await asyncio.sleep(max(0.0, moment - time.perf_counter()))
