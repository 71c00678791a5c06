"""The scale-out topology as separate processes, for tests/test_topology.py and bench/topology.py.

Each component runs as its container runs it: `yoldosh prepare` once, `yoldosh serve-actions`, `rasa run` with
nlu/endpoints.production.yml (SQL tracker store on PostgreSQL, Redis lock store; its variables point at this
machine's servers) and `yoldosh serve-bot --webhook` workers, all on one scratch PostgreSQL database. Every process
logs to a file of its own. Updates are POSTed straight to a chosen worker's webhook port, as Telegram would.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.processes import ServerSpec, running_server, started_server, wait_ready
from bot.rasa.training import RASA_VENV, rasa_environment
from services.paths import NLU_DIR, PROJECT_ROOT
from tests.telegram_standin import TOKEN, BotApiStandIn

SECRET = "topology-secret-key-0123456789abcdef0123"
WEBHOOK_SECRET = "topology-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
YOLDOSH = [sys.executable, "-m", "bot.cli.main"]
# Rasa's lock store: a Redis database of the topology's own (YOLDOSH_TEST_REDIS_DB), keys under Rasa's prefix.
REDIS_URL = os.environ.get("YOLDOSH_TEST_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_DB = int(os.environ.get("YOLDOSH_TEST_REDIS_DB", "11"))
LOCK_KEYS = "yoldosh:lock:*"  # endpoints.production.yml's key_prefix "yoldosh", then Rasa's own "lock:"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WebhookStandIn(BotApiStandIn):
    """The Bot API stand-in whose users' updates are numbered and remembered, then POSTed by the test to a worker
    of its choice (not to the one webhook URL the stand-in holds: every worker sets the same one)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.taken: dict[int, dict[str, Any]] = {}

    def push_update(self, update: dict[str, Any]) -> int:
        """Number the update and learn from it, as Telegram does on arrival; the caller delivers it."""
        with self._lock:
            numbered = self._take_in(update)
            self.taken[int(numbered["update_id"])] = numbered
        return int(numbered["update_id"])


@dataclass
class Worker:
    """One bot webhook worker: where to POST updates, its process and log."""

    name: str
    webhook: str
    health: str
    pid: int
    log_file: Path


@dataclass
class Topology:
    """The running processes: their pids by name, the workers, the Rasa URLs, the database."""

    database_url: str
    rasa_urls: list[str]
    workers: list[Worker] = field(default_factory=list)
    pids: dict[str, int] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)


def _settings(database_url: str) -> dict[str, str]:
    """What every app container is given: the database and the shared secret (no .env guesswork)."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "OLD_SECRET_KEYS": "",
        "PSEUDONYM_KEY": "",
        "LOG_FORMAT": "text",
        "TELEGRAM_BOT_TOKEN": "",
        "HEALTH_PORT": "",
        "COUNSELOR_CHAT_ID": "",
        "TRACKER_STORE_URL": "",
        "RASA_TELEMETRY_ENABLED": "false",
    }


def prepare(database_url: str, log_file: Path) -> None:
    """`yoldosh prepare` as the one-shot container runs it."""
    with log_file.open("ab") as log:
        subprocess.run(
            [*YOLDOSH, "prepare"],
            env={**os.environ, **_settings(database_url)},
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=600,
        )


def action_server_spec(database_url: str, port: int, log_file: Path) -> ServerSpec:
    """`yoldosh serve-actions` on `port`."""
    return ServerSpec(
        name="action server",
        command=[*YOLDOSH, "serve-actions"],
        health_url=f"http://127.0.0.1:{port}/health",
        log_file=log_file,
        cwd=PROJECT_ROOT,
        environment={
            **_settings(database_url),
            "ACTION_SERVER_HOST": "127.0.0.1",
            "ACTION_SERVER_PORT": str(port),
        },
        ready_timeout=180,
    )


def rasa_replica_spec(
    name: str, model: Path, *, database_url: str, port: int, actions_port: int, log_file: Path
) -> ServerSpec:
    """`rasa run` as the rasa container runs it: endpoints.production.yml, this machine's PostgreSQL and Redis."""
    database = make_url(database_url)
    redis = make_url(REDIS_URL.replace("redis://", "redis+x://", 1))
    environment = rasa_environment()
    environment.update(
        YOLDOSH_ACTION_ENDPOINT=f"http://127.0.0.1:{actions_port}/webhook",
        YOLDOSH_NLG_ENDPOINT=f"http://127.0.0.1:{actions_port}/nlg",
        POSTGRES_HOST=database.host or "127.0.0.1",
        POSTGRES_PORT=str(database.port or 5432),
        POSTGRES_DB=str(database.database),
        POSTGRES_USER=database.username or "postgres",
        POSTGRES_PASSWORD=database.password or "",  # type: ignore[arg-type]
        REDIS_HOST=redis.host or "127.0.0.1",
        REDIS_PORT=str(redis.port or 6379),
        REDIS_DB=str(REDIS_DB),
        REDIS_PASSWORD=redis.password or "",  # type: ignore[arg-type]
    )
    return ServerSpec(
        name=name,
        command=[
            str(RASA_VENV / "bin" / "rasa"),
            "run",
            "--model",
            str(model),
            "--endpoints",
            str(NLU_DIR / "endpoints.production.yml"),
            "--credentials",
            str(NLU_DIR / "credentials.yml"),
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        health_url=f"http://127.0.0.1:{port}/",
        log_file=log_file,
        cwd=NLU_DIR,
        environment=environment,
        ready_timeout=600,
    )


def bot_worker_spec(
    name: str, *, database_url: str, api: BotApiStandIn, rasa_url: str, webhook_port: int, health_port: int, log: Path
) -> ServerSpec:
    """`yoldosh serve-bot --webhook` on its own webhook and health ports; ready once /readyz sees the database and
    its Rasa."""
    return ServerSpec(
        name=name,
        command=[*YOLDOSH, "serve-bot", "--webhook", "https://topology.example.org/telegram"],
        health_url=f"http://127.0.0.1:{health_port}/readyz",  # 503 (not ready) counts as not yet
        log_file=log,
        cwd=PROJECT_ROOT,
        environment={
            **_settings(database_url),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "RASA_URL": rasa_url,
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(webhook_port),
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "HEALTH_LISTEN": "127.0.0.1",
            "HEALTH_PORT": str(health_port),
        },
        ready_timeout=240,
    )


def _has_events_table(database_url: str) -> bool:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return bool(connection.scalar(text("SELECT to_regclass('public.events') IS NOT NULL")))
    finally:
        engine.dispose()


def _wait_for(predicate: Any, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.5)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def running_rasa_replicas(
    model: Path, *, database_url: str, actions_port: int, replicas: int, logs: Path
) -> Iterator[list[tuple[str, int]]]:
    """`replicas` Rasa servers on one tracker store and one lock store: (URL, pid) each. The first creates the
    tracker store's table before the others start (they would race to create it); they then load side by side."""
    with ExitStack() as stack:
        started: list[tuple[str, int]] = []
        pending: list[tuple[ServerSpec, subprocess.Popen[bytes]]] = []
        for index in range(replicas):
            port = free_port()
            spec = rasa_replica_spec(
                f"Rasa {index + 1}",
                model,
                database_url=database_url,
                port=port,
                actions_port=actions_port,
                log_file=logs / f"rasa-{index + 1}.log",
            )
            process = stack.enter_context(started_server(spec))
            pending.append((spec, process))
            if index == 0:
                _wait_for(lambda: _has_events_table(database_url), "Rasa's tracker store table", 300)
        for spec, process in pending:
            wait_ready(spec, process)
            started.append((spec.health_url.rstrip("/"), process.pid))
        yield started


@contextmanager
def running_bot_workers(
    count: int, *, database_url: str, api: BotApiStandIn, rasa_urls: list[str], logs: Path
) -> Iterator[list[Worker]]:
    """`count` webhook workers, worker i talking to Rasa i (round robin), each ready and listening."""
    with ExitStack() as stack:
        workers = []
        for index in range(count):
            name = "AB"[index] if count <= 2 else str(index + 1)
            webhook_port, health_port = free_port(), free_port()
            log = logs / f"bot-{name}.log"
            spec = bot_worker_spec(
                f"bot worker {name}",
                database_url=database_url,
                api=api,
                rasa_url=rasa_urls[index % len(rasa_urls)],
                webhook_port=webhook_port,
                health_port=health_port,
                log=log,
            )
            process = stack.enter_context(running_server(spec))
            _wait_for(lambda port=webhook_port: _listening(port), f"{spec.name}'s webhook port", 120)
            workers.append(
                Worker(
                    name=name,
                    webhook=f"http://127.0.0.1:{webhook_port}/telegram",
                    health=f"http://127.0.0.1:{health_port}",
                    pid=process.pid,
                    log_file=log,
                )
            )
        yield workers


async def deliver(client: httpx.AsyncClient, worker: Worker, update: dict[str, Any]) -> None:
    """POST one update to a worker as Telegram does; Telegram would retry anything but 200, so must we not."""
    answer = await client.post(worker.webhook, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}, timeout=120)
    assert answer.status_code == 200, f"worker {worker.name} answered {answer.status_code}"


def redis_lock_keys() -> list[str]:
    """Rasa's lock keys now in the topology's Redis database."""
    return _redis("--scan", "--pattern", LOCK_KEYS).split()


def redis_lock_clients() -> int:
    """Connections to the topology's Redis database other than redis-cli's own (Rasa's lock stores' pools)."""
    clients = _redis("CLIENT", "LIST").splitlines()
    return sum(1 for line in clients if f" db={REDIS_DB} " in f" {line} " and "cmd=client" not in line)


def clear_redis_locks() -> None:
    """Delete the topology's lock keys (only those: the database may be someone else's too)."""
    for key in redis_lock_keys():
        _redis("DEL", key)


def _redis(*arguments: str) -> str:
    redis = make_url(REDIS_URL.replace("redis://", "redis+x://", 1))
    command = ["redis-cli", "-h", redis.host or "127.0.0.1", "-p", str(redis.port or 6379), "-n", str(REDIS_DB)]
    environment = {**os.environ, **({"REDISCLI_AUTH": str(redis.password)} if redis.password else {})}
    return subprocess.run([*command, *arguments], capture_output=True, text=True, check=True, env=environment).stdout


def rss_mb(pid: int, *, children: bool = True) -> float:
    """Resident memory (VmRSS) of a process and, with `children`, of its descendants (Sanic's worker), MB."""
    pids = [pid]
    if children:
        with contextlib.suppress(psutil.Error):
            pids += [child.pid for child in psutil.Process(pid).children(recursive=True)]
    total = 0
    for one in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1)
