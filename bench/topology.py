"""Scale-out benchmark (bench layer): Rasa turns per second with one Rasa replica and with two, and the resident
memory of each process of the topology (bot webhook worker, action server, Rasa).

The processes are those of tests/topology.py, as the containers run them: a scratch PostgreSQL database prepared
by `yoldosh prepare`, one action server, two `rasa run` replicas on one SQL tracker store (that database) and one
Redis lock store, two `yoldosh serve-bot --webhook` workers (one per replica) and the Bot API stand-in.

Throughput is a closed loop of SENDERS concurrent senders straight to Rasa's REST webhook (the bot's own overhead
is measured by bench.telegram_load): each sends one message, waits for the answer, sends the next. "1 replica"
sends every turn to replica 1; "2 replicas" sends each turn to either at random (as the bot workers' Rasa URLs
spread a user's turns), so a conversation moves between replicas through the tracker store and the lock store.
Both replicas run in both phases (one idles in the first). CPU per process is counted meanwhile: on this machine
every process shares the same cores, so the second replica can only use what the first leaves free.

RSS is VmRSS from /proc/<pid>/status with the process's children (the action server's Sanic worker), after a
warm-up (every replica and both bot workers have answered a few users) and after the load (the throughput phases
and users through the bot workers).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import statistics
import textwrap
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.telegram_harness import CpuMeter
from bot.processes import running_server
from bot.rasa.training import ensure_model
from services.paths import VAR_DIR
from tests.telegram_standin import TelegramUser
from tests.topology import (
    WebhookStandIn,
    Worker,
    action_server_spec,
    clear_redis_locks,
    deliver,
    free_port,
    prepare,
    rss_mb,
    running_bot_workers,
    running_rasa_replicas,
)

SENDERS = 16
WARM_UP_SECONDS = 8.0
MEASURE_SECONDS = 45.0
BOT_USERS = 24
BOT_MESSAGES = ("hello", "/help", "I need a doctor in Almaty", "thank you", "are you a bot?", "/privacy")
# What senders say, in turn: small talk (rules and a response from the action server's NLG) and service
# questions (a custom action reading the directory).
TURN_MESSAGES = (
    ("en", "hello"),
    ("ru", "нужен врач в Бишкеке"),
    ("en", "thank you"),
    ("uz", "Andijonda ayollar vrachi kerak"),
    ("en", "are you a bot?"),
    ("kk", "сәлеметсіз бе"),
)
POSTGRES = ("postgres", "postmaster")  # every backend, this benchmark's and any other's on the server
LOGS = VAR_DIR / "bench" / "topology"


@contextmanager
def _scratch_postgres() -> Iterator[str]:
    admin_url = os.environ.get("YOLDOSH_TEST_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    admin_url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"yoldosh_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _cpu_seconds_of(names: tuple[str, ...]) -> float:
    """CPU seconds (user + system) used so far by every process with one of these names (PostgreSQL's backends)."""
    total = 0.0
    for process in psutil.process_iter(["name"]):
        if process.info["name"] in names:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
    return total


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples) or [float("nan")]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000),
    }


async def _closed_loop(rasa_urls: list[str], seconds: float, pids: dict[str, int]) -> dict[str, Any]:
    """SENDERS senders, each one turn at a time to a replica picked at random, for `seconds` after a warm-up."""
    rng = random.Random(len(rasa_urls))
    latencies: list[float] = []
    errors = 0
    measuring = False
    stop_at = float("inf")

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal errors
        name, turn = f"bench-{uuid.uuid4().hex[:12]}", rng.randrange(len(TURN_MESSAGES))
        while time.monotonic() < stop_at:
            locale, message = TURN_MESSAGES[turn % len(TURN_MESSAGES)]
            turn += 1
            body = {"sender": name, "message": message, "metadata": {"locale": locale}}
            started = time.perf_counter()
            try:
                answer = await client.post(f"{rng.choice(rasa_urls)}/webhooks/rest/webhook", json=body, timeout=60)
                answer.raise_for_status()
                ok = bool(answer.json())
            except httpx.HTTPError:
                ok = False
            if measuring and time.monotonic() < stop_at:
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=SENDERS * 2)) as client:
        stop_at = time.monotonic() + WARM_UP_SECONDS + seconds
        tasks = [asyncio.create_task(sender(client)) for _ in range(SENDERS)]
        await asyncio.sleep(WARM_UP_SECONDS)
        measuring, started = True, time.monotonic()
        cpu, database = CpuMeter({**pids, "bench senders": os.getpid()}), _cpu_seconds_of(POSTGRES)
        await asyncio.sleep(seconds)
        report = cpu.report(len(latencies))
        elapsed = time.monotonic() - started
        cores = report["cores_busy"]
        cores["PostgreSQL"] = round((_cpu_seconds_of(POSTGRES) - database) / elapsed, 2)
        cores["other processes"] = round(max(0.0, cores["other processes"] - cores["PostgreSQL"]), 2)
        await asyncio.gather(*tasks)
    return {
        "turns_per_second": round(len(latencies) / elapsed, 2),
        "turns": len(latencies),
        "errors": errors,
        **_ms(latencies),
        "cores_busy": {name: value for name, value in cores.items() if not name.startswith("bot worker")},
        "cpu_ms_per_turn": {
            "Rasa": round(sum(ms for name, ms in report["ms_per_turn"].items() if name.startswith("Rasa")), 1),
            "action server": report["ms_per_turn"]["action server"],
            "PostgreSQL": round(cores["PostgreSQL"] * elapsed / max(len(latencies), 1) * 1000, 1),
        },
        "machine_busy_pct": report["machine_busy_pct"],
    }


def _update(api: WebhookStandIn, update_id: int) -> dict[str, Any]:
    with api._lock:
        return api.taken.pop(update_id)


def _sent_to(api: WebhookStandIn, chat: int) -> int:
    return sum(1 for call in api.calls_to("sendMessage") if int(call.params["chat_id"]) == chat)


async def _until_sent(api: WebhookStandIn, chat: int, count: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while _sent_to(api, chat) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.3)


async def _through_the_bot(api: WebhookStandIn, workers: list[Worker], users: int, first_id: int) -> dict[str, Any]:
    """`users` users consent, then say BOT_MESSAGES one after another (each after the bot's answer), every update
    to a worker picked at random; turns per second through the bot, reply counted when the first message lands."""
    rng = random.Random(first_id)
    latencies: list[float] = []

    async def person(client: httpx.AsyncClient, user: TelegramUser) -> None:
        await deliver(client, rng.choice(workers), _update(api, user.says("/start")))
        for button in ("lang|en", "consent:yes"):
            deadline = time.monotonic() + 120
            while not any(button in str(m.get("reply_markup", "")) for m in api.messages_in(user.user_id)):
                if time.monotonic() > deadline:
                    return
                await asyncio.sleep(0.3)
            await deliver(client, rng.choice(workers), _update(api, user.taps(button)))
        await _until_sent(api, user.user_id, 3)
        for message in BOT_MESSAGES:
            before, started = _sent_to(api, user.user_id), time.perf_counter()
            await deliver(client, rng.choice(workers), _update(api, user.says(message)))
            await _until_sent(api, user.user_id, before + 1, timeout=60)
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(1.0)  # let a second reply of the same turn land before counting again

    people = [TelegramUser(api, user_id=first_id + n, language_code="en") for n in range(users)]
    started = time.monotonic()
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=users * 2)) as client:
        await asyncio.gather(*(person(client, user) for user in people))
    return {"users": users, "messages": len(latencies), "seconds": round(time.monotonic() - started), **_ms(latencies)}


def _memory(pids: dict[str, int]) -> dict[str, float]:
    return {name: rss_mb(pid) for name, pid in pids.items()}


def measure(model: Path | None = None) -> dict[str, Any]:
    """Start the topology, warm it up, measure 1 vs 2 replicas and memory; returns the numbers."""
    model = model or ensure_model().path
    LOGS.mkdir(parents=True, exist_ok=True)
    for old in LOGS.glob("*.log"):
        old.unlink()
    clear_redis_locks()
    api = WebhookStandIn()
    api.start()
    results: dict[str, Any] = {"senders": SENDERS, "measure_seconds": MEASURE_SECONDS, "cores": os.cpu_count()}
    try:
        with _scratch_postgres() as database_url, ExitStack() as stack:
            started = time.monotonic()
            prepare(database_url, LOGS / "prepare.log")
            actions_port = free_port()
            actions = stack.enter_context(
                running_server(action_server_spec(database_url, actions_port, LOGS / "actions.log"))
            )
            rasa = stack.enter_context(
                running_rasa_replicas(
                    model, database_url=database_url, actions_port=actions_port, replicas=2, logs=LOGS
                )
            )
            urls = [url for url, _pid in rasa]
            workers = stack.enter_context(
                running_bot_workers(2, database_url=database_url, api=api, rasa_urls=urls, logs=LOGS)
            )
            results["start_seconds"] = round(time.monotonic() - started)
            pids = {
                "bot worker A": workers[0].pid,
                "bot worker B": workers[1].pid,
                "action server": actions.pid,
                "Rasa 1": rasa[0][1],
                "Rasa 2": rasa[1][1],
            }
            print(f"    topology up in {results['start_seconds']} s (logs: {LOGS})", flush=True)
            results["rss_mb_started"] = _memory(pids)
            warm = asyncio.run(_through_the_bot(api, workers, 8, 8_200_000_000))
            for url in urls:
                with httpx.Client(timeout=60) as client:
                    for locale, message in TURN_MESSAGES * 2:
                        body = {"sender": "bench-warm-up", "message": message, "metadata": {"locale": locale}}
                        client.post(f"{url}/webhooks/rest/webhook", json=body).raise_for_status()
            results["rss_mb_warm"] = _memory(pids)
            print(f"    warm-up through the bot: {warm}", flush=True)
            for replicas in (1, 2):
                phase = asyncio.run(_closed_loop(urls[:replicas], MEASURE_SECONDS, pids))
                results[f"replicas_{replicas}"] = phase
                print(f"    {replicas} replica(s): {phase}", flush=True)
            results["through_the_bot"] = asyncio.run(_through_the_bot(api, workers, BOT_USERS, 8_300_000_000))
            print(f"    through the bot, 2 workers and 2 replicas: {results['through_the_bot']}", flush=True)
            results["rss_mb_loaded"] = _memory(pids)
            one, two = results["replicas_1"]["turns_per_second"], results["replicas_2"]["turns_per_second"]
            results["ratio"] = round(two / one, 2) if one else None
    finally:
        api.stop()
        clear_redis_locks()
    return results


def table(results: dict[str, Any]) -> str:
    """The numbers as a readable table."""
    lines = [
        f"Rasa turns, closed loop of {results['senders']} senders to the REST webhook, {results['measure_seconds']:.0f}"
        f" s each, {results['cores']} cores shared by every process:",
        f"  {'':<12}{'turns/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}   cores busy (machine busy)",
    ]
    for replicas in (1, 2):
        phase = results[f"replicas_{replicas}"]
        busy = ", ".join(f"{name} {cores}" for name, cores in phase["cores_busy"].items())
        lines.append(
            f"  {replicas} replica{'s' if replicas > 1 else ' '}  {phase['turns_per_second']:>9}{phase['p50_ms']:>9}"
            f"{phase['p95_ms']:>9}{phase['errors']:>8}   {busy} ({phase['machine_busy_pct']} %)"
        )
    lines.append(f"  ratio 2 : 1 = {results['ratio']} (ideal 2.0)")
    lines.append(textwrap.fill(gap(results), 116, initial_indent="  ", subsequent_indent="  "))
    lines.append("RSS per process, MB (with children):")
    lines.append(f"  {'':<16}{'started':>9}{'warm':>9}{'loaded':>9}")
    for name in results["rss_mb_warm"]:
        lines.append(
            f"  {name:<16}{results['rss_mb_started'][name]:>9}{results['rss_mb_warm'][name]:>9}"
            f"{results['rss_mb_loaded'][name]:>9}"
        )
    bot = results["through_the_bot"]
    lines.append(
        f"Through the bot (2 workers, 2 replicas): {bot['users']} users, {bot['messages']} messages in "
        f"{bot['seconds']} s, first reply p50 {bot['p50_ms']} ms, p95 {bot['p95_ms']} ms"
    )
    return "\n".join(lines)


def gap(results: dict[str, Any]) -> str:
    """Why the ratio is what it is, from the CPU counted in the two phases."""
    one, two = results["replicas_1"], results["replicas_2"]
    rasa_one = one["cores_busy"]["Rasa 1"]
    rasa_two = round(two["cores_busy"]["Rasa 1"] + two["cores_busy"]["Rasa 2"], 2)
    cost = one["cpu_ms_per_turn"]
    ceiling = round(1000 / cost["Rasa"], 1) if cost["Rasa"] else "?"
    return (
        f"Why not 2x: a Rasa replica is one Python process (one event loop), so it uses at most about one core; here "
        f"Rasa used {rasa_one} cores with one replica and {rasa_two} with two, while the machine was "
        f"{one['machine_busy_pct']} % and {two['machine_busy_pct']} % busy: the {results['cores']} cores are shared by "
        f"both replicas, the action server, PostgreSQL, the senders and other jobs, so the second replica only gets "
        f"what the first leaves idle. Twice the turns need twice the CPU (a replica per core or per node). "
        f"A turn costs Rasa {cost['Rasa']} ms of CPU (action server {cost['action server']} ms, PostgreSQL "
        f"{cost['PostgreSQL']} ms), so one free core per replica would allow about {ceiling} turns/s each."
    )


def main() -> None:
    """`python -m bench.topology`: this benchmark alone."""
    print(table(measure()))


if __name__ == "__main__":
    main()
