"""The bot under test as its own process (bench layer): started against a fresh Bot API stand-in, stopped after.

Runs `python -m bench.bot_process` with the settings of one scenario, so its memory and CPU can be measured apart
from the stand-in and the simulated users, which live in the benchmark process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.telegram_harness import ReplyClock, rss_mb
from services.paths import PROJECT_ROOT, VAR_DIR
from tests.telegram_standin import TOKEN, ApiError, BotApiStandIn

BOT_START_TIMEOUT = 60.0


class BotStartError(RuntimeError):
    """The bot process exited or did not register its commands in time; the message ends with its log."""


@dataclass(frozen=True)
class BotConfig:
    """How to start one bot process."""

    name: str
    database_url: str
    secret_key: str
    rasa_url: str
    concurrent_updates: int = 256
    messages_per_second: int = 1000
    trace: Path | None = None


def log_tail(path: Path, lines: int = 30) -> str:
    """The end of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextmanager
def bot_process(api: BotApiStandIn, config: BotConfig) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m bench.bot_process` polling `api`; ready once it has registered its default commands."""
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": config.database_url,
        "SECRET_KEY": config.secret_key,
        "RASA_URL": config.rasa_url,
        "TELEGRAM_CONCURRENT_UPDATES": str(config.concurrent_updates),
        "TELEGRAM_MESSAGES_PER_SECOND": str(config.messages_per_second),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    }
    environment.pop("YOLDOSH_BENCH_TRACE", None)
    if config.trace is not None:
        environment["YOLDOSH_BENCH_TRACE"] = str(config.trace)
    log_file = VAR_DIR / "log" / f"bench-bot-{config.name}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("wb") as log_stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.bot_process"],
            cwd=PROJECT_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log_stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + BOT_START_TIMEOUT
        while not any("language_code" not in call.params for call in api.calls_to("setMyCommands")):
            if process.poll() is not None or time.monotonic() > deadline:
                state = f"exited with code {process.returncode}" if process.poll() is not None else "did not start"
                raise BotStartError(f"bot process {state}; {log_file}:\n{log_tail(log_file)}")
            time.sleep(0.1)
        yield process
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM (PTB stops polling cleanly), then SIGKILL after `grace` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Line:
    """A stand-in, the clock on it and the bot process polling it: one scenario's Telegram."""

    api: BotApiStandIn
    clock: ReplyClock
    process: subprocess.Popen[bytes]
    config: BotConfig

    def rss_mb(self) -> float:
        """The bot process's resident memory, MB."""
        return rss_mb(self.process.pid)

    def alive(self) -> None:
        """Raise with the bot's log if its process has died."""
        if self.process.poll() is not None:
            log_file = VAR_DIR / "log" / f"bench-bot-{self.config.name}.log"
            raise BotStartError(f"bot process died (code {self.process.returncode}):\n{log_tail(log_file)}")


@contextmanager
def telegram_line(config: BotConfig, errors: list[ApiError], latency: float = 0.0) -> Iterator[Line]:
    """Start a stand-in and a bot process; the stand-in's refusals are added to `errors` at the end."""
    api = BotApiStandIn()
    api.start()
    api.latency(latency)
    try:
        with ReplyClock(api) as clock, bot_process(api, config) as process:
            yield Line(api, clock, process, config)
    finally:
        errors.extend(api.errors)
        api.stop()
