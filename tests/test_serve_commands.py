"""`yoldosh prepare`, `serve-actions` and `serve-bot`, one component each, as the containers run them: refusals and
`prepare` in this process, the two servers as real processes (the bot by webhook against the Bot API stand-in, with
/healthz, /readyz, /metrics and JSON logs)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.cli.main import main
from bot.processes import ServerSpec, running_server
from services.paths import PROJECT_ROOT
from tests.conftest import free_port
from tests.telegram_standin import TOKEN, BotApiStandIn
from tests.test_telegram_channel import _update

SECRET = "serve-commands-secret-key-0123456789abcdef"
WEBHOOK_SECRET = "serve-commands-webhook-secret"
YOLDOSH = [sys.executable, "-m", "bot.cli.main"]


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """What a container is given: its settings in the environment (this process's too), nothing generated."""
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'yoldosh.db'}",
        "SECRET_KEY": SECRET,
        "LOG_FORMAT": "text",
        "TELEGRAM_BOT_TOKEN": "",
        "HEALTH_PORT": "",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return settings


@pytest.fixture
def prepared(environment: dict[str, str], capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """The environment, its database made ready by `yoldosh prepare`."""
    assert main(["prepare"]) == 0
    assert capsys.readouterr().out.startswith("database at revision ")
    assert main(["db", "status"]) == 0, "prepare left the schema at its newest"
    return environment


def test_every_serve_command_refuses_to_make_up_a_secret_key(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SECRET_KEY", "")
    for command in ("prepare", "serve-actions", "serve-bot"):
        assert main([command]) == 2, command
        assert "SECRET_KEY: required" in capsys.readouterr().err


def test_serve_bot_needs_a_token_and_a_prepared_database(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve-bot"]) == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    assert main(["serve-bot"]) == 1
    refusal = capsys.readouterr().err
    assert "database at revision blank" in refusal and "run `yoldosh prepare`" in refusal
    with pytest.raises(SystemExit):
        main(["serve-bot", "--webhook", "http://example.org/telegram"])
    assert "must be an https:// URL" in capsys.readouterr().err


def test_serve_actions_serves_the_action_server_alone(prepared: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    spec = ServerSpec(
        name="action server",
        command=[*YOLDOSH, "serve-actions"],
        health_url=f"http://127.0.0.1:{port}/health",
        log_file=tmp_path / "actions.log",
        cwd=PROJECT_ROOT,
        environment={**prepared, "ACTION_SERVER_HOST": "127.0.0.1", "ACTION_SERVER_PORT": str(port)},
        ready_timeout=60,
    )
    with running_server(spec):
        reply = httpx.post(
            f"http://127.0.0.1:{port}/nlg",
            json={"response": "utter_greet", "arguments": {}, "tracker": {"slots": {}, "latest_message": {}}},
            timeout=10,
        )
    assert reply.status_code == 200 and reply.json()["text"], "a reply from the catalogs, so the database is open"


@pytest.fixture
def api() -> Iterator[BotApiStandIn]:
    """A Bot API stand-in for the bot process to talk to."""
    standin = BotApiStandIn()
    standin.start()
    yield standin
    standin.stop()


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None


def _metric(text: str, name: str, labels: dict[str, str] | None = None) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in (labels or {}).items()):
                return float(sample.value)
    return None


async def test_serve_bot_by_webhook_with_health_readiness_metrics_and_json_logs(
    prepared: dict[str, str], api: BotApiStandIn, tmp_path: Path
) -> None:
    webhook_port, health_port = free_port(), free_port()
    health = f"http://127.0.0.1:{health_port}"
    settings = {
        **prepared,
        "LOG_FORMAT": "json",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "RASA_URL": f"http://127.0.0.1:{free_port()}",  # no Rasa: the bot serves, but is not ready
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(webhook_port),
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "HEALTH_PORT": str(health_port),
    }
    log_file = tmp_path / "bot.log"
    with log_file.open("w") as logs:
        bot = subprocess.Popen(
            [*YOLDOSH, "serve-bot", "--webhook", "https://help.example.org/telegram"],
            env={**os.environ, **settings},
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=logs,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while (alive := await asyncio.to_thread(_get, f"{health}/healthz")) is None:
            assert bot.poll() is None and time.monotonic() < deadline, log_file.read_text()
            await asyncio.sleep(0.3)
        assert alive.status_code == 200 and alive.json() == {"status": "alive"}
        ready = await asyncio.to_thread(_get, f"{health}/readyz")
        assert ready is not None and ready.status_code == 503
        assert ready.json()["checks"] == {"database": True, "rasa": False}
        await api.until(lambda calls: any(c.method == "setWebhook" for c in calls), timeout=20)
        assert api.calls_to("setWebhook")[0].params["url"] == "https://help.example.org/telegram"

        api.known_chat(6_668_001)
        async with httpx.AsyncClient() as client:
            answered = await client.post(
                f"http://127.0.0.1:{webhook_port}/telegram",
                json=_update(990001, 6_668_001, "/start"),
                headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
            )
        assert answered.status_code == 200
        await api.until(lambda calls: any(c.method == "sendMessage" for c in calls), timeout=20)
        metrics = await asyncio.to_thread(_get, f"{health}/metrics")
        assert metrics is not None and metrics.status_code == 200
        assert _metric(metrics.text, "yoldosh_turns_total", {"channel": "telegram", "kind": "text"}) == 1.0
        assert _metric(metrics.text, "yoldosh_outbox_backlog") == 0.0
    finally:
        os.killpg(bot.pid, signal.SIGTERM)
        code = await asyncio.to_thread(bot.wait, 30)
    assert code == 0, log_file.read_text()[-3000:]
    lines = [line for line in log_file.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "event"} <= set(records[0])
    assert any(record["logger"] == "bot.health" for record in records)
    assert not any("/start" in line for line in lines), "no message text in the logs"
