"""The supervisor report: suppression of small counts, the statistics on SQLite and PostgreSQL, Markdown and PNG
charts without a trace of anyone, and `yoldosh report` end to end on a database file."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from bot.cli.main import main
from bot.reporting.charts import write_charts
from bot.reporting.markdown import render_markdown
from services.booking import service as booking
from services.escalation.counselors import add_counselor
from services.escalation.models import CasePriority
from services.escalation.service import claim_case, open_case
from services.privacy.tracker_store import EVENTS, create_tracker_engine
from services.reporting.intents import read_top_intents, top_intents
from services.reporting.service import build_report, no_show_rate
from services.reporting.suppression import suppress_breakdown
from services.reporting.types import (
    THRESHOLD,
    Breakdown,
    Cell,
    IntentCount,
    IntentSource,
    ReportPeriod,
    Suppression,
    TopIntents,
)
from services.storage.database import create_database_engine, session_factory, transaction
from services.storage.migrate import upgrade_database
from services.users import service as users
from services.users.models import User
from tests.booking_factories import NOW, load_providers, provider_entry
from tests.conftest import key_ring_for, scratch_postgres_url
from tests.factories import make_user

PERIOD = ReportPeriod(first_day=date(2026, 12, 1), last_day=date(2026, 12, 7))
BEFORE, AFTER = PERIOD.start - timedelta(seconds=1), PERIOD.end  # just outside, on either side
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CLI_SECRET = "r" * 40
COUNSELOR = 880001


def at(day: int, hour: int = 10, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# --- suppression, on counts alone -------------------------------------------------------------------------------


def cells(breakdown: Breakdown) -> dict[str, int | str | None]:
    """label → count, "<5" or "≥5", as a reader sees it."""
    shown: dict[str, int | str | None] = {}
    for cell in breakdown.cells:
        if cell.suppression is Suppression.SMALL:
            shown[cell.label] = "<5"
        elif cell.suppression is Suppression.COMPLEMENTARY:
            shown[cell.label] = "≥5"
        else:
            shown[cell.label] = cell.count
    return shown


def test_small_groups_show_as_under_five_and_the_rest_exactly() -> None:
    breakdown = suppress_breakdown({"ru": 7, "uz": 6, "kk": 2, "tg": 1})
    assert cells(breakdown) == {"ru": 7, "uz": 6, "kk": "<5", "tg": "<5"}
    assert breakdown.total == 16 and breakdown.hidden is None, "3 hidden people are too few to chart as 'other'"
    assert [cell.label for cell in breakdown.cells] == ["ru", "uz", "kk", "tg"], "hidden groups by name, not by size"


def test_one_small_group_is_not_left_for_the_total_to_give_away() -> None:
    # 20 - 12 - 7 would be the one small group's exact size: the smallest other group is withheld with it.
    breakdown = suppress_breakdown({"UZ": 12, "KZ": 7, "TJ": 1})
    assert cells(breakdown) == {"UZ": 12, "KZ": "≥5", "TJ": "<5"}
    assert breakdown.total == 20 and breakdown.hidden == 8


def test_small_groups_that_could_only_be_all_four_are_protected_too() -> None:
    assert cells(suppress_breakdown({"a": 9, "b": 4, "c": 4})) == {"a": "≥5", "b": "<5", "c": "<5"}
    assert cells(suppress_breakdown({"a": 9, "b": 1, "c": 1})) == {"a": "≥5", "b": "<5", "c": "<5"}


def test_a_breakdown_that_cannot_be_shown_safely_is_withheld() -> None:
    breakdown = suppress_breakdown({"uz": 5, "tg": 1})
    assert breakdown.withheld and breakdown.cells == () and breakdown.total == 6


def test_a_small_total_is_itself_suppressed_and_zeros_of_fixed_groups_stay() -> None:
    breakdown = suppress_breakdown({"high": 3}, order=("urgent", "high", "normal"))
    assert breakdown.total is None
    assert cells(breakdown) == {"urgent": 0, "high": "<5", "normal": 0}
    assert suppress_breakdown({}).total == 0 and suppress_breakdown({}).cells == ()


def possible_values(breakdown: Breakdown) -> dict[str, set[int]]:
    """Every value each hidden group can have for a reader who knows the total, the shown counts and the marks."""
    assert breakdown.total is not None
    hidden = [cell for cell in breakdown.cells if cell.suppression is not None]
    remaining = breakdown.total - sum(cell.count or 0 for cell in breakdown.cells)
    ranges = {
        cell.label: range(1, THRESHOLD)
        if cell.suppression is Suppression.SMALL
        else range(THRESHOLD, breakdown.total + 1)
        for cell in hidden
    }
    possible: dict[str, set[int]] = {label: set() for label in ranges}
    for values in itertools.product(*ranges.values()):
        if sum(values) == remaining:
            for label, value in zip(ranges, values, strict=True):
                possible[label].add(value)
    return possible


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from("abcde"), st.integers(min_value=0, max_value=9), max_size=4))
def test_no_small_group_can_be_worked_out_from_what_is_shown(counts: dict[str, int]) -> None:
    breakdown = suppress_breakdown(counts)
    assert all(cell.count is None or cell.count == 0 or cell.count >= THRESHOLD for cell in breakdown.cells)
    if breakdown.total is None or breakdown.withheld:
        return
    for label, values in possible_values(breakdown).items():
        assert len(values) > 1, (counts, label, values)
        assert counts[label] in values


# --- the statistics, on SQLite and PostgreSQL -----------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    locale: str
    country: str | None
    created_at: datetime
    last_seen_at: datetime


IN_PERIOD = [
    # ru: 3 known from November, 2 new (Kazakhstan); 2 new (Uzbekistan)
    *[Person("ru", "KZ", at(10, month=11), at(3)) for _ in range(3)],
    *[Person("ru", "KZ", at(2), at(2)) for _ in range(2)],
    *[Person("ru", "UZ", at(4), at(5)) for _ in range(2)],
    # uz: 2 known from November, last seen in the period's last second; 4 new, one of them seen again in January
    *[Person("uz", "UZ", at(20, month=11), at(7, 23, 59) + timedelta(seconds=59)) for _ in range(2)],
    Person("uz", "UZ", at(1, 0, 0), datetime(2027, 1, 5, tzinfo=UTC)),
    *[Person("uz", "UZ", at(6), at(6)) for _ in range(3)],
    *[Person("kk", "TJ", at(3), at(3)) for _ in range(2)],
    Person("tg", "UZ", at(7), at(7)),
]
OUTSIDE = [
    *[Person("ru", "KZ", at(5, month=10), at(9, month=10)) for _ in range(3)],
    Person("ru", "UZ", at(1, month=11), AFTER),
    Person("uz", "UZ", BEFORE, BEFORE),
]
# (priority, trigger, minutes until a counselor claimed it, or None)
CASES = [
    *[(CasePriority.URGENT, "safety_net", minutes) for minutes in (1, 2, 3, 4, 5, 10)],
    *[(CasePriority.NORMAL, "request", minutes) for minutes in (10, 20, 30, 40, 50, None)],
    (CasePriority.HIGH, "misunderstanding", 7),
    (CasePriority.HIGH, "misunderstanding", None),
    (CasePriority.NORMAL, "follow_up", None),
]


@dataclass(frozen=True)
class Seeded:
    pseudonyms: tuple[str, ...]


def slots() -> Iterator[datetime]:
    """Bookable starts of the test clinic (09:00-12:00 in Tashkent) on the period's working days after NOW."""
    for day in (2, 3, 4, 7):
        for half_hour in range(6):
            yield at(day, 4 + half_hour // 2, 30 * (half_hour % 2))


def seed(session: Session) -> Seeded:
    """People, cases and appointments in and around the period, through the services."""
    load_providers(session, provider_entry())
    add_counselor(session, telegram_user_id=COUNSELOR, alias="Dilnoza")
    people = [*IN_PERIOD, *OUTSIDE]
    pseudonyms = []
    for number, person in enumerate(people):
        user = make_user(session, telegram_id=910000 + number, locale=person.locale, chat_id=910000 + number)
        if person.country:
            users.choose_country(session, pseudonym=user.pseudonym, country_code=person.country)
        pseudonyms.append(user.pseudonym)

    for (priority, trigger, minutes), pseudonym in zip(CASES, pseudonyms, strict=False):
        opened_at = at(2 + len(trigger) % 5, 8)
        case, _ = open_case(
            session, pseudonym=pseudonym, priority=priority, trigger=trigger, locale="ru", now=opened_at
        )
        if minutes is not None:
            claimed_at = opened_at + timedelta(minutes=minutes)
            claim_case(session, case_id=case.id, counselor_telegram_id=COUNSELOR, now=claimed_at)
    outside = pseudonyms[len(IN_PERIOD) :]
    for pseudonym, opened_at in zip(outside, (BEFORE, AFTER), strict=False):
        case, _ = open_case(
            session,
            pseudonym=pseudonym,
            priority=CasePriority.URGENT,
            trigger="crisis_intent",
            locale="ru",
            now=opened_at,
        )
        claim_case(session, case_id=case.id, counselor_telegram_id=COUNSELOR, now=opened_at + timedelta(hours=9))

    free = slots()

    def book(pseudonym: str, key: str, now: datetime = NOW) -> booking.AppointmentView:
        return booking.book_slot(
            session, pseudonym=pseudonym, provider_id="uz-test-clinic", starts_at=next(free), note=None,
            idempotency_key=key, now=now,
        )  # fmt: skip

    visits = [book(pseudonyms[n % len(pseudonyms)], f"visit-{n}") for n in range(17)]
    for visit in visits[:6]:
        booking.mark_attended(session, appointment_id=visit.id, now=visit.starts_at + timedelta(hours=1))
    for visit in visits[6:11]:
        booking.mark_missed(session, appointment_id=visit.id, now=visit.starts_at + timedelta(hours=1))
    for n, visit in enumerate(visits[11:13], start=11):
        booking.cancel_appointment(session, pseudonym=pseudonyms[n % len(pseudonyms)], appointment_id=visit.id, now=NOW)
    booking.reschedule_appointment(
        session, pseudonym=pseudonyms[13], appointment_id=visits[13].id, starts_at=next(free),
        idempotency_key="moved", now=NOW,
    )  # fmt: skip
    # Booked before the period for the day after it, and missed: counted nowhere.
    late = booking.book_slot(
        session, pseudonym=pseudonyms[0], provider_id="uz-test-clinic", starts_at=at(9, 4), note=None,
        idempotency_key="after", now=BEFORE,
    )  # fmt: skip
    booking.mark_missed(session, appointment_id=late.id, now=at(9, 6))

    # Contact times last: the services above stamp the real clock.
    for pseudonym, person in zip(pseudonyms, people, strict=True):
        user = session.scalars(select(User).where(User.pseudonym == pseudonym)).one()
        user.created_at, user.last_seen_at = person.created_at, person.last_seen_at
    session.add(User(pseudonym="erased:" + "0" * 56, created_at=at(3), last_seen_at=at(3), erased_at=at(3)))
    session.flush()
    return Seeded(pseudonyms=tuple(pseudonyms))


def test_people_are_counted_by_language_country_and_first_contact(session: Session) -> None:
    seed(session)
    report = build_report(session, period=PERIOD, intents=TopIntents(source=IntentSource.IN_MEMORY), now=NOW)

    assert cells(report.people_by_locale) == {"ru": 7, "uz": 6, "kk": "<5", "tg": "<5"}
    assert report.people_by_locale.total == 16
    # Tajikistan's 2 alone would follow from the total: Kazakhstan (the smallest shown group) is withheld with it.
    assert cells(report.people_by_country) == {"UZ": 9, "KZ": "≥5", "TJ": "<5"}
    assert report.people_by_country.total == 16 and report.people_by_country.hidden == 7
    assert cells(report.people_new_or_returning) == {"new": 11, "returning": 5}


def test_cases_times_to_claim_and_bookings(session: Session) -> None:
    seed(session)
    report = build_report(session, period=PERIOD, intents=TopIntents(source=IntentSource.IN_MEMORY), now=NOW)

    # 6 urgent, 2 high, 7 normal: the lone small group takes the smallest shown one with it.
    assert cells(report.cases_by_priority) == {"urgent": "≥5", "high": "<5", "normal": 7}
    assert report.cases_by_priority.total == 15
    assert cells(report.cases_by_trigger) == {
        "request": 6,
        "safety_net": 6,
        "follow_up": "<5",
        "misunderstanding": "<5",
    }
    claims = {time.priority: (time.median, time.p90) for time in report.time_to_claim}
    assert claims == {
        "urgent": (timedelta(minutes=3, seconds=30), timedelta(minutes=10)),
        "high": (None, None),
        "normal": (timedelta(minutes=30), timedelta(minutes=50)),
    }

    assert cells(report.appointments_by_status) == {
        "attended": 6,
        "missed": 5,
        "cancelled": "<5",
        "rescheduled": "<5",
        "booked": "<5",
    }
    assert report.appointments_by_status.total == 18
    assert report.no_show_rate == pytest.approx(5 / 11)
    assert report.new_bookings == 17, "the moved visit's new time is no new booking; the one booked before is not"


def test_no_rate_when_one_of_its_counts_is_suppressed() -> None:
    appointments = Breakdown(total=20, cells=(Cell("attended", 16), Cell("missed", None, Suppression.SMALL)))
    assert no_show_rate(appointments) is None


# --- intents from Rasa's tracker store ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_report_tracker_url() -> Iterator[str]:
    """A scratch PostgreSQL database standing in for Rasa's tracker store."""
    yield from scratch_postgres_url()


@pytest.fixture
def tracker_store(engine: Engine, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Rasa's `events` table on the same kind of database as the test's application database."""
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        url = request.getfixturevalue("postgres_report_tracker_url")
    tracker = create_tracker_engine(url)
    EVENTS.metadata.create_all(tracker)
    yield tracker
    EVENTS.metadata.drop_all(tracker)
    tracker.dispose()


def add_events(tracker: Engine, rows: list[tuple[str, str, str | None, datetime]]) -> None:
    """Events as Rasa 3.6 writes them: (sender, type_name, intent_name, when)."""
    values = [
        {
            "sender_id": sender,
            "type_name": kind,
            "timestamp": when.timestamp(),
            "intent_name": intent,
            "action_name": None,
            "data": json.dumps({"event": kind, "text": f"message of {sender}", "timestamp": when.timestamp()}),
        }
        for sender, kind, intent, when in rows
    ]
    with tracker.begin() as connection:
        connection.execute(insert(EVENTS), values)


def conversations(senders: list[str]) -> list[tuple[str, str, str | None, datetime]]:
    """find_provider twice from 6 people, greet from 5, crisis three times from 2, housekeeping and bot turns, and
    plenty just outside the period."""
    rows: list[tuple[str, str, str | None, datetime]] = []
    for sender in senders[:6]:
        rows += [(sender, "user", "find_provider", at(2)), (sender, "user", "find_provider", at(7, 23, 59))]
        rows += [(sender, "bot", None, at(2)), (sender, "user", "session_start", at(2))]
        rows += [(sender, "user", "find_provider", BEFORE), (sender, "user", "find_provider", AFTER)]
    rows += [(sender, "user", "greet", at(1, 0, 0)) for sender in senders[6:11]]
    rows += [(sender, "user", "crisis", at(4)) for sender in senders[11:13] for _ in range(3)]
    return rows


def test_top_intents_count_messages_and_people_of_common_intents_only(tracker_store: Engine) -> None:
    senders = [f"sender-{n:02d}" for n in range(13)]
    add_events(tracker_store, conversations(senders))
    intents = top_intents(tracker_store, period=PERIOD)
    assert intents.source is IntentSource.RECORDED
    assert intents.intents == (IntentCount("find_provider", 12, 6), IntentCount("greet", 5, 5))
    assert intents.unlisted == 1, "crisis came from 2 people: counted, never named"


def test_intents_are_honestly_not_recorded_without_a_tracker_store(tmp_path: Path) -> None:
    assert read_top_intents(None, period=PERIOD).source is IntentSource.IN_MEMORY
    missing = tmp_path / "yoldosh-rasa.db"
    assert read_top_intents(f"sqlite:///{missing}", period=PERIOD).source is IntentSource.NO_EVENTS
    assert not missing.exists(), "reading the report never creates a tracker store"
    empty = create_tracker_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with empty.begin():
        pass
    empty.dispose()
    assert read_top_intents(f"sqlite:///{tmp_path / 'empty.db'}", period=PERIOD).source is IntentSource.NO_EVENTS
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    assert read_top_intents(unreachable, period=PERIOD).source is IntentSource.UNREADABLE


# --- rendering ------------------------------------------------------------------------------------------------------


def assert_no_one_in(text: str, pseudonyms: tuple[str, ...]) -> None:
    for pseudonym in pseudonyms:
        assert pseudonym not in text and pseudonym[:8] not in text, "no pseudonym or case code in a report"
    assert "910000" not in text and "Dilnoza" not in text, "no Telegram id, no counselor alias"


def test_markdown_and_charts_show_only_suppressed_counts(session: Session, tmp_path: Path) -> None:
    seeded = seed(session)
    intents = TopIntents(IntentSource.RECORDED, (IntentCount("find_provider", 12, 6),), unlisted=1)
    report = build_report(session, period=PERIOD, intents=intents, now=NOW)
    charts = write_charts(report, tmp_path)
    markdown = render_markdown(report, charts)

    assert set(charts) == {
        "people_by_locale",
        "people_by_country",
        "top_intents",
        "cases_by_priority",
        "cases_by_trigger",
        "appointments_by_status",
        "time_to_claim",
    }
    for name in charts.values():
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 1000
        assert not any(pseudonym.encode() in data for pseudonym in seeded.pseudonyms)
        assert f"]({name})" in markdown
    assert "# Yoldosh supervisor report: 2026-12-01 to 2026-12-07" in markdown
    assert "| Russian · ru | 7 |" in markdown and "| Kazakh · kk | <5 |" in markdown
    assert "| Kazakhstan · KZ | ≥5 |" in markdown and "| **total** | **16** |" in markdown
    assert "| `find_provider` | 12 | 6 |" in markdown and "1 more intent(s) not listed" in markdown
    assert "| urgent | 3 min 30 s | 10 min 00 s |" in markdown
    assert "| high | fewer than 5 claimed | |" in markdown
    assert "No-shows: **45%**" in markdown and "(for any day, moves not counted): **17**" in markdown
    assert_no_one_in(markdown, seeded.pseudonyms)


def test_a_quiet_period_says_so_and_draws_nothing(session: Session, tmp_path: Path) -> None:
    quiet = ReportPeriod(first_day=date(2020, 1, 1), last_day=date(2020, 1, 1))
    report = build_report(session, period=quiet, intents=TopIntents(IntentSource.NO_EVENTS), now=NOW)
    (tmp_path / "people_by_locale.png").write_bytes(PNG_MAGIC)  # left by an earlier report in the same directory
    charts = write_charts(report, tmp_path)
    markdown = render_markdown(report, charts)
    assert charts == {} and list(tmp_path.glob("*.png")) == []
    assert "No people in the period." in markdown and "Not recorded: Rasa's tracker store has no" in markdown


# --- `yoldosh report` on a database file ----------------------------------------------------------------------------


@pytest.fixture
def database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Seeded, Path]]:
    """A migrated SQLite file with the seeded period, a tracker store file beside it; the CLI's environment."""
    url = f"sqlite:///{tmp_path / 'yoldosh.db'}"
    engine = create_database_engine(url, key_ring=key_ring_for(CLI_SECRET.encode()))
    upgrade_database(engine)
    with transaction(session_factory(engine)) as session:
        seeded = seed(session)
    engine.dispose()
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    tracker = create_tracker_engine(tracker_url)
    EVENTS.metadata.create_all(tracker)
    add_events(tracker, conversations(list(seeded.pseudonyms)))
    tracker.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", CLI_SECRET)
    monkeypatch.setenv("TRACKER_STORE_URL", tracker_url)
    yield seeded, tmp_path


def test_the_command_writes_the_report_and_prints_its_path(
    database_file: tuple[Seeded, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    seeded, directory = database_file
    out = directory / "december"
    assert main(["report", "--from", "2026-12-01", "--to", "2026-12-07", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.strip() == str(out / "report.md")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "| `find_provider` | 12 | 6 |" in markdown and "| `greet` | 5 | 5 |" in markdown
    assert "| Uzbek · uz | 6 |" in markdown and "No-shows: **45%**" in markdown
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 7 and all(png.read_bytes().startswith(PNG_MAGIC) for png in pngs)
    assert_no_one_in(markdown + printed, seeded.pseudonyms)


def test_the_command_refuses_a_period_that_ends_before_it_starts(
    database_file: tuple[Seeded, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--from", "2026-12-07", "--to", "2026-12-01"])
    assert exit_info.value.code == 2 and "--to is before --from" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["report", "--from", "yesterday", "--to", "2026-12-01"])
