"""Retention purge, holds, erasure and a person's copy of their data, on SQLite and PostgreSQL, with aged rows in the
application database and in a tracker store laid out as Rasa 3.6's SQLTrackerStore lays it out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from services.audit.service import actions_on
from services.booking.models import Appointment, AppointmentStatus, BookingDraft
from services.escalation import service as cases
from services.escalation.counselors import NotACounselorError, add_counselor
from services.escalation.holds import HoldReasonRequiredError, NotHeldError, place_hold, release_hold
from services.escalation.models import CaseMessage, CasePriority, CaseStatus, CounselorRole, EscalationCase
from services.escalation.service import NotYourCaseError
from services.inbox.models import InboundUpdate
from services.inbox.service import claim_update, finish_update
from services.outbox.models import OutboxMessage, OutboxStatus
from services.outbox.service import enqueue_message
from services.privacy.erasure import erase_everywhere
from services.privacy.export import export_user_data
from services.privacy.retention import purge_expired_data
from services.privacy.tracker_store import (
    EVENTS,
    conversation,
    create_tracker_engine,
    delete_conversation,
    purge_events_before,
)
from services.storage.database import create_database_engine, transaction
from services.storage.migrate import upgrade_database
from services.trail.models import TrailMessage
from services.trail.service import remember_messages
from services.users.models import User
from services.users.types import UserView
from tests.booking_factories import load_providers, provider_entry
from tests.conftest import TEST_SECRET, key_ring_for, scratch_postgres_url
from tests.factories import make_user

NOW = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
RETENTION_DAYS = 180
OLD = NOW - timedelta(days=RETENTION_DAYS + 20)
RECENT = NOW - timedelta(days=10)
ALICE, BOBUR, SUPERVISOR, STRANGER = 9101, 9102, 9103, 9199


@pytest.fixture(scope="session")
def postgres_tracker_url() -> Iterator[str]:
    """A scratch PostgreSQL database standing in for Rasa's tracker store."""
    yield from scratch_postgres_url()


@pytest.fixture
def tracker_store(engine: Engine, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Rasa's `events` table on the same kind of database as the test's application database."""
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        url = request.getfixturevalue("postgres_tracker_url")
    tracker = create_tracker_engine(url)
    EVENTS.metadata.create_all(tracker)
    yield tracker
    EVENTS.metadata.drop_all(tracker)
    tracker.dispose()


def add_events(tracker: Engine, sender: str, *lines: tuple[datetime, str, str]) -> None:
    """Events as Rasa writes them: (when, "user" or "bot", text)."""
    rows = []
    for at, kind, words in lines:
        data: dict[str, object] = {"event": kind, "timestamp": at.timestamp(), "text": words}
        if kind == "user":
            data["parse_data"] = {"intent": {"name": "greet", "confidence": 0.9}, "text": words}
        rows.append(
            {
                "sender_id": sender,
                "type_name": kind,
                "timestamp": at.timestamp(),
                "intent_name": "greet" if kind == "user" else None,
                "action_name": None,
                "data": json.dumps(data),
            }
        )
    with tracker.begin() as connection:
        connection.execute(insert(EVENTS), rows)


def events_of(tracker: Engine, sender: str) -> int:
    with tracker.connect() as connection:
        return int(connection.scalar(select(func.count()).where(EVENTS.c.sender_id == sender)) or 0)


@pytest.fixture
def desk(session: Session) -> Session:
    add_counselor(session, telegram_user_id=ALICE, alias="Alisa")
    add_counselor(session, telegram_user_id=BOBUR, alias="Bobur")
    add_counselor(session, telegram_user_id=SUPERVISOR, alias="Dilnoza", role=CounselorRole.SUPERVISOR)
    load_providers(session, provider_entry())
    return session


def _case(session: Session, user: UserView, *, at: datetime, closed: bool, note: str | None = None) -> int:
    """A case opened at `at` with a message each way (and a counselor's note), closed a day later if `closed`."""
    case, _new = cases.open_case(
        session, pseudonym=user.pseudonym, priority=CasePriority.URGENT, trigger="safety_net", locale="uz", now=at
    )
    cases.claim_case(session, case_id=case.id, counselor_telegram_id=ALICE, now=at)
    cases.record_case_message(session, case_id=case.id, direction=cases.MessageDirection.FROM_USER, body="help", now=at)
    cases.record_case_message(
        session,
        case_id=case.id,
        direction=cases.MessageDirection.TO_USER,
        body="I am here",
        counselor_telegram_id=ALICE,
        now=at,
    )
    if note:
        cases.record_case_message(
            session, case_id=case.id, direction=cases.MessageDirection.NOTE, body=note, counselor_telegram_id=ALICE
        )
    if closed:
        cases.close_case(
            session, case_id=case.id, counselor_telegram_id=ALICE, outcome="referred", now=at + timedelta(days=1)
        )
    return case.id


def _appointment(session: Session, user: UserView, *, starts: datetime, key: str, **fields: object) -> int:
    appointment = Appointment(
        user_id=user.id,
        provider_id="uz-test-clinic",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        note="bring the children's papers",
        idempotency_key=key,
        created_at=starts - timedelta(days=3),
        **fields,
    )
    session.add(appointment)
    session.flush()
    return appointment.id


def _bodies(session: Session, case_id: int) -> list[str | None]:
    session.expire_all()
    return list(session.scalars(select(CaseMessage.body).where(CaseMessage.case_id == case_id)))


# --- the retention purge ----------------------------------------------------------------------------------------
def test_the_purge_removes_aged_content_everywhere_and_keeps_the_rest(
    desk: Session, sessions: sessionmaker[Session], tracker_store: Engine
) -> None:
    user = make_user(desk, telegram_id=7001)
    old_closed = _case(desk, user, at=OLD, closed=True, note="called the school")
    old_held = _case(desk, make_user(desk, telegram_id=7002), at=OLD, closed=True)
    place_hold(desk, case_id=old_held, counselor_telegram_id=SUPERVISOR, reason="court order 12/27")
    recent_closed = _case(desk, make_user(desk, telegram_id=7003), at=RECENT, closed=True)
    old_open = _case(desk, make_user(desk, telegram_id=7004), at=OLD, closed=False)
    past = _appointment(desk, user, starts=OLD, key="past")
    cancelled = _appointment(
        desk,
        user,
        starts=NOW + timedelta(days=2),
        key="cancelled",
        status=AppointmentStatus.CANCELLED,
        cancelled_at=OLD,
    )
    coming = _appointment(desk, user, starts=NOW + timedelta(days=1), key="coming")
    stale = make_user(desk, telegram_id=7005)
    desk.add_all(
        [
            BookingDraft(
                user_id=stale.id, provider_id="uz-test-clinic", note="x", idempotency_key="d1", updated_at=OLD
            ),
            BookingDraft(
                user_id=user.id, provider_id="uz-test-clinic", note="y", idempotency_key="d2", updated_at=RECENT
            ),
        ]
    )
    for key, due, sent in (("old-sent", OLD, True), ("old-pending", OLD, False), ("recent-sent", RECENT, True)):
        enqueue_message(desk, kind="reminder", user_id=user.id, payload={}, due_at=due, dedupe_key=key, now=due)
        if sent:
            desk.execute(
                update(OutboxMessage)
                .where(OutboxMessage.dedupe_key == key)
                .values(status=OutboxStatus.SENT, sent_at=due)
            )
    remember_messages(desk, pseudonym=user.pseudonym, message_ids=[11, 12], now=NOW - timedelta(days=3))
    remember_messages(desk, pseudonym=user.pseudonym, message_ids=[13], now=NOW - timedelta(hours=1))
    claim_update(desk, channel="telegram", update_id=1, now=NOW - timedelta(days=8))
    finish_update(desk, channel="telegram", update_id=1, now=NOW - timedelta(days=8))
    claim_update(desk, channel="telegram", update_id=2, now=NOW - timedelta(days=1))
    add_events(tracker_store, user.pseudonym, (OLD, "user", "salom"), (OLD, "bot", "Salom!"))
    add_events(tracker_store, user.pseudonym, (RECENT, "user", "shifokor kerak"), (RECENT, "bot", "Qayerda?"))
    desk.commit()

    report = purge_expired_data(sessions, tracker_store=tracker_store, retention_days=RETENTION_DAYS, now=NOW)

    assert report.case_messages_blanked == 3 and report.cases_purged == 1
    assert _bodies(desk, old_closed) == [None, None, None]
    assert _bodies(desk, old_held) == ["help", "I am here"], "a held case keeps its messages"
    assert _bodies(desk, recent_closed) == ["help", "I am here"]
    assert _bodies(desk, old_open) == ["help", "I am here"], "a case still going keeps its messages"
    purged = desk.get(EscalationCase, old_closed)
    assert purged is not None and purged.content_purged_at == NOW and purged.outcome == "referred"
    assert "close" in [action for _actor, action in actions_on(desk, subject_type="case", subject_id=old_closed)]
    notes = {a.id: a.note for a in desk.scalars(select(Appointment).where(Appointment.user_id == user.id))}
    assert notes == {past: None, cancelled: None, coming: "bring the children's papers"}
    assert report.appointment_notes_blanked == 2
    assert list(desk.scalars(select(BookingDraft.user_id))) == [user.id] and report.booking_drafts_deleted == 1
    assert sorted(desk.scalars(select(OutboxMessage.dedupe_key))) == ["old-pending", "recent-sent"]
    assert sorted(desk.scalars(select(TrailMessage.message_id))) == [13]
    assert list(desk.scalars(select(InboundUpdate.update_id))) == [2]
    assert report.tracker_events == 2
    assert [line.text for line in conversation(tracker_store, sender_id=user.pseudonym)] == [
        "shifokor kerak",
        "Qayerda?",
    ]

    again = purge_expired_data(sessions, tracker_store=tracker_store, retention_days=RETENTION_DAYS, now=NOW)
    counts = {name: value for name, value in again.__dict__.items() if name != "cutoff"}
    assert set(counts.values()) == {0}, "a second run finds nothing left to do"
    assert "tracker events deleted: 0" in again.summary()


def test_the_tracker_purge_works_in_batches_and_without_a_table(tracker_store: Engine) -> None:
    add_events(tracker_store, "a", *[(OLD + timedelta(seconds=i), "user", f"m{i}") for i in range(7)])
    add_events(tracker_store, "b", (RECENT, "user", "new"))
    assert purge_events_before(tracker_store, before=NOW - timedelta(days=RETENTION_DAYS), batch_size=3) == 7
    assert events_of(tracker_store, "a") == 0 and events_of(tracker_store, "b") == 1
    EVENTS.metadata.drop_all(tracker_store)
    assert purge_events_before(tracker_store, before=NOW) == 0, "Rasa has not started yet: nothing to purge"
    assert delete_conversation(tracker_store, sender_id="b") == 0 and conversation(tracker_store, sender_id="b") == []
    EVENTS.metadata.create_all(tracker_store)


def test_without_a_tracker_store_the_purge_still_cleans_the_database(
    desk: Session, sessions: sessionmaker[Session]
) -> None:
    old_closed = _case(desk, make_user(desk, telegram_id=7011), at=OLD, closed=True)
    desk.commit()
    report = purge_expired_data(sessions, tracker_store=None, retention_days=RETENTION_DAYS, now=NOW)
    assert report.tracker_events is None and "in memory" in report.summary()
    assert _bodies(desk, old_closed) == [None, None]


# --- holds --------------------------------------------------------------------------------------------------------
def test_holds_are_placed_by_the_holder_or_a_supervisor_with_a_reason_and_audited(desk: Session) -> None:
    case_id = _case(desk, make_user(desk, telegram_id=7021), at=RECENT, closed=False)
    with pytest.raises(NotACounselorError):
        place_hold(desk, case_id=case_id, counselor_telegram_id=STRANGER, reason="x")
    with pytest.raises(NotYourCaseError):
        place_hold(desk, case_id=case_id, counselor_telegram_id=BOBUR, reason="x")
    with pytest.raises(HoldReasonRequiredError):
        place_hold(desk, case_id=case_id, counselor_telegram_id=ALICE, reason="  \n ")
    with pytest.raises(NotHeldError):
        release_hold(desk, case_id=case_id, counselor_telegram_id=ALICE)

    held = place_hold(desk, case_id=case_id, counselor_telegram_id=ALICE, reason="  safeguarding\nreferral ", now=NOW)
    assert held.held_at == NOW and held.hold_reason == "safeguarding referral"
    with pytest.raises(NotYourCaseError):
        release_hold(desk, case_id=case_id, counselor_telegram_id=BOBUR)
    released = release_hold(desk, case_id=case_id, counselor_telegram_id=SUPERVISOR)
    assert released.held_at is None and released.hold_reason is None
    assert [action for _actor, action in actions_on(desk, subject_type="case", subject_id=case_id)][-2:] == [
        "hold",
        "release_hold",
    ]

    cases.close_case(desk, case_id=case_id, counselor_telegram_id=ALICE, outcome="done")
    with pytest.raises(NotYourCaseError):
        place_hold(desk, case_id=case_id, counselor_telegram_id=ALICE, reason="too late for the holder")
    assert place_hold(desk, case_id=case_id, counselor_telegram_id=SUPERVISOR, reason="court order").held_at


# --- erasure ------------------------------------------------------------------------------------------------------
def test_erasure_deletes_everything_but_keeps_a_held_case_anonymised(
    desk: Session, sessions: sessionmaker[Session], tracker_store: Engine
) -> None:
    user = make_user(desk, telegram_id=7031)
    other = make_user(desk, telegram_id=7032)
    plain = _case(desk, user, at=OLD, closed=True)
    held = _case(desk, user, at=RECENT, closed=False, note="spoke to the district")
    place_hold(desk, case_id=held, counselor_telegram_id=ALICE, reason="duty to report")
    _appointment(desk, user, starts=NOW + timedelta(days=1), key="erase-me")
    remember_messages(desk, pseudonym=user.pseudonym, message_ids=[21, 22])
    add_events(tracker_store, user.pseudonym, (RECENT, "user", "salom"))
    add_events(tracker_store, other.pseudonym, (RECENT, "user", "privet"))
    desk.commit()

    receipt = erase_everywhere(sessions, tracker_store=tracker_store, pseudonym=user.pseudonym)

    assert receipt.found and receipt.held_cases == 1 and receipt.tracker_events == 1
    assert receipt.chat_message_ids == (21, 22), "the channel may still delete these"
    desk.expire_all()
    assert desk.scalars(select(User).where(User.pseudonym == user.pseudonym)).first() is None
    assert desk.get(EscalationCase, plain) is None
    assert desk.scalar(select(func.count()).select_from(Appointment).where(Appointment.user_id == user.id)) == 0
    kept = desk.get(EscalationCase, held)
    assert kept is not None and kept.status is CaseStatus.CLOSED and kept.outcome == "user_erased"
    assert kept.reply_chat_id is None and _bodies(desk, held) == ["help", "I am here", "spoke to the district"]
    stand_in = desk.get(User, kept.user_id)
    assert stand_in is not None and stand_in.erased_at is not None and stand_in.pseudonym.startswith("erased:")
    assert (stand_in.chat_id, stand_in.locale, stand_in.consent_at) == (None, None, None)
    assert cases.case_view(desk, kept).user_code == "--------"
    stand_in_id = stand_in.id
    assert ("system", "anonymise") in actions_on(desk, subject_type="case", subject_id=held)
    assert events_of(tracker_store, user.pseudonym) == 0 and events_of(tracker_store, other.pseudonym) == 1

    again = erase_everywhere(sessions, tracker_store=tracker_store, pseudonym=user.pseudonym)
    assert not again.found and again.tracker_events == 0

    release_hold(desk, case_id=held, counselor_telegram_id=ALICE)
    desk.commit()
    report = purge_expired_data(sessions, tracker_store=None, retention_days=RETENTION_DAYS, now=NOW)
    assert report.erased_cases_deleted == 1
    desk.expire_all()
    assert desk.get(EscalationCase, held) is None and desk.get(User, stand_in_id) is None


def test_erasing_someone_unknown_reports_nothing_stored(sessions: sessionmaker[Session]) -> None:
    receipt = erase_everywhere(sessions, tracker_store=None, pseudonym="f" * 64)
    assert not receipt.found and receipt.tracker_events is None and receipt.chat_message_ids == ()


# --- a copy of one's data -----------------------------------------------------------------------------------------
def test_the_copy_holds_everything_stored_but_counselors_notes(desk: Session, tracker_store: Engine) -> None:
    user = make_user(desk, telegram_id=7041, chat_id=7041)
    case_id = _case(desk, user, at=RECENT, closed=True, note="a private working note")
    _appointment(desk, user, starts=NOW + timedelta(days=1), key="mine")
    desk.add(BookingDraft(user_id=user.id, provider_id="uz-test-clinic", note="draft note", idempotency_key="k"))
    enqueue_message(desk, kind="reminder", user_id=user.id, payload={}, due_at=NOW, dedupe_key="r", now=NOW)
    remember_messages(desk, pseudonym=user.pseudonym, message_ids=[31])
    add_events(tracker_store, user.pseudonym, (RECENT, "user", "salom"), (RECENT, "bot", "Salom! Men Yoldosh."))
    add_events(tracker_store, user.pseudonym, (RECENT, "user", "/session_start"))

    export = export_user_data(desk, pseudonym=user.pseudonym, tracker_store=tracker_store, now=NOW)

    assert export is not None and export.notes_withheld == 1
    raw = export.document.decode()
    assert user.pseudonym not in raw and "a private working note" not in raw
    data = json.loads(raw)
    assert data["profile"]["language"] == "uz" and data["profile"]["telegram_chat_id"] == 7041
    assert data["profile"]["consent_version"] and "id" not in data["profile"]
    (appointment,) = data["appointments"]
    assert appointment["note"] == "bring the children's papers" and appointment["provider"] == "Clinic uz-test-clinic"
    assert data["booking_in_progress"]["note"] == "draft note"
    (case,) = data["cases_with_counselors"]
    assert [(m["from"], m["text"]) for m in case["messages"]] == [("you", "help"), ("counselor", "I am here")]
    assert case["messages"][1]["counselor"] == "Alisa" and case["counselor_notes_withheld"] == 1
    assert case["status"] == "closed" and not case["under_hold"]
    assert data["notifications"] == [{"kind": "reminder", "due_at": NOW.isoformat(), "status": "pending"}]
    assert data["quick_exit_message_ids"] == [31]
    assert [(line["from"], line["text"]) for line in data["conversation_with_assistant"]] == [
        ("you", "salom"),
        ("yoldosh", "Salom! Men Yoldosh."),
    ]
    assert data["conversation_with_assistant"][0]["understood_as"] == "greet"
    assert case_id and export_user_data(desk, pseudonym="0" * 64, tracker_store=None) is None
    without_tracker = export_user_data(desk, pseudonym=user.pseudonym, tracker_store=None, now=NOW)
    assert without_tracker is not None and json.loads(without_tracker.document)["conversation_with_assistant"] is None


# --- the schema ---------------------------------------------------------------------------------------------------
def test_revision_0007_keeps_every_case_message_on_sqlite(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'old.db'}", key_ring=key_ring_for(TEST_SECRET))
    upgrade_database(engine, "0006")
    at = {"at": OLD}
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO users (id, pseudonym, created_at, last_seen_at) VALUES (1, 'u', :at, :at)"), at
        )
        connection.execute(
            text(
                "INSERT INTO escalation_cases (id, user_id, priority, status, trigger, locale, opened_at)"
                " VALUES (1, 1, 'urgent', 'open', 'safety_net', 'uz', :at)"
            ),
            at,
        )
        connection.execute(
            text(
                "INSERT INTO case_messages (case_id, direction, content_type, created_at)"
                " VALUES (1, 'from_user', 'text', :at)"
            ),
            at,
        )
    upgrade_database(engine)
    with transaction(sessionmaker(engine)) as session:
        assert session.scalar(select(func.count()).select_from(CaseMessage)) == 1
        case = session.get(EscalationCase, 1)
        assert case is not None and case.held_at is None and case.content_purged_at is None
    engine.dispose()
