"""Logs never carry who someone is, what they wrote, or the bot token: a whole conversation with canary values
through `yoldosh run` (the bot, the action server and Rasa as real processes, Telegram as the Bot API stand-in),
then every log line of the three is searched for the canaries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.paths import PROJECT_ROOT, VAR_DIR
from tests.conftest import free_port
from tests.telegram_standin import BotApiStandIn, ForumMember, TelegramUser
from tests.telegram_standin.protocol import TOKEN

pytestmark = pytest.mark.rasa

CANARY_ID = 7_319_990_001
CANARY_NAME = "Zulfiyaxon"
CANARY_SURNAME = "Kanareykova"
CANARY_PHONE = "+998905551234"
CANARY_WORD = "Qorabuloqcanary"
DESK_CHAT = -1003199900011
COUNSELOR_ID = 7_319_990_777
CANARIES = (
    str(CANARY_ID),
    CANARY_NAME,
    CANARY_SURNAME,
    CANARY_PHONE,
    CANARY_PHONE.lstrip("+"),
    CANARY_WORD,
    str(COUNSELOR_ID),
    "CounselorCanary",
    TOKEN,  # the bot token, in URLs or anywhere else
    TOKEN.split(":")[1],
)
LOGS = (VAR_DIR / "log" / "rasa.log", VAR_DIR / "log" / "action-server.log")


@pytest.fixture
def log_offsets() -> dict[Path, int]:
    """Where the shared server logs end now: only what this test's processes write is read."""
    return {path: path.stat().st_size if path.exists() else 0 for path in LOGS}


def _new_lines(offsets: dict[Path, int]) -> str:
    texts = []
    for path, offset in offsets.items():
        if path.exists():
            with path.open("rb") as stream:
                stream.seek(offset)
                texts.append(stream.read().decode("utf-8", "replace"))
    return "\n".join(texts)


@pytest.fixture
def yoldosh(
    api: BotApiStandIn, tmp_path: Path, model: Path, log_offsets: dict[Path, int]
) -> Iterator[subprocess.Popen[bytes]]:
    """`yoldosh run` serving Telegram against the stand-in, with its counselor desk."""
    database = tmp_path / "canary.db"
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "k" * 40,
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "ACTION_SERVER_PORT": str(free_port()),
        "COUNSELOR_CHAT_ID": str(DESK_CHAT),
        "COUNSELOR_DESK_LOCALE": "en",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "counselor", "add", str(COUNSELOR_ID), "--alias", "CounselorCanary"],
        env=environment,
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    output = (tmp_path / "yoldosh-run.log").open("w")  # a file, not a pipe: a full pipe would stall the bot
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "run"], env=environment, cwd=PROJECT_ROOT, stdout=output, stderr=output
    )
    yield process
    output.close()
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_whole_conversation_leaves_no_identity_or_words_in_any_log(
    api: BotApiStandIn, yoldosh: subprocess.Popen[bytes], log_offsets: dict[Path, int], tmp_path: Path
) -> None:
    api.add_supergroup(DESK_CHAT)
    api.wait_for(lambda calls: any(call.method == "deleteWebhook" for call in calls), timeout=300)
    user = TelegramUser(api, user_id=CANARY_ID, language_code="uz", first_name=CANARY_NAME)
    counselor = ForumMember(api, DESK_CHAT, COUNSELOR_ID, "CounselorCanary")

    def answered(count: int, timeout: float = 60) -> None:
        api.wait_for(lambda _calls: len(user.sees()) >= count, timeout=timeout)

    user.says("/start")
    answered(1)
    user.taps("lang|uz")
    user.taps("consent:yes")
    answered(3)
    user.says(f"Salom, men {CANARY_NAME} {CANARY_SURNAME}, telefonim {CANARY_PHONE}")
    answered(4)
    user.says(f"{CANARY_WORD} mahallasida Andijonda bolamga shifokor kerak")
    answered(5)
    user.sends_contact(phone_number=CANARY_PHONE, first_name=CANARY_NAME)
    answered(6)
    seen = len(user.sees())
    user.says(f"Meni xonaga qamab qo'yishdi, {CANARY_WORD} ko'chasi, {CANARY_PHONE}")
    answered(seen + 2)
    api.wait_for(lambda _calls: any(CANARY_WORD in line for line in counselor.sees()), timeout=30)
    topic = next(m["message_thread_id"] for m in counselor.bot_messages() if CANARY_WORD in str(m.get("text")))
    claim = next(data for m in counselor.bot_messages(topic) for data in _buttons(m) if data.startswith("dkc|"))
    counselor.taps(claim)
    counselor.says(f"{CANARY_NAME}, men shu yerdaman", topic)
    api.wait_for(lambda _calls: any(f"{CANARY_NAME}, men shu yerdaman" in line for line in user.sees()), timeout=30)
    counselor.says(f"/note {CANARY_SURNAME} {CANARY_PHONE}", topic)
    counselor.says("/close helped", topic)
    api.wait_for(lambda _calls: any(call.method == "closeForumTopic" for call in _calls), timeout=30)

    yoldosh.send_signal(signal.SIGINT)
    yoldosh.wait(timeout=90)
    output = (tmp_path / "yoldosh-run.log").read_text(encoding="utf-8", errors="replace")
    logs = output + "\n" + _new_lines(log_offsets)
    assert "Serving Telegram" in output and len(logs.splitlines()) > 10, "the processes did log"
    leaked = [canary for canary in CANARIES if canary in logs]
    assert not leaked, f"found in the logs: {leaked}"


def _buttons(message: dict[str, object]) -> list[str]:
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return [str(button.get("callback_data")) for row in rows for button in row]


def test_canaries_are_distinct_from_everything_yoldosh_ships() -> None:
    """The canaries are not words any catalog or content file contains (a hit would be a false alarm)."""
    shipped = " ".join(
        path.read_text(encoding="utf-8", errors="replace")
        for folder in ("content", "nlu/data")
        for path in (PROJECT_ROOT / folder).rglob("*")
        if path.is_file() and path.suffix in {".po", ".yml", ".yaml", ".json"}
    )
    assert not [canary for canary in CANARIES if canary in shipped]
