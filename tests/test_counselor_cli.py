"""`yoldosh counselor add|list|remove` on a real database file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.main import main
from services.escalation.counselors import list_counselors
from services.storage.database import create_database_engine, session_factory, transaction
from tests.conftest import key_ring_for

SECRET = "c" * 40


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    return url


def test_counselors_are_added_listed_and_removed(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["counselor", "add", "5550001", "--alias", "Dilnoza\u202e", "--on-call"]) == 0
    assert main(["counselor", "add", "5550002", "--alias", "Supervisor Aziza", "--supervisor"]) == 0
    assert main(["counselor", "list"]) == 0
    listed = capsys.readouterr().out
    assert "Dilnoza " in listed and "on-call" in listed and "supervisor" in listed
    assert "\u202e" not in listed, "direction characters never reach an alias"
    assert "5550001" not in listed, "Telegram ids are never printed"

    assert main(["counselor", "remove", "5550001"]) == 0
    assert main(["counselor", "remove", "5550009"]) == 1
    engine = create_database_engine(database_url, key_ring=key_ring_for(SECRET.encode()))
    with transaction(session_factory(engine)) as session:
        counselors = {counselor.alias: counselor for counselor in list_counselors(session)}
    engine.dispose()
    assert not counselors["Dilnoza"].active and counselors["Supervisor Aziza"].active


def test_a_bad_alias_or_id_is_refused(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["counselor", "add", "5550003", "--alias", "\u200f\u200e"]) == 1
    with pytest.raises(SystemExit):
        main(["counselor", "add", "not-a-number", "--alias", "X"])
