"""Simulated Telegram users for the load benchmark (bench layer): a clock on the bot's replies, turns, CPU and RSS.

The bot process long-polls a Bot API stand-in (tests/telegram_standin.py) running in this process; `ReplyClock`
stamps every message the bot sends as it reaches the stand-in, so a turn's latency runs from pushing the update to
the last reply of that turn arriving.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import socket
import statistics
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.telegram_standin import ApiCall, ApiError, BotApiStandIn, TelegramUser

REPLY_METHODS = frozenset({"sendMessage", "sendVenue"})
ANSWER_TIMEOUT = 10.0  # a turn with no reply by then counts as an error
USER_IDS = itertools.count(880_000_000 + random.randrange(1_000_000) * 100)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


MACHINE = "whole machine"


def machine_share() -> Callable[[], dict[str, float]]:
    """Start counting: the function returned tells the cores this benchmark's processes and all others kept busy."""

    def family() -> float:
        me = psutil.Process()
        times = me.cpu_times()
        used = times.user + times.system + times.children_user + times.children_system
        for child in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child_times = child.cpu_times()
                used += child_times.user + child_times.system
        return used

    def machine() -> float:
        times = psutil.cpu_times()
        return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))

    started, ours, everything = time.perf_counter(), family(), machine()

    def report() -> dict[str, float]:
        elapsed = time.perf_counter() - started
        ours_now, everything_now = family() - ours, machine() - everything
        return {
            "benchmark_cores": round(ours_now / elapsed, 2),
            "other_processes_cores": round(max(0.0, everything_now - ours_now) / elapsed, 2),
        }

    return report


class CpuMeter:
    """CPU time (user + system) each named process uses from now on, and what other processes use meanwhile."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._started = time.perf_counter()
        self._start = self._read()

    def _read(self) -> dict[str, float]:
        machine = psutil.cpu_times()
        used: dict[str, float] = {MACHINE: sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)}
        for name, pid in self._pids.items():
            try:
                times = psutil.Process(pid).cpu_times()
                used[name] = times.user + times.system
            except psutil.Error:
                used[name] = 0.0
        return used

    def report(self, turns: int) -> dict[str, Any]:
        """CPU ms per turn for each process, cores each kept busy, and how busy the whole machine was."""
        elapsed = time.perf_counter() - self._started
        used = {name: seconds - self._start[name] for name, seconds in self._read().items()}
        machine = used.pop(MACHINE)
        used["other processes"] = max(0.0, machine - sum(used.values()))
        return {
            "ms_per_turn": {name: round(seconds / max(turns, 1) * 1000, 2) for name, seconds in used.items()},
            "cores_busy": {name: round(seconds / elapsed, 2) for name, seconds in used.items()},
            "machine_busy_pct": round(machine / elapsed / (os.cpu_count() or 1) * 100),
        }


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50 and p95 in ms (nearest rank, as bench.run), and the count."""
    if not samples:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "n": 0}
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "n": len(ordered),
    }


class ReplyClock:
    """Stamps each message the bot sends (per chat, on time.perf_counter) and wakes the turns waiting for it.

    A thread sits in the stand-in's `wait_for`, whose predicate runs every time a request has been answered.
    """

    def __init__(self, api: BotApiStandIn) -> None:
        self.api = api
        self._stamps: dict[int, list[float]] = {}
        self._waiters: dict[int, list[tuple[int, asyncio.Future[float], asyncio.AbstractEventLoop]]] = {}
        self._seen_calls = 0
        self._seen_errors = 0
        self._refused: set[int] = set()
        self._guard = threading.Lock()
        self._stopping = False
        self._thread = threading.Thread(target=self._watch, name="reply-clock", daemon=True)

    def __enter__(self) -> ReplyClock:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping = True
        self._thread.join(2)

    def _watch(self) -> None:
        while not self._stopping:
            with contextlib.suppress(AssertionError):  # nothing new for a while
                self.api.wait_for(self._scan, timeout=0.5)

    def _scan(self, calls: list[ApiCall]) -> bool:
        """Runs with the stand-in's lock held: stamp new replies, settle satisfied waiters."""
        now = time.perf_counter()
        if len(calls) == self._seen_calls:
            return self._stopping
        fresh = calls[self._seen_calls :]
        self._seen_calls = len(calls)
        errors: list[ApiError] = self.api.errors
        self._refused.update(id(error.call) for error in errors[self._seen_errors :])
        self._seen_errors = len(errors)
        with self._guard:
            for call in fresh:
                if call.method not in REPLY_METHODS or id(call) in self._refused:
                    continue
                chat_id = int(str(call.params.get("chat_id")))
                stamps = self._stamps.setdefault(chat_id, [])
                stamps.append(now)
                waiting = self._waiters.get(chat_id)
                if waiting:
                    ready = [waiter for waiter in waiting if waiter[0] <= len(stamps)]
                    for number, future, loop in ready:
                        loop.call_soon_threadsafe(_settle, future, stamps[number - 1])
                        waiting.remove((number, future, loop))
        return True

    def count(self, chat_id: int) -> int:
        """Messages the bot has sent to this chat so far."""
        with self._guard:
            return len(self._stamps.get(chat_id, ()))

    def stamps(self, chat_id: int, start: int = 0) -> list[float]:
        """When each message to this chat arrived, from the `start`-th on."""
        with self._guard:
            return list(self._stamps.get(chat_id, ())[start:])

    async def nth(self, chat_id: int, number: int, deadline: float) -> float | None:
        """When the `number`-th message to this chat arrived; None if it has not by `deadline` (perf_counter)."""
        loop = asyncio.get_running_loop()
        with self._guard:
            stamps = self._stamps.get(chat_id, [])
            if len(stamps) >= number:
                return stamps[number - 1]
            future: asyncio.Future[float] = loop.create_future()
            waiter = (number, future, loop)
            self._waiters.setdefault(chat_id, []).append(waiter)
        try:
            return await asyncio.wait_for(future, max(deadline - time.perf_counter(), 0.0))
        except TimeoutError:
            return None
        finally:
            with self._guard:
                waiting = self._waiters.get(chat_id, [])
                if waiter in waiting:
                    waiting.remove(waiter)


def _settle(future: asyncio.Future[float], stamp: float) -> None:
    if not future.done():
        future.set_result(stamp)


@dataclass
class Turn:
    """One user action and the bot's answer to it, as seen at the stand-in."""

    pushed: float
    update_id: int
    expected: int
    first: float | None = None
    last: float | None = None
    replies: int = 0

    @property
    def answered(self) -> bool:
        """At least one reply arrived within ANSWER_TIMEOUT."""
        return self.first is not None

    @property
    def complete(self) -> bool:
        """Every reply expected for this turn arrived."""
        return self.replies >= self.expected

    @property
    def latency(self) -> float:
        """Seconds from pushing the update to its last reply arriving."""
        assert self.last is not None
        return self.last - self.pushed


@dataclass
class SimUser:
    """A person in a private chat with the bot, in one language."""

    person: TelegramUser
    locale: str
    turns: list[Turn] = field(default_factory=list)

    @property
    def chat_id(self) -> int:
        """The private chat's id (the user's id)."""
        return self.person.user_id


def new_user(api: BotApiStandIn, locale: str) -> SimUser:
    """A user never seen before, whose Telegram app speaks `locale`."""
    person = TelegramUser(api, user_id=next(USER_IDS), language_code=locale.split("_")[0])
    return SimUser(person, locale)


async def take_turn(
    clock: ReplyClock, user: SimUser, act: Callable[[], int], expected: int = 1, timeout: float = ANSWER_TIMEOUT
) -> Turn:
    """Do `act` (says/taps) and wait for the `expected` replies; an incomplete turn keeps the replies that came."""
    chat_id = user.chat_id
    base = clock.count(chat_id)
    pushed = time.perf_counter()
    turn = Turn(pushed=pushed, update_id=act(), expected=expected)
    deadline = pushed + timeout
    turn.first = await clock.nth(chat_id, base + 1, deadline)
    if turn.first is not None:
        turn.last = await clock.nth(chat_id, base + expected, deadline)
        arrived = clock.stamps(chat_id, base)
        turn.replies = len(arrived)
        if turn.last is None:
            turn.last = arrived[-1]
    user.turns.append(turn)
    return turn


async def say(clock: ReplyClock, user: SimUser, text: str, expected: int = 1) -> Turn:
    """The user writes `text` and waits for the bot's answer."""
    return await take_turn(clock, user, lambda: user.person.says(text), expected)


async def tap(clock: ReplyClock, user: SimUser, data: str, expected: int = 1) -> Turn:
    """The user taps the button with this callback data and waits for the bot's answer."""
    return await take_turn(clock, user, lambda: user.person.taps(data), expected)


async def onboard(clock: ReplyClock, user: SimUser) -> bool:
    """/start, pick the language, accept the terms, each after the previous reply, as a person does."""
    steps: list[Callable[[], Awaitable[Turn]]] = [
        lambda: say(clock, user, "/start"),
        lambda: tap(clock, user, f"lang|{user.locale}"),
        lambda: tap(clock, user, "consent:yes"),
    ]
    for step in steps:
        if not (await step()).answered:
            return False
    user.turns.clear()
    return True


async def onboard_all(clock: ReplyClock, users: Sequence[SimUser], at_once: int = 32) -> int:
    """Onboard every user, `at_once` at a time; returns how many failed."""
    gate = asyncio.Semaphore(at_once)

    async def one(user: SimUser) -> bool:
        async with gate:
            return await onboard(clock, user)

    return sum(not done for done in await asyncio.gather(*(one(user) for user in users)))


def rendered_replies(messages: list[dict[str, Any]]) -> int:
    """How many Telegram messages the bot makes of Rasa's answer (a text each; an empty answer gets the menu)."""
    return max(1, sum(1 for message in messages if message.get("text")))


async def rasa_turn(http: httpx.AsyncClient, sender: str, locale: str, text: str) -> tuple[float, list[dict[str, Any]]]:
    """One turn straight to Rasa's REST webhook, with the metadata the bot sends; seconds and Rasa's answer."""
    body = {"sender": sender, "message": text, "metadata": {"locale": locale, "country": None}}
    started = time.perf_counter()
    response = await http.post("/webhooks/rest/webhook", json=body)
    response.raise_for_status()
    answer = response.json()
    return time.perf_counter() - started, answer
