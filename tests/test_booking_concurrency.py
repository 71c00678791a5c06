"""Capacity and delivery under real concurrency: threads with their own connections and commits, on a scratch
SQLite file and a scratch PostgreSQL database (the rolled-back test transaction cannot show races)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.booking import service as booking
from services.booking.models import Appointment, AppointmentStatus, SlotSeat
from services.booking.types import UnavailableReason
from services.outbox import service as outbox
from services.outbox.models import OutboxMessage, OutboxStatus
from services.storage.database import create_database_engine, session_factory, transaction
from services.storage.migrate import upgrade_database
from tests.booking_factories import NOW, load_providers, provider_entry
from tests.conftest import BACKENDS, TEST_SECRET, key_ring_for, scratch_postgres_url
from tests.factories import make_user

ATTEMPTS = 200
CAPACITY = 3
SLOT = datetime(2026, 12, 3, 5, 30, tzinfo=UTC)  # Thursday 10:30 in Tashkent
POOL = 40


@pytest.fixture(scope="module", params=BACKENDS)
def scratch(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    """A migrated scratch database with one clinic (3 seats a slot) and 230 consenting users; real commits."""
    urls: Iterator[str]
    if request.param == "sqlite":
        urls = iter([f"sqlite:///{tmp_path_factory.mktemp('concurrency') / 'yoldosh.db'}"])
    else:
        urls = scratch_postgres_url()
    url = next(urls)
    engine = create_database_engine(
        url, key_ring=key_ring_for(TEST_SECRET), pool_size=POOL, max_overflow=0, pool_timeout=120
    )
    upgrade_database(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        load_providers(session, provider_entry(capacity=CAPACITY))
        for number in range(ATTEMPTS + 30):
            make_user(session, telegram_id=10_000 + number, chat_id=10_000 + number)
    yield sessions
    engine.dispose()
    for _ in urls:  # drop the PostgreSQL database
        pass


def pseudonyms(sessions: sessionmaker[Session]) -> list[str]:
    from services.users.models import User

    with sessions() as session:
        return list(session.scalars(select(User.pseudonym).order_by(User.id)))


def run_together(tasks: list[Callable[[], Any]]) -> list[Any]:
    """Run every task in its own thread, all released at once; returns results or raised exceptions, in order."""
    barrier = threading.Barrier(len(tasks))

    def released(task: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return task()
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        return list(pool.map(released, tasks))


def attempt(sessions: sessionmaker[Session], pseudonym: str, key: str, starts_at: datetime = SLOT) -> Any:
    with transaction(sessions) as session:
        return booking.book_slot(
            session,
            pseudonym=pseudonym,
            provider_id="uz-test-clinic",
            starts_at=starts_at,
            note=None,
            idempotency_key=key,
            now=NOW,
        )


def held(sessions: sessionmaker[Session], starts_at: datetime) -> tuple[int, int]:
    with sessions() as session:
        seats = session.scalar(select(func.count()).select_from(SlotSeat).where(SlotSeat.starts_at == starts_at))
        booked = session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.starts_at == starts_at, Appointment.status == AppointmentStatus.BOOKED)
        )
        return int(seats or 0), int(booked or 0)


def test_200_concurrent_attempts_on_one_slot_book_exactly_its_capacity(scratch: sessionmaker[Session]) -> None:
    people = pseudonyms(scratch)
    started = time.monotonic()
    outcomes = run_together(
        [lambda p=p, n=n: attempt(scratch, p, f"race-{n}") for n, p in enumerate(people[:ATTEMPTS])]
    )
    elapsed = time.monotonic() - started
    booked = [o for o in outcomes if isinstance(o, booking.AppointmentView)]
    refused = [o for o in outcomes if isinstance(o, booking.SlotUnavailableError)]
    unexpected = [o for o in outcomes if o not in booked and o not in refused]
    assert unexpected == []
    assert len(booked) == CAPACITY and len(refused) == ATTEMPTS - CAPACITY
    assert {error.reason for error in refused} == {UnavailableReason.FULL}
    assert all(error.alternatives and error.alternatives[0].starts_at > SLOT for error in refused)
    assert held(scratch, SLOT) == (CAPACITY, CAPACITY)
    print(f"\n{ATTEMPTS} concurrent attempts, capacity {CAPACITY}: {len(booked)} booked in {elapsed:.2f} s")

    # Cancelling one frees exactly one seat for the next attempt.
    owner = people[[o is booked[0] for o in outcomes].index(True)]
    with transaction(scratch) as session:
        booking.cancel_appointment(session, pseudonym=owner, appointment_id=booked[0].id, now=NOW)
    assert held(scratch, SLOT) == (CAPACITY - 1, CAPACITY - 1)
    late = run_together([lambda p=p, n=n: attempt(scratch, p, f"late-{n}") for n, p in enumerate(people[ATTEMPTS:])])
    assert len([o for o in late if isinstance(o, booking.AppointmentView)]) == 1
    assert all(isinstance(o, booking.SlotUnavailableError) for o in late if not isinstance(o, booking.AppointmentView))
    assert held(scratch, SLOT) == (CAPACITY, CAPACITY)


def test_concurrent_double_taps_make_one_booking(scratch: sessionmaker[Session]) -> None:
    person = pseudonyms(scratch)[0]
    starts_at = SLOT + timedelta(days=1)
    outcomes = run_together([lambda: attempt(scratch, person, "double-tap", starts_at) for _ in range(30)])
    assert all(isinstance(o, booking.AppointmentView) for o in outcomes), {type(o) for o in outcomes}
    assert len({o.id for o in outcomes}) == 1
    assert held(scratch, starts_at) == (1, 1)


def test_two_workers_deliver_every_reminder_exactly_once(scratch: sessionmaker[Session]) -> None:
    with transaction(scratch) as session:
        for number in range(300):
            outbox.enqueue_message(
                session, kind="test", user_id=None, payload={}, due_at=NOW, dedupe_key=f"worker-{number}", now=NOW
            )
    delivered: list[str] = []

    def worker(name: str) -> int:
        count = 0
        while True:
            with transaction(scratch) as session:
                batch = outbox.claim_due_messages(session, now=NOW, limit=7, worker_id=name)
            if not batch:
                return count
            for item in batch:
                delivered.append(item.dedupe_key)
                with transaction(scratch) as session:
                    assert outbox.mark_sent(session, message_id=item.id, worker_id=name, now=NOW).owned
                count += 1

    counts = run_together([lambda n=n: worker(f"w{n}") for n in range(2)])
    assert not [c for c in counts if isinstance(c, Exception)], counts
    mine = [key for key in delivered if key.startswith("worker-")]
    assert len(mine) == 300 and set(Counter(mine).values()) == {1}
    with scratch() as session:
        statuses = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.dedupe_key.like("worker-%")).distinct()
        ).all()
    assert statuses == [OutboxStatus.SENT]
