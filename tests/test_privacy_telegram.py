"""A person's rights end to end through the real PTB application and the Bot API stand-in: /my_data sends a file,
/delete_my_data erases everywhere (Rasa's tracker store too), keeps a held case anonymised and clears the chat; the
hourly retention job and `yoldosh purge` remove aged content."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.main import main
from bot.dialogue import privacy_screens
from bot.dialogue.flow import Dialogue
from bot.rasa.servers import rasa_server_spec, rasa_tracker_store_url
from bot.telegram.retention_job import JOB_NAME
from services.config import load_settings
from services.escalation import service as cases
from services.escalation.counselors import add_counselor
from services.escalation.holds import place_hold
from services.escalation.models import CaseMessage, CasePriority, EscalationCase, MessageDirection
from services.i18n.catalogs import Translator
from services.privacy.tracker_store import EVENTS, create_tracker_engine
from services.privacy.types import ErasureReceipt
from services.storage.base import utcnow
from services.storage.database import create_database_engine, session_factory, transaction
from services.users.models import User
from services.users.pseudonyms import pseudonym_for
from tests.conftest import TEST_SECRET, key_ring_for, serving_bot
from tests.telegram_standin import ApiCall, BotApiStandIn, TelegramUser
from tests.test_privacy_service import add_events, events_of

COUNSELOR = 9201


@pytest.fixture
def tracker_store(tmp_path: Path) -> Iterator[Engine]:
    """Rasa's tracker store as a SQLite file with Rasa's `events` table."""
    tracker = create_tracker_engine(f"sqlite:///{tmp_path / 'rasa.db'}")
    EVENTS.metadata.create_all(tracker)
    yield tracker
    tracker.dispose()


@pytest.fixture
async def privacy_bot(
    api: BotApiStandIn, served_database_url: str, served_sessions: sessionmaker[Session], tracker_store: Engine
) -> AsyncIterator[Any]:
    """The application long polling the stand-in, its dialogue and retention job reaching Rasa's tracker store, as
    `yoldosh run` builds it."""
    dialogue = Dialogue(
        sessions=served_sessions,
        secret_key=TEST_SECRET,
        default_locale="ru",
        retention_days=180,
        tracker_store=tracker_store,
    )
    async with serving_bot(
        api, dialogue, served_sessions, served_database_url, tracker_store=tracker_store
    ) as application:
        yield application


def _to(calls: list[ApiCall], user: TelegramUser, method: str = "sendMessage") -> list[ApiCall]:
    return [call for call in calls if call.method == method and int(call.params["chat_id"]) == user.user_id]


async def _consented(api: BotApiStandIn, user: TelegramUser, locale: str) -> None:
    user.says("/start")
    user.taps(f"lang|{locale}")
    user.taps("consent:yes")
    await api.until(lambda calls: len(_to(calls, user)) >= 3)


def _pseudonym(user: TelegramUser) -> str:
    return pseudonym_for(TEST_SECRET, channel="telegram", external_id=user.user_id)


async def test_my_data_arrives_as_a_json_file_with_a_localised_caption(
    api: BotApiStandIn, privacy_bot: Any, tracker_store: Engine
) -> None:
    user = TelegramUser(api, user_id=6681001, language_code="uz")
    await _consented(api, user, "uz")
    add_events(tracker_store, _pseudonym(user), (utcnow(), "user", "salom"), (utcnow(), "bot", "Salom!"))
    user.says("/my_data")
    (call,) = _to(await api.until(lambda calls: bool(_to(calls, user, "sendDocument"))), user, "sendDocument")
    api.assert_no_errors()
    upload = call.params["document"]
    assert upload["filename"].startswith("yoldosh-my-data-") and upload["filename"].endswith(".json")
    data = json.loads(upload["bytes"])
    assert data["profile"]["language"] == "uz" and data["profile"]["telegram_chat_id"] == user.user_id
    assert [line["text"] for line in data["conversation_with_assistant"]] == ["salom", "Salom!"]
    assert _pseudonym(user) not in upload["bytes"].decode()
    caption = Translator("uz")("Here is a copy of everything Yoldosh stores about you (a JSON file).")
    assert call.params["caption"] == caption
    assert user.sees()[-1] == caption


async def test_my_data_is_offered_in_the_command_menu(api: BotApiStandIn, privacy_bot: Any) -> None:
    calls = api.calls_to("setMyCommands")
    kazakh = next(call.json("commands") for call in calls if call.params.get("language_code") == "kk")
    described = {command["command"]: command["description"] for command in kazakh}
    assert described["my_data"] == Translator("kk")("Get a copy of everything stored about you")


async def test_erasure_reaches_rasa_keeps_a_held_case_anonymised_and_clears_the_chat(
    api: BotApiStandIn, privacy_bot: Any, served_sessions: sessionmaker[Session], tracker_store: Engine
) -> None:
    user = TelegramUser(api, user_id=6681002, language_code="ky")
    await _consented(api, user, "ky")
    user.says("/privacy")
    await api.until(lambda calls: len(_to(calls, user)) >= 4)
    pseudonym = _pseudonym(user)
    add_events(tracker_store, pseudonym, (utcnow(), "user", "салам"))
    with transaction(served_sessions) as session:
        add_counselor(session, telegram_user_id=COUNSELOR, alias="Aigul")
        case, _new = cases.open_case(
            session, pseudonym=pseudonym, priority=CasePriority.URGENT, trigger="safety_net", locale="ky"
        )
        cases.claim_case(session, case_id=case.id, counselor_telegram_id=COUNSELOR)
        cases.record_case_message(session, case_id=case.id, direction=MessageDirection.FROM_USER, body="жардам")
        place_hold(session, case_id=case.id, counselor_telegram_id=COUNSELOR, reason="child protection referral")
    shown_before = [message["message_id"] for message in api.messages_in(user.user_id)]

    user.says("/delete_my_data")
    user.taps("delete:yes")
    kyrgyz = Translator("ky")
    done = kyrgyz("Done. Everything else Yoldosh stored about you has been deleted.")
    await api.until(lambda calls: any(done in call.params.get("text", "") for call in _to(calls, user)))
    api.assert_no_errors()

    (answer,) = [message.get("text", "") for message in api.messages_in(user.user_id)]
    assert answer == privacy_screens.erased(kyrgyz, ErasureReceipt(found=True, held_cases=1)).text
    deleted = {int(i) for call in api.calls_to("deleteMessages") for i in call.json("message_ids")}
    assert set(shown_before) <= deleted, "everything shown before the erasure is deleted"
    assert events_of(tracker_store, pseudonym) == 0
    with transaction(served_sessions) as session:
        assert session.scalars(select(User).where(User.pseudonym == pseudonym)).first() is None
        kept = session.get(EscalationCase, case.id)
        assert kept is not None and kept.held_at is not None and kept.outcome == "user_erased"
        bodies = session.scalars(select(CaseMessage.body).where(CaseMessage.case_id == case.id)).all()
        assert bodies == ["жардам"]


async def test_the_retention_purge_is_a_scheduled_job_of_the_bot(
    api: BotApiStandIn, privacy_bot: Any, served_sessions: sessionmaker[Session], tracker_store: Engine
) -> None:
    (job,) = privacy_bot.job_queue.get_jobs_by_name(JOB_NAME)
    old = utcnow() - timedelta(days=400)
    pseudonym = pseudonym_for(TEST_SECRET, channel="telegram", external_id=6681003)
    with transaction(served_sessions) as session:
        add_counselor(session, telegram_user_id=COUNSELOR + 1, alias="Nodira")
        case, _new = cases.open_case(
            session, pseudonym=pseudonym, priority=CasePriority.NORMAL, trigger="request", locale="ru", now=old
        )
        cases.claim_case(session, case_id=case.id, counselor_telegram_id=COUNSELOR + 1, now=old)
        cases.record_case_message(
            session, case_id=case.id, direction=MessageDirection.FROM_USER, body="старое", now=old
        )
        cases.close_case(session, case_id=case.id, counselor_telegram_id=COUNSELOR + 1, outcome="done", now=old)
    add_events(tracker_store, pseudonym, (old, "user", "старое"), (utcnow(), "user", "новое"))

    await job.run(privacy_bot)

    with transaction(served_sessions) as session:
        assert session.scalars(select(CaseMessage.body).where(CaseMessage.case_id == case.id)).all() == [None]
    assert events_of(tracker_store, pseudonym) == 1


def test_yoldosh_purge_cleans_the_database_and_the_tracker_store_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "p" * 40
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'yoldosh.db'}")
    monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.setenv("DATA_RETENTION_DAYS", "30")
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    tracker = create_tracker_engine(f"sqlite:///{tmp_path / 'yoldosh-rasa.db'}")
    EVENTS.metadata.create_all(tracker)
    add_events(tracker, "someone", (utcnow() - timedelta(days=31), "user", "old"), (utcnow(), "user", "new"))
    engine = create_database_engine(f"sqlite:///{tmp_path / 'yoldosh.db'}", key_ring=key_ring_for(secret.encode()))
    old = utcnow() - timedelta(days=40)
    with transaction(session_factory(engine)) as session:
        add_counselor(session, telegram_user_id=1, alias="A")
        case, _new = cases.open_case(
            session, pseudonym="x" * 64, priority=CasePriority.NORMAL, trigger="request", locale="en", now=old
        )
        cases.claim_case(session, case_id=case.id, counselor_telegram_id=1, now=old)
        cases.record_case_message(session, case_id=case.id, direction=MessageDirection.FROM_USER, body="hi", now=old)
        cases.close_case(session, case_id=case.id, counselor_telegram_id=1, outcome="done", now=old)

    assert main(["purge"]) == 0
    printed = capsys.readouterr().out
    assert "older than 30 days" in printed and "1 case messages blanked in 1 closed cases" in printed
    assert "Rasa tracker events deleted: 1" in printed and "hi" not in printed.split()
    assert events_of(tracker, "someone") == 1
    assert main(["purge"]) == 0 and "0 case messages blanked" in capsys.readouterr().out
    engine.dispose()
    tracker.dispose()


def test_rasa_gets_the_sql_tracker_store_unless_told_to_keep_conversations_in_memory(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'app.db'}", secret_key="s" * 40, _env_file=None)
    spec = rasa_server_spec(settings, Path("model.tar.gz"))
    assert spec.command[spec.command.index("--endpoints") + 1].endswith("endpoints-sql.yml")
    assert spec.environment["YOLDOSH_TRACKER_STORE_URL"] == f"sqlite:///{tmp_path / 'app-rasa.db'}"
    production = settings.model_copy(update={"tracker_store_url": "postgresql+psycopg://rasa@db:5432/yoldosh"})
    assert rasa_tracker_store_url(production) == "postgresql://rasa@db:5432/yoldosh", "Rasa's driver is psycopg2"
    in_memory = settings.model_copy(update={"tracker_store_url": "memory"})
    spec = rasa_server_spec(in_memory, Path("model.tar.gz"))
    assert spec.command[spec.command.index("--endpoints") + 1].endswith("/endpoints.yml")
    assert "YOLDOSH_TRACKER_STORE_URL" not in spec.environment and in_memory.tracker_database_url() is None
