"""Telegram scenarios 1 and 2 (bench layer): the gain from handling chats concurrently, and a turn's overhead.

Both compare the bot with a baseline on the same machine and the same messages: the bot handling one update at a
time, and Rasa's REST webhook called directly.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from typing import Any

from bench.bot_runner import Line
from bench.bot_trace import UPDATE_SPAN, read_trace
from bench.telegram_bench import COMMANDS, MESSAGES, Bench, turn_stats, users_for
from bench.telegram_harness import Turn, new_user, onboard_all, percentiles, rasa_turn, say

CONCURRENCY_USERS, CONCURRENCY_MESSAGES, SEND_ROUND_TRIP = 20, 5, 0.15
OVERHEAD_ROUNDS = 6


# --- 1. concurrency gain -----------------------------------------------------------------------------------------
async def concurrency_gain(bench: Bench) -> dict[str, Any]:
    """N users each send M commands at once with a 150 ms Bot API: wall time with 256 updates at once vs 1."""
    runs = {}
    for at_once in (256, 1):
        async with bench.line(f"concurrency-{at_once}", concurrent_updates=at_once) as line:
            runs[at_once] = await _burst(line)
            line.alive()
    return {
        "users": CONCURRENCY_USERS,
        "messages_each": CONCURRENCY_MESSAGES,
        "send_round_trip_s": SEND_ROUND_TRIP,
        "concurrent": runs[256],
        "one_at_a_time": runs[1],
        "gain": round(runs[1]["wall_s"] / runs[256]["wall_s"], 1),
        "in_order": runs[256]["in_order"] and runs[1]["in_order"],
    }


async def _burst(line: Line) -> dict[str, Any]:
    users = users_for(line, CONCURRENCY_USERS)
    probes = {locale: new_user(line.api, locale) for locale in {user.locale for user in users}}
    failed = await onboard_all(line.clock, [*users, *probes.values()])
    answers: dict[tuple[str, str], list[str]] = {}
    for locale, probe in probes.items():  # what each command answers in each language, asked one at a time
        for command in COMMANDS:
            before = len(probe.person.sees())
            await say(line.clock, probe, command)
            answers[(locale, command)] = probe.person.sees()[before:]
    await asyncio.sleep(1.5)  # the per-chat buckets refill after onboarding
    scripts = {
        user.chat_id: [COMMANDS[(i + k) % len(COMMANDS)] for k in range(CONCURRENCY_MESSAGES)]
        for i, user in enumerate(users)
    }
    wanted = {
        user.chat_id: [text for command in scripts[user.chat_id] for text in answers[(user.locale, command)]]
        for user in users
    }
    seen = {user.chat_id: len(user.person.sees()) for user in users}
    base = {user.chat_id: line.clock.count(user.chat_id) for user in users}
    line.api.latency(SEND_ROUND_TRIP)
    started = time.perf_counter()
    for k in range(CONCURRENCY_MESSAGES):
        for user in users:
            user.person.says(scripts[user.chat_id][k])
    lasts = await asyncio.gather(
        *(line.clock.nth(user.chat_id, base[user.chat_id] + len(wanted[user.chat_id]), started + 180) for user in users)
    )
    line.api.latency(0.0)
    finished = [last for last in lasts if last is not None]
    in_order = all(user.person.sees()[seen[user.chat_id] :] == wanted[user.chat_id] for user in users)
    return {
        "wall_s": round(max(finished) - started, 2) if finished else float("nan"),
        "unfinished_users": len(lasts) - len(finished),
        "onboarding_failures": failed,
        "in_order": in_order,
        "most_sends_in_flight": line.api.max_concurrent("sendMessage"),
    }


# --- 2. turn overhead --------------------------------------------------------------------------------------------
async def turn_overhead(bench: Bench) -> dict[str, Any]:
    """The same free text, one turn at a time, through the bot (loopback Bot API) and straight to Rasa."""
    trace = bench.scratch / "turn-trace.txt"
    warmup = [(locale, texts[i]) for i in range(2) for locale, texts in MESSAGES.items()]
    measured = [(locale, text) for locale, texts in MESSAGES.items() for text in texts] * OVERHEAD_ROUNDS
    random.Random(4).shuffle(measured)
    bot_turns: list[Turn] = []
    raw: list[float] = []
    async with bench.line("overhead", trace=trace) as line:
        async with bench.rasa() as http:
            users = [new_user(line.api, locale) for locale, _text in [*warmup, *measured]]
            failed = await onboard_all(line.clock, users)
            await asyncio.sleep(1.5)
            for index, ((locale, text), user) in enumerate(zip([*warmup, *measured], users, strict=True)):
                expected = bench.expected[(locale, text)]
                bot_first = index % 2 == 0
                if not bot_first:
                    raw_seconds = (await rasa_turn(http, uuid.uuid4().hex, locale, text))[0]
                turn = await say(line.clock, user, text, expected)
                if bot_first:
                    raw_seconds = (await rasa_turn(http, uuid.uuid4().hex, locale, text))[0]
                if index >= len(warmup):
                    bot_turns.append(turn)
                    raw.append(raw_seconds)
        line.alive()
    bot = turn_stats(bot_turns)
    rasa = percentiles(raw)
    kinds: dict[str, Any] = {}
    for kind, one_reply in (("small talk (one reply)", True), ("directory searches", False)):
        chosen = [i for i, key in enumerate(measured) if (bench.expected[key] == 1) == one_reply]
        kind_bot = turn_stats([bot_turns[i] for i in chosen])
        kind_raw = percentiles([raw[i] for i in chosen])
        kinds[kind] = {
            "bot_p50_ms": kind_bot["p50_ms"],
            "rasa_p50_ms": kind_raw["p50_ms"],
            "ratio_p50": round(kind_bot["p50_ms"] / kind_raw["p50_ms"], 2),
            "ratio_p95": round(kind_bot["p95_ms"] / kind_raw["p95_ms"], 2),
        }
    return {
        "turns": len(measured),
        "onboarding_failures": failed,
        "bot": bot,
        "rasa": rasa,
        "ratio_p50": round(bot["p50_ms"] / rasa["p50_ms"], 2),
        "ratio_p95": round(bot["p95_ms"] / rasa["p95_ms"], 2),
        "by_kind": kinds,
        "breakdown_ms": _breakdown(read_trace(trace), [turn for turn in bot_turns if turn.answered]),
    }


def _breakdown(spans: dict[int, list[tuple[str, float, float]]], turns: list[Turn]) -> dict[str, float]:
    """Median milliseconds of each step of the bot's turns, from the bot process's trace."""
    parts: dict[str, list[float]] = {}
    for turn in turns:
        steps = spans.get(turn.update_id)
        if not steps:
            continue
        total: dict[str, float] = {}
        for name, began, ended in steps:
            total[name] = total.get(name, 0.0) + ended - began
        handler_start = min((began for name, began, _ended in steps if name == UPDATE_SPAN), default=None)
        if handler_start is None:
            continue
        sends = sum(seconds for name, seconds in total.items() if name.startswith("send:") and "ChatAction" not in name)
        say_seconds = total.get("dialogue.say", 0.0)
        inside_say = total.get("db.user", 0.0) + total.get("safety", 0.0) + total.get("rasa", 0.0)
        measured = {
            "1 Bot API delivery (push to handler)": handler_start - turn.pushed,
            "2 ledger claim (DB)": total.get("ledger.claim", 0.0),
            "3 user lookup (DB)": total.get("db.user", 0.0),
            "4 safety net": total.get("safety", 0.0),
            "5 Rasa REST, called by the bot": total.get("rasa", 0.0),
            "6 rest of dialogue.say": say_seconds - inside_say,
            "7 sending the replies": sends,
        }
        accounted = sum(measured.values())
        measured["8 unaccounted (threads, PTB, event loop)"] = turn.latency - accounted
        measured["= bot turn"] = turn.latency
        measured["after the last reply: trail + ledger finish (DB)"] = total.get("db.trail", 0.0) + total.get(
            "ledger.finish", 0.0
        )
        for name, seconds in measured.items():
            parts.setdefault(name, []).append(seconds)
    return {name: round(statistics.median(values) * 1000, 2) for name, values in sorted(parts.items())}
