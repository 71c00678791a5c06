"""Telegram channel benchmarks (bench layer): issue 4's targets, measured side by side in one run.

`python -m bench.telegram_load` on its own (numbers merged into var/bench/results.json under "telegram"), or as
part of `make bench` (bench.run). Starts Rasa and the action server once on a scratch database; each scenario
runs the bot as its own process (bench.bot_process) long-polling a Bot API stand-in in this process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import secrets
import shutil
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench import telegram_capacity, telegram_latency
from bench.telegram_bench import LOAD_MESSAGES_PER_SECOND, Bench, expected_replies
from bench.telegram_harness import free_port, machine_share, rss_mb
from bot.preparation import prepare_database
from bot.processes import running_server
from bot.rasa.servers import action_server_spec, rasa_server_spec
from bot.rasa.training import ensure_model
from services.config import load_settings
from services.crypto.keys import KeyRing
from services.paths import PROJECT_ROOT, VAR_DIR
from services.storage.database import create_database_engine, session_factory

RESULTS = VAR_DIR / "bench" / "results.json"
Scenario = Callable[[Bench], Awaitable[dict[str, Any]]]
SCENARIOS: list[tuple[str, str, Scenario]] = [
    (
        "concurrency",
        "1. concurrency gain (150 ms Bot API round trip, 256 updates at once vs 1)",
        telegram_latency.concurrency_gain,
    ),
    ("turn_overhead", "2. turn overhead: bot vs raw Rasa REST, one turn at a time", telegram_latency.turn_overhead),
    ("load", "3. sustained load (200 users, 4 s think) and closed-loop saturation", telegram_capacity.sustained_load),
    ("long_conversations", "4. long conversations (100 turns each)", telegram_capacity.long_conversations),
    ("memory", "5. bot memory over 10,000 messages", telegram_capacity.memory),
]


async def _run_scenarios(bench: Bench) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for key, title, scenario in SCENARIOS:
        print(f"==> {title}", flush=True)
        started = time.monotonic()
        share = machine_share()
        try:
            results[key] = await scenario(bench)
        except Exception as error:
            print(f"    FAILED: {type(error).__name__}: {error}", flush=True)
            traceback.print_exc()
            results[key] = {"error": f"{type(error).__name__}: {error}"}
        results[key]["bench_seconds"] = round(time.monotonic() - started, 1)
        results[key]["machine_cores_busy"] = share()
        print(f"    {json.dumps(results[key], ensure_ascii=False)}", flush=True)
    return results


def measure(model: Path) -> dict[str, Any]:
    """Run every Telegram scenario against one Rasa and action server; print the table; return the numbers."""
    scratch = Path(tempfile.mkdtemp(prefix="yoldosh-telegram-bench-"))
    database_url = f"sqlite:///{scratch / 'yoldosh.db'}"
    secret_key, rasa_token = secrets.token_hex(32), secrets.token_hex(16)
    settings = load_settings(
        database_url=database_url,
        secret_key=secret_key,
        rasa_url=f"http://127.0.0.1:{free_port()}",
        action_server_port=free_port(),
        _env_file=None,
    )
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # a bot stopped mid-request is no finding
    engine = create_database_engine(database_url, key_ring=KeyRing.from_settings(settings))
    prepare_database(engine, session_factory(engine))
    engine.dispose()
    started = time.monotonic()
    bench = Bench(settings.rasa_url, rasa_token, database_url, secret_key, scratch)
    print(
        f"==> Telegram load: bot capacity with TELEGRAM_MESSAGES_PER_SECOND={LOAD_MESSAGES_PER_SECOND} "
        "(production keeps Telegram's ~30/s per bot; per-chat pacing of 1/s stays on)",
        flush=True,
    )
    try:
        with (
            running_server(action_server_spec(settings)) as actions,
            running_server(rasa_server_spec(settings, model, api_token=rasa_token)) as rasa,
        ):
            bench.server_pids = {"rasa": rasa.pid, "action_server": actions.pid}
            asyncio.run(expected_replies(bench))
            servers_before = {"rasa": rss_mb(rasa.pid), "action_server": rss_mb(actions.pid)}
            results = asyncio.run(_run_scenarios(bench))
            servers_after = {"rasa": rss_mb(rasa.pid), "action_server": rss_mb(actions.pid)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results.setdefault("memory", {})["servers_rss_mb"] = {"start": servers_before, "end": servers_after}
    results["api_errors"] = {
        "count": len(bench.errors),
        "first": [f"{error.call.method}: {error.status} {error.description}" for error in bench.errors[:10]],
    }
    results["cold_start"] = bench.cold_starts
    results["expected_replies"] = {f"{locale}: {text}": count for (locale, text), count in bench.expected.items()}
    results["messages_per_second_setting"] = LOAD_MESSAGES_PER_SECOND
    results["bench_seconds"] = round(time.monotonic() - started, 1)
    print_table(results)
    return results


def _get(results: dict[str, Any], *path: str) -> Any:
    value: Any = results
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _verdict(value: Any, passed: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return "ok" if passed else "MISSED"


def table_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(target, measured, goal, verdict) for each of issue 4's benchmark targets."""
    rows: list[tuple[str, str, str, str]] = []

    def at(*path: str) -> Any:
        return _get(results, *path)

    def row(name: str, value: Any, shown: str, goal: str, passed: Callable[[Any], bool]) -> None:
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        rows.append((name, "failed" if missing else shown, goal, _verdict(value, not missing and passed(value))))

    def at_least(limit: float) -> Callable[[Any], bool]:
        return lambda value: bool(value >= limit)

    def at_most(limit: float) -> Callable[[Any], bool]:
        return lambda value: bool(value <= limit)

    c, o, s, sat, long = (
        "concurrency",
        "turn_overhead",
        ("load", "sustained"),
        ("load", "saturation"),
        "long_conversations",
    )
    walls = f"{at(c, 'concurrent', 'wall_s')} s vs {at(c, 'one_at_a_time', 'wall_s')} s"
    row("Concurrency gain, 150 ms Bot API", at(c, "gain"), f"{at(c, 'gain')}x ({walls})", ">= 5x", at_least(5))
    order = at(c, "in_order")
    row("Each chat's replies in order", order, "yes" if order else "NO", "yes", bool)
    for pct, limit in (("p50", 1.3), ("p95", 1.5)):
        ratio, bot, raw = at(o, f"ratio_{pct}"), at(o, "bot", f"{pct}_ms"), at(o, "rasa", f"{pct}_ms")
        row(
            f"Turn overhead {pct}, bot / raw Rasa", ratio, f"{ratio} ({bot} vs {raw} ms)", f"<= {limit}", at_most(limit)
        )
    rate = at(*s, "turns_per_s")
    row("Sustained load: throughput", rate, f"{rate} turns/s", ">= 40 turns/s", at_least(40))
    p95, p50 = at(*s, "p95_ms"), at(*s, "p50_ms")
    row("Sustained load: latency p95", p95, f"{p95} ms (p50 {p50} ms)", "<= 250 ms", at_most(250))
    errors = at(*s, "errors")
    detail = f"{errors} ({at(*s, 'api_errors')} Bot API, {at(*s, 'unanswered')} unanswered in 10 s)"
    row("Sustained load: errors", errors, detail, "0", at_most(0))
    ratio, bot_rate, raw_rate = at(*sat, "ratio"), at(*sat, "bot", "turns_per_s"), at(*sat, "rasa", "turns_per_s")
    name = f"Closed-loop saturation ({at(*sat, 'users')} users), bot / Rasa"
    row(name, ratio, f"{ratio} ({bot_rate} vs {raw_rate} turns/s)", ">= 0.8", at_least(0.8))
    ratio, first, last = (
        at(long, "bot", "ratio"),
        at(long, "bot", "p50_turns_1_10_ms"),
        at(long, "bot", "p50_turns_91_100_ms"),
    )
    shown = f"{ratio} ({last} vs {first} ms; raw Rasa {at(long, 'rasa', 'ratio')})"
    row("Long conversations: p50 turns 91-100 / 1-10", ratio, shown, "<= 2", at_most(2))
    end = at("memory", "rss_mb", "end")
    shown = f"{end} MB (start {at('memory', 'rss_mb', 'start')} MB, peak {at('memory', 'rss_mb', 'peak')} MB)"
    row("Bot RSS after 10,000 messages", end, shown, "<= 150 MB", at_most(150))
    growth = at("memory", "growth_pct")
    shown = f"{growth}% (after warm-up: {at('memory', 'growth_after_warm_up_pct')}%)"
    row("Bot RSS growth over 10,000 messages", growth, shown, "<= 10%", at_most(10))
    count = at("api_errors", "count")
    row("Bot API errors, whole run", count, str(count), "0", at_most(0))
    return rows


def print_table(results: dict[str, Any]) -> None:
    """The targets table, and the RSS of every process."""
    rows = [("Target", "Measured", "Goal", ""), *table_rows(results)]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    print("==> Telegram targets (issue 4)", flush=True)
    for index, row in enumerate(rows):
        print("    " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print("    " + "  ".join("-" * width for width in widths))
    others = {key: _get(results, key, "machine_cores_busy", "other_processes_cores") for key, _title, _run in SCENARIOS}
    print(f"    Cores used by other processes meanwhile (of {os.cpu_count()}): {others}", flush=True)
    servers = _get(results, "memory", "servers_rss_mb")
    print(f"    RSS MB: bot {_get(results, 'memory', 'rss_mb')}; servers {servers}", flush=True)
    print(f"    Turn overhead breakdown (median ms): {_get(results, 'turn_overhead', 'breakdown_ms')}", flush=True)


def merge_results(telegram: dict[str, Any]) -> None:
    """Put these numbers under "telegram" in var/bench/results.json, keeping the other benchmarks' numbers."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["telegram"] = telegram
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"==> Written to {RESULTS.relative_to(PROJECT_ROOT)}", flush=True)


def main() -> None:
    """Measure with the current model (trained only if its inputs changed) and merge into results.json."""
    merge_results(measure(ensure_model().path))


if __name__ == "__main__":
    main()
