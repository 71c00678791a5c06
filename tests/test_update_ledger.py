"""The inbound update ledger on SQLite and PostgreSQL: stored on arrival (encrypted), taken once, kept in order per
chat across workers, taken back after a crash, its content dropped once handled."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.inbox import service as inbox
from services.inbox.models import InboundUpdate, PendingUpdate, UpdateState
from services.storage.base import utcnow

CHANNEL = "telegram"


def _receive(session: Session, update_id: int, chat_key: str | None = "chat-a", payload: str = "{}") -> bool:
    return inbox.receive_update(session, channel=CHANNEL, update_id=update_id, chat_key=chat_key, payload=payload)


def _state(session: Session, update_id: int) -> UpdateState | None:
    return session.scalar(select(InboundUpdate.state).where(InboundUpdate.update_id == update_id))


def test_an_update_is_stored_encrypted_on_arrival_and_its_content_goes_when_it_is_handled(session: Session) -> None:
    payload = '{"message": {"text": "Meni xonaga qamab qo\'yishdi"}}'
    assert _receive(session, 101, payload=payload)
    assert not _receive(session, 101, payload=payload), "a redelivery is not stored twice"
    raw = session.execute(text("SELECT payload FROM pending_updates WHERE update_id = 101")).scalar_one()
    assert "xonaga" not in raw and "message" not in raw, "the stored update is ciphertext"
    assert session.scalar(select(PendingUpdate.payload).where(PendingUpdate.update_id == 101)) == payload
    assert _state(session, 101) is UpdateState.RECEIVED

    assert inbox.claim_update(session, channel=CHANNEL, update_id=101)
    assert not inbox.claim_update(session, channel=CHANNEL, update_id=101), "taken once"
    inbox.finish_update(session, channel=CHANNEL, update_id=101)
    assert _state(session, 101) is UpdateState.DONE
    assert session.scalar(select(PendingUpdate.id).where(PendingUpdate.update_id == 101)) is None
    assert not inbox.claim_update(session, channel=CHANNEL, update_id=101), "a handled update is never taken again"


def test_a_chat_waits_for_its_earlier_updates_whichever_worker_received_them(session: Session) -> None:
    for update_id, chat in ((201, "chat-a"), (202, "chat-b"), (203, "chat-a")):
        _receive(session, update_id, chat_key=chat)

    def waits(update_id: int, chat: str) -> bool:
        return inbox.earlier_unfinished(session, channel=CHANNEL, chat_key=chat, update_id=update_id)

    assert not waits(201, "chat-a") and not waits(202, "chat-b")
    assert waits(203, "chat-a"), "203 comes after 201 in the same chat"
    inbox.claim_update(session, channel=CHANNEL, update_id=201)
    assert waits(203, "chat-a"), "still being handled"
    inbox.finish_update(session, channel=CHANNEL, update_id=201)
    assert not waits(203, "chat-a")


def test_a_restart_takes_back_what_a_dead_process_stored_and_did_not_finish_oldest_first(session: Session) -> None:
    long_ago = utcnow() - timedelta(minutes=5)
    for update_id in (303, 301, 302, 304):
        inbox.receive_update(
            session, channel=CHANNEL, update_id=update_id, chat_key="c", payload=f"p{update_id}", now=long_ago
        )
    inbox.claim_update(session, channel=CHANNEL, update_id=301, now=long_ago)  # handler died mid-way
    inbox.claim_update(session, channel=CHANNEL, update_id=302, now=long_ago)
    inbox.finish_update(session, channel=CHANNEL, update_id=302)  # finished before the crash

    fresh = utcnow() - timedelta(seconds=30)
    taken = inbox.take_back_unfinished(session, channel=CHANNEL, untouched_since=fresh)
    assert [(item.update_id, item.payload) for item in taken] == [(301, "p301"), (303, "p303"), (304, "p304")]
    assert inbox.take_back_unfinished(session, channel=CHANNEL, untouched_since=fresh) == [], (
        "a second worker looking at the same moment finds them already taken back"
    )
    assert inbox.claim_update(session, channel=CHANNEL, update_id=301)
    assert not inbox.claim_update(session, channel=CHANNEL, update_id=302)


def test_a_live_workers_recent_update_is_not_taken_back_by_another(session: Session) -> None:
    _receive(session, 401)
    inbox.claim_update(session, channel=CHANNEL, update_id=401)
    stale_before = utcnow() - inbox.STALE_CLAIM_AFTER
    assert inbox.take_back_unfinished(session, channel=CHANNEL, untouched_since=stale_before) == []


def test_the_ledger_purge_drops_old_content_never_handled(session: Session) -> None:
    old = utcnow() - inbox.LEDGER_KEEP - timedelta(days=1)
    inbox.receive_update(session, channel=CHANNEL, update_id=501, chat_key="c", payload="x", now=old)
    _receive(session, 502)
    assert inbox.purge_update_ledger(session) == 1
    remaining = session.scalars(select(PendingUpdate.update_id).order_by(PendingUpdate.update_id)).all()
    assert remaining == [502]


def test_a_live_worker_keeps_its_slow_updates_from_being_taken_back(session: Session) -> None:
    long_ago = utcnow() - timedelta(minutes=5)
    for update_id in (601, 602):
        inbox.receive_update(session, channel=CHANNEL, update_id=update_id, chat_key="c", payload="x", now=long_ago)
    inbox.claim_update(session, channel=CHANNEL, update_id=601, now=long_ago)  # a turn still going after minutes
    assert inbox.keep_alive(session, channel=CHANNEL, update_ids=[601, 602]) == 2
    stale_before = utcnow() - inbox.STALE_CLAIM_AFTER
    assert inbox.take_back_unfinished(session, channel=CHANNEL, untouched_since=stale_before) == []
    assert not inbox.claim_update(session, channel=CHANNEL, update_id=601), "nobody takes over a live claim"
