"""Rasa gates (marker `rasa`): data validation, test stories, and whole conversations per locale through a
running Rasa server and action server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.dialogue.flow import Dialogue, Sender
from bot.rasa.client import RasaClient
from bot.rasa.servers import rasa_server_spec
from bot.rasa.training import RASA_VENV, rasa_environment
from services.config import load_settings
from services.i18n.catalogs import Translator
from services.paths import NLU_DIR
from services.storage.database import create_database_engine, session_factory
from tests.conftest import TEST_SECRET, free_port, key_ring_for

pytestmark = pytest.mark.rasa

GREETING = (
    "Hello! I am Yoldosh. I can help you find schools, doctors, psychologists, help with documents, benefits,"
    " housing and work. Write what you need in your own words, or open the menu."
)
# Per locale: a greeting, a service question naming a city (with that country's phone prefix), a cry for help.
CONVERSATIONS = {
    "en": ("hello", "I need a doctor in Almaty", "+7 ", "he is beating me right now"),
    "ru": ("здравствуйте", "нужен врач в Бишкеке", "+996 ", "муж бьет меня прямо сейчас"),
    "uz": ("assalomu alaykum", "Andijonda ayollar vrachi kerak", "+998 ", "meni xonaga qamab qo'yishdi"),
    "uz_Cyrl": ("ассалому алайкум", "Тошкентда шифокор керак", "+998 ", "мени уряпти ёрдам беринг"),
    "kk": ("сәлеметсіз бе", "Алматыда дәрігер керек", "+7 ", "күйеуім мені қазір ұрып жатыр"),
    "ky": ("саламатсызбы", "Ошто доктур керек", "+996 ", "күйөөм мени азыр уруп жатат"),
    "tg": ("салом алейкум", "дар Душанбе духтур лозим", "+992 ", "писарам аз зинапоя афтид, хун меравад"),
}


def _rasa(*arguments: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RASA_VENV / "bin" / "rasa"), *arguments],
        cwd=NLU_DIR,
        env=rasa_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_training_data_validates_without_warnings() -> None:
    result = _rasa(
        "data", "validate", "--domain", "domain", "--data", "data", "--config", "config.yml", "--fail-on-warnings"
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_test_stories_pass(model: Path, tmp_path: Path) -> None:
    result = _rasa(
        "test",
        "core",
        "--model",
        str(model),
        "--stories",
        "tests/test_stories.yml",
        "--out",
        str(tmp_path),
        "--fail-on-prediction-errors",
    )
    failed = tmp_path / "failed_test_stories.yml"
    assert result.returncode == 0, (failed.read_text() if failed.exists() else "") + result.stderr[-3000:]


@pytest.fixture
def talking_dialogue(rasa_url: str, served_database_url: str) -> Iterator[Dialogue]:
    engine = create_database_engine(served_database_url, key_ring=key_ring_for(TEST_SECRET))
    client = RasaClient(rasa_url, timeout=30.0)
    yield Dialogue(
        sessions=session_factory(engine),
        secret_key=TEST_SECRET,
        default_locale="ru",
        retention_days=180,
        nlu=client,
    )
    client.close()
    engine.dispose()


@pytest.mark.parametrize("locale", sorted(CONVERSATIONS))
def test_a_whole_conversation_through_rasa(talking_dialogue: Dialogue, locale: str) -> None:
    greeting, question, phone_prefix, danger = CONVERSATIONS[locale]
    _ = Translator(locale)
    person = Sender(channel="telegram", external_id=str(uuid.uuid4()), chat_id=1, language_code=locale)
    talking_dialogue.start(person)
    talking_dialogue.press(person, f"lang|{locale}")
    talking_dialogue.press(person, "consent:yes")

    (hello,) = talking_dialogue.say(person, greeting)
    assert hello.text == _(GREETING)

    answer = talking_dialogue.say(person, question)
    cards = [reply for reply in answer if phone_prefix in reply.text]
    assert cards, [reply.text for reply in answer]
    assert any(button.data == "menu" for button in answer[-1].all_buttons())

    (help_now,) = talking_dialogue.say(person, danger)
    assert help_now.text.startswith(_("If you or someone near you is in danger right now, please call:"))
    assert "103" in help_now.text


def test_yoldosh_run_without_a_token_chats_in_the_terminal_and_stops_everything(
    model: Path, tmp_path: Path, project_root: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "SECRET_KEY": TEST_SECRET.decode(),
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "ACTION_SERVER_PORT": str(free_port()),
        "LANG": "uz_UZ.UTF-8",
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    # Choose O‘zbekcha, accept, write free text that Rasa answers through the action server's NLG, then leave.
    typed = "1\n1\nassalomu alaykum\n/quit\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "run"],
        input=typed,
        capture_output=True,
        text=True,
        env=env,
        cwd=project_root,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "✓ O‘zbekcha" in result.stdout and "Ўзбекча" in result.stdout
    assert Translator("uz")(GREETING) in result.stdout
    assert "==> Stopped" in result.stdout
    for port in (env["RASA_URL"].rsplit(":", 1)[1], env["ACTION_SERVER_PORT"]):
        leftover = subprocess.run(["pgrep", "-f", f"--port {port}"], capture_output=True, text=True)
        assert leftover.stdout.strip() == "", "Rasa or the action server outlived yoldosh run"


def test_rasas_http_api_is_off_unless_a_token_is_given() -> None:
    settings = load_settings(secret_key=TEST_SECRET.decode(), _env_file=None)
    assert "--enable-api" not in rasa_server_spec(settings, Path("model.tar.gz")).command
    protected = rasa_server_spec(settings, Path("model.tar.gz"), api_token="t0ken").command
    assert protected[protected.index("--enable-api") + 1 :][:2] == ["--auth-token", "t0ken"]


def test_a_long_conversation_starts_fresh_rasa_sessions_and_keeps_answering(rasa_url: str) -> None:
    client = RasaClient(rasa_url, timeout=30.0, turns_per_session=2)
    sender, metadata = str(uuid.uuid4()), {"locale": "en", "country": None}
    try:
        answers = [client.converse(sender=sender, text="hello", metadata=metadata) for _turn in range(5)]
    finally:
        client.close()
    assert [[message.text for message in answer] for answer in answers] == [[GREETING]] * 5
