"""Erasure on request (services layer): everything stored about a person, in the application database and in
Rasa's tracker store, except the cases a counselor holds, which stay anonymised.

A held case moves to a new user record that has nothing but a random pseudonym and the time of erasure (no chat,
language, country or consent): the case keeps its messages for the documented reason of its hold, but leads to no
one, and the person's next contact starts afresh. The retention purge deletes such a case once its hold is lifted.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.audit.service import record_action
from services.escalation.holds import keep_held_cases_anonymously
from services.escalation.intake import tell_desk_of_erasure
from services.escalation.models import EscalationCase
from services.privacy.tracker_store import delete_conversation
from services.privacy.types import ErasureReceipt
from services.storage.base import utcnow
from services.storage.database import transaction
from services.trail.service import take_recent_messages
from services.users.models import User
from services.users.repository import find_by_pseudonym
from services.users.service import delete_user_data

ERASED_PREFIX = "erased:"


def _anonymous_record(session: Session, now: datetime) -> User:
    record = User(pseudonym=ERASED_PREFIX + secrets.token_hex(28), created_at=now, last_seen_at=now, erased_at=now)
    session.add(record)
    session.flush()
    return record


def erase_user_data(session: Session, *, pseudonym: str, now: datetime | None = None) -> ErasureReceipt:
    """Delete the person's record and everything hanging off it; cases under a hold stay, anonymised. The receipt
    carries the chat messages (quick-exit trail) the channel may still delete."""
    now = now or utcnow()
    user = find_by_pseudonym(session, pseudonym)
    if user is None:
        return ErasureReceipt(found=False)
    message_ids = take_recent_messages(session, pseudonym=pseudonym, now=now)
    held = keep_held_cases_anonymously(session, user_id=user.id, now=now)
    if held:
        record = _anonymous_record(session, now)
        for case_id in held:
            case = session.get(EscalationCase, case_id)
            assert case is not None
            case.user_id = record.id
        session.flush()  # the held cases leave the record before its deletion cascades
        for case_id in held:
            tell_desk_of_erasure(session, case_id=case_id, now=now)
    delete_user_data(session, pseudonym=pseudonym)
    record_action(
        session, actor="system", action="erase", subject_type="user", subject_id="-", details={"held": len(held)}
    )
    return ErasureReceipt(found=True, held_cases=len(held), chat_message_ids=tuple(message_ids))


def erase_everywhere(
    sessions: sessionmaker[Session], *, tracker_store: Engine | None, pseudonym: str, now: datetime | None = None
) -> ErasureReceipt:
    """Erase the person from Rasa's tracker store first, then from the application database (each step can be
    repeated: a failure in between leaves nothing a retry would not finish)."""
    events = delete_conversation(tracker_store, sender_id=pseudonym) if tracker_store is not None else None
    with transaction(sessions) as session:
        receipt = erase_user_data(session, pseudonym=pseudonym, now=now)
    found = receipt.found or bool(events)
    return ErasureReceipt(
        found=found, held_cases=receipt.held_cases, tracker_events=events, chat_message_ids=receipt.chat_message_ids
    )
