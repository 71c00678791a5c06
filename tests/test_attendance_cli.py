"""`yoldosh agenda mark`: a provider without Telegram records whether a visitor came, by agenda number or visit
code; the agenda then shows it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import agenda_commands
from bot.cli.main import main
from services.booking import service as booking
from services.storage.database import create_database_engine, session_factory, transaction
from services.storage.migrate import upgrade_database
from tests.booking_factories import NOW, load_providers, provider_entry
from tests.conftest import key_ring_for
from tests.factories import make_user

CLI_SECRET = b"m" * 40
AFTER_THE_VISITS = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)  # 12:00 in Tashkent


@pytest.fixture
def visits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, booking.AppointmentView]]:
    """Two visits on 3 December at 09:00 and 10:00 Tashkent time, and one the next day; the clock at 12:00."""
    url = f"sqlite:///{tmp_path / 'attendance.db'}"
    engine = create_database_engine(url, key_ring=key_ring_for(CLI_SECRET))
    upgrade_database(engine)
    with transaction(session_factory(engine)) as session:
        load_providers(session, provider_entry())
        made = {}
        for name, telegram_id, day, hour in (("early", 7401, 3, 4), ("late", 7402, 3, 5), ("tomorrow", 7401, 4, 4)):
            user = make_user(session, telegram_id=telegram_id, chat_id=telegram_id)
            made[name] = booking.book_slot(
                session,
                pseudonym=user.pseudonym,
                provider_id="uz-test-clinic",
                starts_at=datetime(2026, 12, day, hour, 0, tzinfo=UTC),
                note=None,
                idempotency_key=name,
                now=NOW,
            )
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", CLI_SECRET.decode())
    monkeypatch.setattr(agenda_commands, "utcnow", lambda: AFTER_THE_VISITS)
    yield made


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(["agenda", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_mark_by_number_or_by_code_and_the_agenda_shows_it(
    visits: dict[str, booking.AppointmentView], capsys: pytest.CaptureFixture[str]
) -> None:
    early, late = visits["early"], visits["late"]
    code, out, _err = run(capsys, "mark", "--booking", f"#{early.id}", "--attended")
    assert code == 0
    assert out == f"#{early.id} {early.visit_code} 2026-12-03 09:00 (Asia/Tashkent): attended\n"
    code, out, _err = run(
        capsys, "mark", "--booking", late.visit_code.lower(), "--provider", "uz-test-clinic", "--missed"
    )
    assert (code, out) == (0, f"#{late.id} {late.visit_code} 2026-12-03 10:00 (Asia/Tashkent): missed\n")
    code, sheet, _err = run(capsys, "--provider", "uz-test-clinic", "--date", "2026-12-03")
    assert code == 0
    assert (
        f"#{early.id:<6} {early.visit_code}  attended" in sheet and f"#{late.id:<6} {late.visit_code}  missed" in sheet
    )


def test_refusals_name_the_reason_and_change_nothing(
    visits: dict[str, booking.AppointmentView], capsys: pytest.CaptureFixture[str]
) -> None:
    tomorrow, early = visits["tomorrow"], visits["early"]
    code, _out, err = run(capsys, "mark", "--booking", str(tomorrow.id), "--missed")
    assert code == 1 and "has not started yet" in err
    code, _out, err = run(capsys, "mark", "--booking", "ZZZ-ZZZ", "--attended")
    assert code == 1 and "no visit 'ZZZ-ZZZ'" in err
    code, _out, err = run(capsys, "mark", "--booking", f"#{early.id}", "--provider", "uz-other", "--attended")
    assert code == 1 and "no visit" in err
    assert run(capsys, "mark", "--booking", f"#{early.id}", "--attended")[0] == 0
    code, _out, err = run(capsys, "mark", "--booking", f"#{early.id}", "--missed")
    assert code == 1 and "already marked attended" in err
    for arguments in (["mark", "--booking", "1"], ["mark", "--booking", "1", "--attended", "--missed"], []):
        with pytest.raises(SystemExit):
            main(["agenda", *arguments])
