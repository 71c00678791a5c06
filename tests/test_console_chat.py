"""The console chat reads like a conversation: numbered choices stand for the Telegram buttons."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.console.chat import ConsoleChat
from bot.dialogue.flow import Dialogue
from bot.rasa.client import RasaClient
from services.i18n.catalogs import Translator
from services.storage.database import create_database_engine, session_factory
from tests.conftest import TEST_SECRET, key_ring_for


def _talk(dialogue: Dialogue, lines: list[str]) -> list[str]:
    """Type `lines` into a fresh console conversation; return everything printed."""
    screen: list[str] = []
    typed = iter(lines)

    def read(_prompt: str) -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    ConsoleChat(dialogue, write=screen.append, person=f"tester-{uuid.uuid4()}").run(read=read)
    return screen


def test_greets_and_offers_the_seven_languages(dialogue: Dialogue) -> None:
    screen = "\n".join(_talk(dialogue, []))
    for number, name in enumerate(["O‘zbekcha", "Ўзбекча", "Русский", "Қазақша", "Кыргызча", "Тоҷикӣ", "English"], 1):
        assert f"[{number}] " in screen and name in screen


def test_a_whole_first_conversation_in_uzbek_cyrillic(dialogue: Dialogue) -> None:
    _ = Translator("uz_Cyrl")
    screen = "\n".join(_talk(dialogue, ["2", "1", "1", "2"]))  # Ўзбекча → I agree → Find a service → Psychology
    assert _("Before we talk, please read how Yoldosh keeps your information.") in screen
    assert _("What kind of help are you looking for?") in screen
    assert _("Which country are you in?") in screen


def test_free_text_before_consent_asks_for_agreement(dialogue: Dialogue) -> None:
    _ = Translator("en")
    screen = "\n".join(_talk(dialogue, ["7", "2", "hello, I need a doctor"]))  # English → No, thank you → text
    assert _("That is all right. I will not keep anything except your language choice.") in screen
    assert _("To read your messages I need your agreement first.").split(".")[0] in screen


def test_unknown_numbers_and_commands_are_answered_kindly(dialogue: Dialogue) -> None:
    _ = Translator("ru")
    screen = "\n".join(_talk(dialogue, ["3", "1", "99", "/frobnicate"]))
    assert _("I do not know this command. Here is what I can do.") in screen
    assert _("I could not understand that message. Please choose from the menu below.") in screen


def test_yoldosh_chat_runs_in_a_terminal(tmp_path: Path, project_root: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}",
        "SECRET_KEY": "c" * 40,
        "LANG": "kk_KZ.UTF-8",
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "chat"],
        input="4\n1\n/quit\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=project_root,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "✓ Қазақша" in result.stdout
    assert Translator("kk")("Find a service") in result.stdout


class _SlowRasa(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        time.sleep(1.5)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """The client gave up waiting, as it should: nothing to report."""


@pytest.mark.parametrize("rasa", ["down", "slow"])
def test_rasa_down_or_slow_gets_an_honest_answer_and_the_menu(served_database_url: str, rasa: str) -> None:
    server = _QuietServer(("127.0.0.1", 0), _SlowRasa)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    if rasa == "down":
        server.shutdown()
        server.server_close()
    engine = create_database_engine(served_database_url, key_ring=key_ring_for(TEST_SECRET))
    dialogue = Dialogue(
        sessions=session_factory(engine),
        secret_key=TEST_SECRET,
        default_locale="ru",
        retention_days=180,
        nlu=RasaClient(f"http://127.0.0.1:{port}", timeout=0.5),
    )
    _ = Translator("uz")
    started = time.monotonic()
    screen = "\n".join(_talk(dialogue, ["1", "1", "menga shifokor kerak"]))
    assert time.monotonic() - started < 5
    assert (
        _("I cannot read free text right now, sorry. The menu below still works: you can find services with it.")
        in screen
    )
    assert _("Find a service") in screen
    if rasa == "slow":
        server.shutdown()
        server.server_close()
    engine.dispose()


def test_a_broken_database_gets_an_apology_not_a_crash(tmp_path: Path) -> None:
    engine = create_database_engine(
        f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}", key_ring=key_ring_for(TEST_SECRET)
    )
    dialogue = Dialogue(sessions=session_factory(engine), secret_key=TEST_SECRET, default_locale="kk", retention_days=1)
    screen = "\n".join(_talk(dialogue, ["сәлем", "1"]))
    assert screen.count(Translator("kk")("Sorry, something went wrong on my side. Please try again in a moment.")) >= 2
    engine.dispose()
