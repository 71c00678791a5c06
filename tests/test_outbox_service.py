"""Outbox: due entries claimed once, retried with backoff, stale claims taken over, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.outbox import service as outbox
from services.outbox.models import OutboxMessage, OutboxStatus
from tests.factories import make_user

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def queue(session: Session, key: str, due_at: datetime, user_id: int | None = None, kind: str = "test") -> bool:
    return outbox.enqueue_message(
        session, kind=kind, user_id=user_id, payload={"n": key}, due_at=due_at, dedupe_key=key, now=NOW
    )


def status_of(session: Session, key: str) -> OutboxStatus:
    session.expire_all()
    return session.scalars(select(OutboxMessage.status).where(OutboxMessage.dedupe_key == key)).one()


def test_a_dedupe_key_is_queued_once(session: Session) -> None:
    user = make_user(session, telegram_id=601)
    assert queue(session, "a", NOW, user.id) is True
    assert queue(session, "a", NOW + timedelta(hours=1), user.id) is False
    assert len(session.scalars(select(OutboxMessage)).all()) == 1


def test_only_due_entries_are_claimed_oldest_first_and_never_twice(session: Session) -> None:
    for key, minutes in (("late", 5), ("first", -10), ("second", -1), ("future", 60)):
        queue(session, key, NOW + timedelta(minutes=minutes))
    claimed = outbox.claim_due_messages(session, now=NOW + timedelta(minutes=5), limit=2, worker_id="w1")
    assert [item.dedupe_key for item in claimed] == ["first", "second"]
    assert all(item.attempts == 1 and item.payload == {"n": item.dedupe_key} for item in claimed)
    again = outbox.claim_due_messages(session, now=NOW + timedelta(minutes=5), limit=10, worker_id="w2")
    assert [item.dedupe_key for item in again] == ["late"]
    assert outbox.claim_due_messages(session, now=NOW + timedelta(minutes=6), limit=10, worker_id="w3") == ()


def test_sent_is_recorded_only_by_the_worker_holding_the_claim(session: Session) -> None:
    queue(session, "a", NOW)
    (item,) = outbox.claim_due_messages(session, now=NOW, limit=5, worker_id="w1")
    assert outbox.mark_sent(session, message_id=item.id, worker_id="w2", now=NOW).owned is False
    sent = outbox.mark_sent(session, message_id=item.id, worker_id="w1", now=NOW)
    assert (sent.owned, sent.status) == (True, OutboxStatus.SENT)
    assert outbox.mark_sent(session, message_id=item.id, worker_id="w1", now=NOW).owned is False
    assert status_of(session, "a") is OutboxStatus.SENT


def test_a_failure_is_retried_with_growing_backoff_then_given_up(session: Session) -> None:
    queue(session, "a", NOW)
    now, delays = NOW, []
    for _attempt in range(outbox.MAX_ATTEMPTS):
        (item,) = outbox.claim_due_messages(session, now=now, limit=1, worker_id="w")
        outcome = outbox.mark_failed(session, message_id=item.id, worker_id="w", now=now, error="NetworkError")
        if outcome.status is OutboxStatus.FAILED:
            break
        assert outcome.retry_at is not None
        delays.append(outcome.retry_at - now)
        assert (
            outbox.claim_due_messages(session, now=outcome.retry_at - timedelta(seconds=1), limit=1, worker_id="w")
            == ()
        )
        now = outcome.retry_at
    assert delays == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert status_of(session, "a") is OutboxStatus.FAILED
    assert outbox.claim_due_messages(session, now=now + timedelta(days=1), limit=1, worker_id="w") == ()


def test_retry_after_from_the_transport_is_honoured(session: Session) -> None:
    queue(session, "a", NOW)
    (item,) = outbox.claim_due_messages(session, now=NOW, limit=1, worker_id="w")
    outcome = outbox.mark_failed(
        session, message_id=item.id, worker_id="w", now=NOW, error="RetryAfter", retry_after=timedelta(seconds=7)
    )
    assert outcome.retry_at == NOW + timedelta(seconds=7)


def test_after_a_restart_a_stale_claim_is_taken_over_and_sent_once(session: Session) -> None:
    for key in ("a", "b"):
        queue(session, key, NOW)
    # Worker 1 claims both, sends "a", then dies before sending "b".
    first, second = outbox.claim_due_messages(session, now=NOW, limit=5, worker_id="w1")
    sent = [first.dedupe_key]
    outbox.mark_sent(session, message_id=first.id, worker_id="w1", now=NOW)
    # Worker 2 starts: the claim on "b" is fresh, so it waits.
    soon = NOW + timedelta(minutes=1)
    assert outbox.claim_due_messages(session, now=soon, limit=5, worker_id="w2") == ()
    later = NOW + outbox.STALE_CLAIM_AFTER + timedelta(seconds=1)
    (taken_over,) = outbox.claim_due_messages(session, now=later, limit=5, worker_id="w2")
    assert (taken_over.id, taken_over.attempts) == (second.id, 2)
    sent.append(taken_over.dedupe_key)
    assert outbox.mark_sent(session, message_id=taken_over.id, worker_id="w2", now=later).owned
    # The dead worker's late report does not count.
    assert outbox.mark_sent(session, message_id=second.id, worker_id="w1", now=later).owned is False
    assert sorted(sent) == ["a", "b"]
    assert status_of(session, "a") is status_of(session, "b") is OutboxStatus.SENT


def test_an_entry_whose_workers_keep_dying_is_given_up(session: Session) -> None:
    queue(session, "poison", NOW)
    now = NOW
    for attempt in range(outbox.MAX_ATTEMPTS):
        (item,) = outbox.claim_due_messages(session, now=now, limit=1, worker_id=f"w{attempt}")
        assert item.attempts == attempt + 1
        now += outbox.STALE_CLAIM_AFTER + timedelta(seconds=1)
    assert outbox.claim_due_messages(session, now=now, limit=1, worker_id="last") == ()
    assert status_of(session, "poison") is OutboxStatus.FAILED


def test_cancelled_entries_are_not_claimed(session: Session) -> None:
    queue(session, "a", NOW)
    queue(session, "b", NOW)
    outbox.claim_due_messages(session, now=NOW, limit=1, worker_id="w")
    assert outbox.cancel_messages(session, dedupe_keys=["a", "b", "missing"]) == 2
    assert outbox.claim_due_messages(session, now=NOW + timedelta(hours=1), limit=5, worker_id="w") == ()
    assert status_of(session, "a") is OutboxStatus.CANCELLED


def test_a_worker_claims_only_its_kinds_and_leaves_the_others_pending(session: Session) -> None:
    queue(session, "reminder", NOW, kind="appointment_reminder")
    queue(session, "follow-up", NOW - timedelta(minutes=1), kind="counselor_follow_up")
    queue(session, "notice", NOW, kind="provider_booking_created")
    telegram = ("appointment_reminder", "provider_booking_created")
    claimed = outbox.claim_due_messages(session, now=NOW, limit=10, worker_id="telegram", kinds=telegram)
    assert sorted(item.dedupe_key for item in claimed) == ["notice", "reminder"]
    assert outbox.claim_due_messages(session, now=NOW, limit=10, worker_id="telegram", kinds=telegram) == ()
    assert status_of(session, "follow-up") is OutboxStatus.PENDING
    (desk,) = outbox.claim_due_messages(session, now=NOW, limit=10, worker_id="desk", kinds=["counselor_follow_up"])
    assert desk.dedupe_key == "follow-up"


def test_abandoned_entries_of_other_kinds_are_left_to_their_workers(session: Session) -> None:
    queue(session, "follow-up", NOW, kind="counselor_follow_up")
    now = NOW
    for attempt in range(outbox.MAX_ATTEMPTS):
        outbox.claim_due_messages(session, now=now, limit=1, worker_id=f"desk{attempt}", kinds=["counselor_follow_up"])
        now += outbox.STALE_CLAIM_AFTER + timedelta(seconds=1)
    outbox.claim_due_messages(session, now=now, limit=1, worker_id="telegram", kinds=["appointment_reminder"])
    assert status_of(session, "follow-up") is OutboxStatus.CLAIMED
    outbox.claim_due_messages(session, now=now, limit=1, worker_id="desk", kinds=["counselor_follow_up"])
    assert status_of(session, "follow-up") is OutboxStatus.FAILED


def test_a_permanent_failure_is_given_up_at_once(session: Session) -> None:
    queue(session, "blocked", NOW)
    (item,) = outbox.claim_due_messages(session, now=NOW, limit=1, worker_id="w")
    outcome = outbox.mark_failed(
        session, message_id=item.id, worker_id="w", now=NOW, error="Forbidden: bot was blocked", permanent=True
    )
    assert (outcome.owned, outcome.status, outcome.retry_at) == (True, OutboxStatus.FAILED, None)
    assert outbox.claim_due_messages(session, now=NOW + timedelta(days=1), limit=1, worker_id="w") == ()
    session.expire_all()
    stored = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == "blocked")).one()
    assert (stored.attempts, stored.last_error) == (1, "Forbidden: bot was blocked")


def test_a_skipped_entry_is_recorded_as_such_by_its_holder_only(session: Session) -> None:
    queue(session, "stale", NOW)
    (item,) = outbox.claim_due_messages(session, now=NOW, limit=1, worker_id="w1")
    assert (
        outbox.mark_skipped(session, message_id=item.id, worker_id="w2", reason="appointment cancelled").owned is False
    )
    skipped = outbox.mark_skipped(session, message_id=item.id, worker_id="w1", reason="appointment cancelled")
    assert (skipped.owned, skipped.status) == (True, OutboxStatus.SKIPPED)
    assert status_of(session, "stale") is OutboxStatus.SKIPPED
    assert outbox.claim_due_messages(session, now=NOW + timedelta(days=1), limit=1, worker_id="w1") == ()
