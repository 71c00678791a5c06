"""`yoldosh agenda`: a provider's day as text, CSV and iCalendar that a strict RFC 5545 reading accepts."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.cli.main import main
from services.booking import service as booking
from services.storage.database import create_database_engine, session_factory, transaction
from services.storage.migrate import upgrade_database
from tests.booking_factories import NOW, load_providers, provider_entry
from tests.conftest import key_ring_for
from tests.factories import make_user

NOTE = "Сын 7 лет; нужен переводчик, пожалуйста\nвторая строка \\ конец — " + "очень длинная заметка " * 4
DAY = "2026-12-03"
CLI_SECRET = b"s" * 40  # the SECRET_KEY the command runs with: it decrypts the notes


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, object]]:
    """A migrated SQLite file with three bookings on 3 December (one cancelled) and one the next day."""
    url = f"sqlite:///{tmp_path / 'agenda.db'}"
    engine = create_database_engine(url, key_ring=key_ring_for(CLI_SECRET))
    upgrade_database(engine)
    with transaction(session_factory(engine)) as session:
        load_providers(session, provider_entry())
        first = make_user(session, telegram_id=7001, chat_id=7001)
        second = make_user(session, telegram_id=7002, chat_id=7002)

        def book(pseudonym: str, hour: int, minute: int, note: str | None, key: str) -> booking.AppointmentView:
            starts_at = datetime(2026, 12, 3 if key != "next-day" else 4, hour - 5, minute, tzinfo=UTC)
            return booking.book_slot(
                session,
                pseudonym=pseudonym,
                provider_id="uz-test-clinic",
                starts_at=starts_at,
                note=note,
                idempotency_key=key,
                now=NOW,
            )

        late = book(first.pseudonym, 11, 30, NOTE, "late")
        early = book(second.pseudonym, 9, 0, None, "early")
        dropped = book(second.pseudonym, 10, 0, "cancel me", "dropped")
        book(first.pseudonym, 9, 0, None, "next-day")
        booking.cancel_appointment(session, pseudonym=second.pseudonym, appointment_id=dropped.id, now=NOW)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", CLI_SECRET.decode())
    yield {"early": early, "late": late, "secrets": [first.pseudonym, second.pseudonym, "7001", "7002"]}


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(["agenda", "--provider", "uz-test-clinic", "--date", DAY, *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def parse_ics(text: str) -> list[dict[str, list[str]]]:
    """A strict reading of RFC 5545 §3.1 and §3.4-3.6: CRLF, ≤ 75-octet folded lines, nesting, required fields."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "") and "\r" not in text.replace("\r\n", "")
    physical = text[:-2].split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    lines: list[str] = []
    for line in physical:
        if line.startswith((" ", "\t")):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    name = re.compile(r"^([A-Z0-9-]+)(;[^:]*)?:(.*)$")
    stack: list[str] = []
    calendar: dict[str, list[str]] = {}
    events: list[dict[str, list[str]]] = []
    for line in lines:
        match = name.match(line)
        assert match, line
        key, value = match.group(1), match.group(3)
        if key == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                assert stack == ["VCALENDAR", "VEVENT"]
                events.append({})
            continue
        if key == "END":
            assert stack and stack.pop() == value
            continue
        target = events[-1] if stack[-1:] == ["VEVENT"] else calendar
        target.setdefault(key, []).append(value)
    assert stack == [] and lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert calendar["VERSION"] == ["2.0"] and len(calendar["PRODID"]) == 1
    stamp = re.compile(r"^\d{8}T\d{6}Z$")
    for event in events:
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND"):
            assert len(event[required]) == 1, required
        assert all(stamp.match(event[key][0]) for key in ("DTSTAMP", "DTSTART", "DTEND"))
        assert event["DTSTART"][0] < event["DTEND"][0]
        for key in ("SUMMARY", "DESCRIPTION"):
            for value in event.get(key, []):
                assert not re.search(r"(?<!\\)[;,]", value.replace("\\\\", "")), (key, value)
    return events


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def test_text_lists_the_local_day_without_identities(database: dict, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[type-arg]
    code, out, _ = run(capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "uz-test-clinic · 2026-12-03 (Asia/Tashkent) · 2 booking(s)"
    assert lines[1].startswith("09:00–09:30") and database["early"].visit_code in lines[1]
    assert lines[2].startswith("11:30–12:00") and database["late"].visit_code in lines[2]
    assert "нужен переводчик" in lines[2] and "cancel me" not in out
    assert not any(secret in out for secret in database["secrets"])


def test_csv_has_a_header_and_local_times(database: dict, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[type-arg]
    code, out, _ = run(capsys, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert code == 0 and [row["starts_at"] for row in rows] == ["2026-12-03T09:00+05:00", "2026-12-03T11:30+05:00"]
    assert rows[1]["note"] == NOTE.strip() and rows[1]["visit_code"] == database["late"].visit_code
    assert not any(secret in out for secret in database["secrets"])


def test_ics_is_valid_rfc_5545_with_the_notes(database: dict, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[type-arg]
    code, out, _ = run(capsys, "--format", "ics")
    assert code == 0
    events = parse_ics(out)
    assert [event["DTSTART"][0] for event in events] == ["20261203T040000Z", "20261203T063000Z"]
    assert events[1]["DTEND"] == ["20261203T070000Z"]
    assert unescape(events[1]["DESCRIPTION"][0]) == NOTE.strip() and "DESCRIPTION" not in events[0]
    assert len({event["UID"][0] for event in events}) == 2
    assert any(line.startswith(" ") for line in out.split("\r\n")), "the long note is folded"
    assert not any(secret in out for secret in database["secrets"])


def test_an_empty_day_and_an_unknown_provider(database: dict, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[type-arg]
    assert main(["agenda", "--provider", "uz-test-clinic", "--date", "2026-12-05", "--format", "ics"]) == 0
    assert parse_ics(capsys.readouterr().out) == []
    assert main(["agenda", "--provider", "uz-nowhere", "--date", DAY]) == 1
    assert "no provider with id 'uz-nowhere'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["agenda", "--provider", "uz-test-clinic", "--date", "03.12.2026"])
    assert date.fromisoformat(DAY).weekday() == 3
