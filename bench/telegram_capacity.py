"""Telegram scenarios 3 to 5 (bench layer): sustained load and saturation, long conversations, memory.

Capacity on this machine: how many turns a second the bot serves within its latency targets next to Rasa, how a
conversation slows as Rasa's tracker grows, and whether the bot's memory stays put over 10,000 messages.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench.bot_runner import Line
from bench.bot_trace import read_trace
from bench.telegram_bench import LONG_MESSAGES, MESSAGES, Bench, pause_until, turn_stats, users_for, warm_up
from bench.telegram_harness import CpuMeter, SimUser, Turn, new_user, onboard_all, percentiles, rasa_turn, say, tap
from services.users.pseudonyms import pseudonym_for

SUSTAINED_USERS, SUSTAINED_TURNS, THINK_SECONDS = 200, 20, 4.0
SATURATION_USERS, SATURATION_SECONDS, SATURATION_WARMUP = 100, 15.0, 3.0
LONG_USERS_TURNS, LONG_THINK_SECONDS, LONG_RAW_SENDERS = 100, 1.25, 2
MEMORY_USERS, MEMORY_MESSAGES, MEMORY_PACE_SECONDS = 300, 10_000, 1.0
# Cheap menus and buttons (no Rasa) for the memory run.
BULK_ACTIONS: tuple[tuple[str, str], ...] = (
    ("say", "/help"),
    ("tap", "services"),
    ("tap", "sos"),
    ("say", "/privacy"),
    ("say", "/services"),
    ("tap", "menu"),
)


# --- 3. sustained load and closed-loop saturation ------------------------------------------------------------------
async def sustained_load(bench: Bench) -> dict[str, Any]:
    """200 users, 4 s ± 50% think time, 20-turn sessions; then K users without think time, bot vs raw Rasa."""
    async with bench.line("sustained") as line:
        errors_before = len(line.api.errors)
        users = users_for(line, SUSTAINED_USERS)
        failed = await onboard_all(line.clock, users)
        await asyncio.sleep(2.0)
        rng = random.Random(40)
        plans = [
            (
                rng.uniform(0, THINK_SECONDS),
                rng.randrange(3),
                [rng.uniform(0.5, 1.5) * THINK_SECONDS for _ in range(20)],
            )
            for _user in users
        ]

        async def session(user: SimUser, offset: float, first: int, thinks: list[float]) -> None:
            await asyncio.sleep(offset)
            pool = MESSAGES[user.locale]
            for k in range(SUSTAINED_TURNS):
                text = pool[(first + k) % len(pool)]
                turn = await say(line.clock, user, text, bench.expected[(user.locale, text)])
                await pause_until((turn.last or time.perf_counter()) + thinks[k])

        cpu = bench.cpu(line)
        await asyncio.gather(*(session(user, *plan) for user, plan in zip(users, plans, strict=True)))
        turns = [turn for user in users for turn in user.turns]
        answered = [turn for turn in turns if turn.answered]
        span = max(turn.last or 0.0 for turn in answered) - min(turn.pushed for turn in turns)
        api_errors = len(line.api.errors) - errors_before
        stats = turn_stats(turns)
        sustained = {
            "users": SUSTAINED_USERS,
            "turns": len(turns),
            "onboarding_failures": failed,
            "seconds": round(span, 1),
            "turns_per_s": round(len(answered) / span, 1),
            **stats,
            "api_errors": api_errors,
            "errors": api_errors + stats["unanswered"],
            "bot_rss_mb": line.rss_mb(),
            "cpu": cpu.report(len(turns)),
        }
        print(f"    sustained: {sustained}", flush=True)
        saturation = await _saturation(bench, line)
        line.alive()
    return {"sustained": sustained, "saturation": saturation}


async def _closed_loop(
    run_turn: Callable[[int, int], Awaitable[float | None]], users: int, meter: Callable[[], CpuMeter]
) -> dict[str, Any]:
    """`users` workers doing turns back to back; completed turns per second after the warm-up, and latencies."""
    started = time.perf_counter()
    cpu: CpuMeter | None = None
    window_start, stop = started + SATURATION_WARMUP, started + SATURATION_SECONDS
    latencies: list[float] = []
    done_in_window = 0

    async def worker(worker_index: int) -> None:
        nonlocal done_in_window
        nonlocal cpu
        k = worker_index
        while time.perf_counter() < stop:
            if cpu is None and time.perf_counter() >= window_start:
                cpu = meter()
            latency = await run_turn(worker_index, k)
            k += 1
            if latency is not None and window_start <= time.perf_counter() <= stop:
                done_in_window += 1
                latencies.append(latency)

    await asyncio.gather(*(worker(index) for index in range(users)))
    return {
        "turns_per_s": round(done_in_window / (stop - window_start), 1),
        **percentiles(latencies),
        "cpu": cpu.report(done_in_window) if cpu else {},
    }


async def _saturation(bench: Bench, line: Line) -> dict[str, Any]:
    users = users_for(line, SATURATION_USERS)
    failed = await onboard_all(line.clock, users)
    senders = [uuid.uuid4().hex for _user in users]
    async with bench.rasa(SATURATION_USERS + 8) as http:

        async def raw_turn(index: int, k: int) -> float | None:
            locale = users[index].locale
            text = MESSAGES[locale][k % len(MESSAGES[locale])]
            return (await rasa_turn(http, senders[index], locale, text))[0]

        raw = await _closed_loop(raw_turn, SATURATION_USERS, lambda: bench.cpu(line))
    await asyncio.sleep(1.0)

    async def bot_turn(index: int, k: int) -> float | None:
        user = users[index]
        text = MESSAGES[user.locale][k % len(MESSAGES[user.locale])]
        turn = await say(line.clock, user, text, bench.expected[(user.locale, text)])
        return turn.latency if turn.answered else None

    bot = await _closed_loop(bot_turn, SATURATION_USERS, lambda: bench.cpu(line))
    return {
        "users": SATURATION_USERS,
        "seconds": SATURATION_SECONDS - SATURATION_WARMUP,
        "onboarding_failures": failed,
        "bot": bot,
        "rasa": raw,
        "ratio": round(bot["turns_per_s"] / raw["turns_per_s"], 2) if raw["turns_per_s"] else float("nan"),
    }


# --- 4. long conversations ----------------------------------------------------------------------------------------
async def long_conversations(bench: Bench) -> dict[str, Any]:
    """A few users each talk 100 turns; p50 of turns 91-100 over turns 1-10, and the same straight to Rasa."""
    trace = bench.scratch / "long-trace.txt"
    async with bench.line("long", trace=trace) as line:
        users = [new_user(line.api, locale) for locale in LONG_MESSAGES]
        failed = await onboard_all(line.clock, users)
        await asyncio.sleep(1.0)

        async def talk(user: SimUser, rng: random.Random) -> None:
            pool = LONG_MESSAGES[user.locale]
            await asyncio.sleep(rng.uniform(0, LONG_THINK_SECONDS))  # out of step, so turns seldom meet in Rasa
            for k in range(LONG_USERS_TURNS):
                text = pool[k % len(pool)]
                turn = await say(line.clock, user, text, bench.expected[(user.locale, text)])
                think = rng.uniform(0.85, 1.15) * LONG_THINK_SECONDS
                await pause_until((turn.last or time.perf_counter()) + think)

        await asyncio.gather(*(talk(user, random.Random(index)) for index, user in enumerate(users)))
        line.alive()
        async with bench.rasa() as http:
            bot_tracker = await bench.tracker_size(
                http, pseudonym_for(bench.secret_key.encode(), channel="telegram", external_id=users[0].chat_id)
            )
            raw, trackers = await _raw_long(bench, http)
    by_turn = [[user.turns[k] for user in users if len(user.turns) > k] for k in range(LONG_USERS_TURNS)]
    bot = _first_last(by_turn)
    spans = read_trace(trace)
    for label, turns in (("1_10", by_turn[:10]), ("91_100", by_turn[-10:])):
        calls = [
            ended - began
            for group in turns
            for turn in group
            for name, began, ended in spans.get(turn.update_id, [])
            if name == "rasa"
        ]
        bot[f"p50_rasa_call_from_bot_turns_{label}_ms"] = round(statistics.median(calls) * 1000, 1) if calls else None
    return {
        "users": len(users),
        "turns_each": LONG_USERS_TURNS,
        "onboarding_failures": failed,
        **turn_stats([turn for user in users for turn in user.turns]),
        "bot": bot,
        "rasa": raw,
        "bot_tracker_at_100": bot_tracker,
        "rasa_trackers": trackers,
    }


def _first_last(by_turn: list[list[Turn]]) -> dict[str, float | None]:
    first = [turn.latency for turns in by_turn[:10] for turn in turns if turn.answered]
    last = [turn.latency for turns in by_turn[-10:] for turn in turns if turn.answered]
    p50_first, p50_last = statistics.median(first) * 1000, statistics.median(last) * 1000
    return {
        "p50_turns_1_10_ms": round(p50_first, 1),
        "p50_turns_91_100_ms": round(p50_last, 1),
        "ratio": round(p50_last / p50_first, 2),
    }


async def _raw_long(bench: Bench, http: httpx.AsyncClient) -> tuple[dict[str, float], dict[str, dict[str, int]]]:
    """The same 100-turn scripts straight to Rasa, one conversation after another, with tracker sizes."""
    locales = list(LONG_MESSAGES)[:LONG_RAW_SENDERS]
    seconds: list[list[float]] = [[] for _ in range(LONG_USERS_TURNS)]
    trackers: dict[str, dict[str, int]] = {}
    for locale in locales:
        sender, pool = uuid.uuid4().hex, LONG_MESSAGES[locale]
        for k in range(LONG_USERS_TURNS):
            seconds[k].append((await rasa_turn(http, sender, locale, pool[k % len(pool)]))[0])
            if k + 1 in (1, 10, 100):
                trackers[f"{locale} after turn {k + 1}"] = await bench.tracker_size(http, sender)
    first = [value for values in seconds[:10] for value in values]
    last = [value for values in seconds[-10:] for value in values]
    p50_first, p50_last = statistics.median(first) * 1000, statistics.median(last) * 1000
    raw = {
        "p50_turns_1_10_ms": round(p50_first, 1),
        "p50_turns_91_100_ms": round(p50_last, 1),
        "ratio": round(p50_last / p50_first, 2),
    }
    return raw, trackers


# --- 5. memory -----------------------------------------------------------------------------------------------------
async def memory(bench: Bench) -> dict[str, Any]:
    """The bot's RSS when started, after the warm-up and onboarding, and after 10,000 messages of menus and buttons."""
    async with bench.line("memory", warm=False) as line:
        await asyncio.sleep(1.0)
        rss = {"start": line.rss_mb()}
        bench.cold_starts["memory"] = await warm_up(bench, line)
        rss["after_warm_up"] = line.rss_mb()
        users = users_for(line, MEMORY_USERS)
        failed = await onboard_all(line.clock, users, at_once=64)
        rss["after_onboarding"] = line.rss_mb()
        before_bulk = bench.cold_starts["memory"]["turns"] + 3 * len(users)
        each = -(-(MEMORY_MESSAGES - before_bulk) // len(users))
        peak = max(rss.values())

        async def browse(user: SimUser, first: int) -> None:
            for k in range(each):
                began = time.perf_counter()
                kind, what = BULK_ACTIONS[(first + k) % len(BULK_ACTIONS)]
                await (say if kind == "say" else tap)(line.clock, user, what)
                await pause_until(began + MEMORY_PACE_SECONDS)

        async def sample() -> None:
            nonlocal peak
            while True:
                peak = max(peak, line.rss_mb())
                await asyncio.sleep(0.5)

        sampler = asyncio.create_task(sample())
        cpu = bench.cpu(line)
        started = time.perf_counter()
        await asyncio.gather(*(browse(user, index) for index, user in enumerate(users)))
        seconds = time.perf_counter() - started
        sampler.cancel()
        line.alive()
        turns = [turn for user in users for turn in user.turns]
        cpu_report = cpu.report(len(turns))
        rss["end"] = line.rss_mb()
        rss["peak"] = max(peak, rss["end"])
    return {
        "messages": before_bulk + len(turns),
        "users": len(users),
        "onboarding_failures": failed,
        "updates_per_s": round(len(turns) / seconds, 1),
        **turn_stats(turns),
        "cpu": cpu_report,
        "rss_mb": rss,
        "growth_pct": round((rss["end"] / rss["start"] - 1) * 100, 1) if rss["start"] else float("nan"),
        "growth_after_warm_up_pct": round((rss["end"] / rss["after_warm_up"] - 1) * 100, 1)
        if rss["after_warm_up"]
        else float("nan"),
    }
