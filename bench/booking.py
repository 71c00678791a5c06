"""Booking benchmark on a scratch database: overbookings under 1,000 concurrent attempts across 50 slots, booking
latency at 50 concurrent users, and slot search over 500 providers × 8 weeks.

Usage: python -m bench.booking [--backend postgresql|sqlite|both] [--json OUT.json]
PostgreSQL comes from YOLDOSH_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); a database
is created for the run and dropped afterwards. Numbers to report, not pass/fail, except overbookings (must be 0).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from services.booking import service as booking
from services.booking.models import Appointment, AppointmentStatus
from services.booking.types import Slot
from services.content.reader import DirectoryContent, SourcedProvider, read_holidays
from services.content.schema import ProviderEntry
from services.crypto.keys import KeyRing
from services.directory.service import load_directory
from services.paths import DIRECTORY_DIR, VAR_DIR
from services.storage.database import create_database_engine, session_factory, transaction
from services.storage.migrate import upgrade_database
from services.users import service as users
from services.users.pseudonyms import pseudonym_for

RESULTS = VAR_DIR / "bench" / "booking.json"
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 07:00 in Tashkent
PROVIDERS = 500
SEARCH_DAYS = 56
RACE_ATTEMPTS, RACE_SLOTS, RACE_CAPACITY = 1_000, 50, 3
LATENCY_USERS, LATENCY_BOOKINGS_EACH = 50, 20
SERIAL_BOOKINGS = 100
POOL = 60
ZONES = {"UZ": "Asia/Tashkent", "KZ": "Asia/Almaty", "KG": "Asia/Bishkek", "TJ": "Asia/Dushanbe"}
PHONES = {"UZ": "+998 71 200 00 00", "KZ": "+7 727 200 00 00", "KG": "+996 312 200 000", "TJ": "+992 37 200 00 00"}
SECRET = b"bench-secret-key-not-used-anywhere-else-0000"


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    at = lambda share: round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)  # noqa: E731
    return {"p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": round(ordered[-1] * 1000, 1)}


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """A URL to a new, empty database of `backend`, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="yoldosh-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    admin_url = os.environ.get("YOLDOSH_TEST_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    admin_url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"yoldosh_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _provider(number: int, rng: random.Random) -> SourcedProvider:
    country = ("UZ", "KZ", "KG", "TJ")[number % 4]
    hours: dict[str, Any] = {day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    if rng.random() < 0.5:
        hours["sat"] = "09:00-13:00"
    first = NOW.date()
    entry = ProviderEntry.model_validate(
        {
            "id": f"bench-{country.lower()}-{number:04d}",
            "categories": ["medical"],
            "name": {"en": f"Bench clinic {number}", "ru": f"Клиника {number}"},
            "address": {"en": f"{number} Bench Street", "ru": f"ул. Тестовая, {number}"},
            "region": "bench",
            "city": "bench",
            "coordinates": {"lat": 41.0 + number / 1000, "lon": 69.0 + number / 1000},
            "phone": PHONES[country],
            "timezone": ZONES[country],
            "languages": ["ru"],
            "flags": {"free": True, "women_staff": False, "child_friendly": True, "step_free": True},
            "hours": hours,
            "slot_minutes": rng.choice((20, 30, 30, 45, 60)),
            "slot_capacity": RACE_CAPACITY if number < RACE_SLOTS // 5 else rng.choice((1, 2, 3)),
            "closed_on": sorted({first + timedelta(days=rng.randrange(1, SEARCH_DAYS)) for _ in range(2)}),
        }
    )
    return SourcedProvider(country=country, entry=entry, file="bench", sample=True)


def prepare(sessions: sessionmaker[Session], *, people: int) -> tuple[list[str], list[str]]:
    """Load 500 synthetic providers with the shipped holidays and `people` consenting users."""
    rng = random.Random(5)
    holidays = read_holidays(DIRECTORY_DIR, [])
    providers = [_provider(number, rng) for number in range(PROVIDERS)]
    with transaction(sessions) as session:
        load_directory(session, content=DirectoryContent(holidays=holidays, providers=providers))
        pseudonyms = []
        for number in range(people):
            pseudonym = pseudonym_for(SECRET, channel="bench", external_id=number)
            users.choose_locale(session, pseudonym=pseudonym, locale="ru")
            users.give_consent(session, pseudonym=pseudonym, chat_id=number)
            pseudonyms.append(pseudonym)
    return [sourced.entry.id for sourced in providers], pseudonyms


def _together(tasks: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(tasks))

    def released(task: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return task()
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        return list(pool.map(released, tasks))


def _book(sessions: sessionmaker[Session], pseudonym: str, provider_id: str, starts_at: datetime, key: str) -> Any:
    with transaction(sessions) as session:
        return booking.book_slot(
            session,
            pseudonym=pseudonym,
            provider_id=provider_id,
            starts_at=starts_at,
            note=None,
            idempotency_key=key,
            now=NOW,
        )


def _slots(sessions: sessionmaker[Session], provider_id: str, days: int = SEARCH_DAYS) -> list[Slot]:
    with sessions() as session:
        return booking.available_slots(session, provider_id=provider_id, start=NOW.date(), days=days, now=NOW)


def overbooking_race(sessions: sessionmaker[Session], provider_ids: list[str], people: list[str]) -> dict[str, Any]:
    """1,000 attempts released at once on 50 slots of capacity 3 (20 per slot), each by a different person."""
    racing = provider_ids[: RACE_SLOTS // 5]
    targets = [(provider_id, slot.starts_at) for provider_id in racing for slot in _slots(sessions, provider_id, 7)[:5]]
    assert len(targets) == RACE_SLOTS

    def attempt(n: int) -> Callable[[], Any]:
        provider_id, starts_at = targets[n % RACE_SLOTS]
        return lambda: _book(sessions, people[n], provider_id, starts_at, f"race-{n}")

    started = time.monotonic()
    outcomes = _together([attempt(n) for n in range(RACE_ATTEMPTS)])
    elapsed = time.monotonic() - started
    booked = sum(isinstance(outcome, booking.AppointmentView) for outcome in outcomes)
    full = sum(
        isinstance(outcome, booking.SlotUnavailableError) and outcome.reason.value == "full" for outcome in outcomes
    )
    with sessions() as session:
        per_slot = session.execute(
            select(Appointment.provider_id, Appointment.starts_at, func.count())
            .where(Appointment.provider_id.in_(racing), Appointment.status == AppointmentStatus.BOOKED)
            .group_by(Appointment.provider_id, Appointment.starts_at)
        ).all()
    return {
        "attempts": RACE_ATTEMPTS,
        "slots": RACE_SLOTS,
        "capacity_per_slot": RACE_CAPACITY,
        "booked": booked,
        "refused_full": full,
        "other_errors": RACE_ATTEMPTS - booked - full,
        "overbookings": sum(max(0, count - RACE_CAPACITY) for _provider, _start, count in per_slot),
        "seconds": round(elapsed, 2),
    }


def latency_targets(sessions: sessionmaker[Session], provider_ids: list[str], count: int) -> list[tuple[str, datetime]]:
    """`count` distinct free slots, 10 from each of randomly chosen providers outside the race, shuffled."""
    rng = random.Random(7)
    targets: list[tuple[str, datetime]] = []
    for provider_id in rng.sample(provider_ids[RACE_SLOTS // 5 :], -(-count // 10)):
        targets += [(provider_id, slot.starts_at) for slot in rng.sample(_slots(sessions, provider_id), 10)]
    rng.shuffle(targets)
    return targets[:count]


def booking_latency(
    sessions: sessionmaker[Session], targets: list[tuple[str, datetime]], people: list[str], *, users: int, each: int
) -> dict[str, Any]:
    """`users` people booking at once, `each` bookings one after another on distinct free slots (no think time);
    the time of each book-and-commit."""
    samples: list[float] = []
    failures: list[str] = []

    def user(number: int) -> None:
        for index, (provider_id, starts_at) in enumerate(targets[number * each : (number + 1) * each]):
            started = time.perf_counter()
            try:
                _book(sessions, people[number], provider_id, starts_at, f"latency-{users}-{number}-{index}")
            except Exception as error:
                failures.append(type(error).__name__)
                continue
            samples.append(time.perf_counter() - started)

    started = time.monotonic()
    _together([functools.partial(user, n) for n in range(users)])
    elapsed = time.monotonic() - started
    return {
        "concurrent_users": users,
        "bookings": len(samples),
        "failed": len(failures),
        "failures": sorted(set(failures)),
        "bookings_per_second": round(len(samples) / elapsed, 1),
        **_percentiles(samples),
    }


def slot_search(sessions: sessionmaker[Session], provider_ids: list[str]) -> dict[str, Any]:
    """available_slots for every provider over 8 weeks, one session each, one after another."""
    samples: list[float] = []
    found = 0
    started = time.monotonic()
    for provider_id in provider_ids:
        begun = time.perf_counter()
        found += len(_slots(sessions, provider_id))
        samples.append(time.perf_counter() - begun)
    return {
        "providers": len(provider_ids),
        "days": SEARCH_DAYS,
        "free_slots_found": found,
        "total_seconds": round(time.monotonic() - started, 2),
        **{f"per_provider_{key}": value for key, value in _percentiles(samples).items()},
    }


def run(backend: str) -> dict[str, Any]:
    """Every measurement on a fresh scratch database of `backend`."""
    with scratch_database(backend) as url:
        engine = create_database_engine(url, key_ring=KeyRing(SECRET), pool_size=POOL, max_overflow=0, pool_timeout=300)
        try:
            upgrade_database(engine)
            sessions = session_factory(engine)
            provider_ids, people = prepare(sessions, people=RACE_ATTEMPTS + LATENCY_USERS)
            race = overbooking_race(sessions, provider_ids, people)
            wanted = LATENCY_USERS * LATENCY_BOOKINGS_EACH
            targets = latency_targets(sessions, provider_ids, SERIAL_BOOKINGS + wanted)
            others = people[RACE_ATTEMPTS:]
            serial = booking_latency(sessions, targets[:SERIAL_BOOKINGS], others, users=1, each=SERIAL_BOOKINGS)
            latency = booking_latency(
                sessions, targets[SERIAL_BOOKINGS:], others, users=LATENCY_USERS, each=LATENCY_BOOKINGS_EACH
            )
            search = slot_search(sessions, provider_ids)
        finally:
            engine.dispose()
    return {
        "backend": backend,
        "pool_size": POOL,
        "race": race,
        "latency_one_user": serial,
        "latency": latency,
        "search": search,
    }


def main() -> None:
    """Run the benchmark, print a summary per backend and write JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.booking", description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="postgresql")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results (default: %(default)s)")
    arguments = parser.parse_args()
    backends = ("postgresql", "sqlite") if arguments.backend == "both" else (arguments.backend,)
    runs = [run(backend) for backend in backends]
    results = {"date": date.today().isoformat(), "runs": runs}
    for result in runs:
        race, search = result["race"], result["search"]
        print(f"== {result['backend']} (pool {result['pool_size']})")
        print(
            f"  race: {race['attempts']} attempts on {race['slots']} slots × {race['capacity_per_slot']} seats → "
            f"{race['booked']} booked, {race['refused_full']} full, {race['other_errors']} other errors, "
            f"overbookings {race['overbookings']} ({race['seconds']} s)"
        )
        for latency in (result["latency_one_user"], result["latency"]):
            print(
                f"  booking at {latency['concurrent_users']} concurrent user(s): {latency['bookings']} bookings, "
                f"p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms, p99 {latency['p99_ms']} ms, "
                f"{latency['bookings_per_second']}/s, failed {latency['failed']} {latency['failures']}"
            )
        print(
            f"  slot search: {search['providers']} providers × {search['days']} days in {search['total_seconds']} s, "
            f"per provider p50 {search['per_provider_p50_ms']} ms, p95 {search['per_provider_p95_ms']} ms "
            f"({search['free_slots_found']} free slots)"
        )
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(results, indent=2))
    print(f"==> Written to {arguments.json}")
    if any(result["race"]["overbookings"] for result in runs):
        raise SystemExit("overbookings found")


if __name__ == "__main__":
    main()
