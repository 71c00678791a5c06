"""Bringing a user to the counselors (services layer): open or raise a case and pass the user's messages on.

Everything the desk must see is queued in the outbox in the same transaction as its cause, so a crash between
answering the user and alerting the counselors loses nothing: the desk worker picks it up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from services.escalation.models import CasePriority, EscalationCase, MessageDirection
from services.escalation.service import active_case, open_case, record_case_message
from services.escalation.types import CaseView
from services.outbox.service import enqueue_message
from services.storage.base import utcnow
from services.users.models import User

DESK_CASE_OPENED = "desk_case_opened"
DESK_CASE_RAISED = "desk_case_raised"
DESK_USER_MESSAGE = "desk_user_message"
DESK_CASE_ERASED = "desk_case_erased"
MAX_BODY = 4000


@dataclass(frozen=True)
class IncomingMessage:
    """A user's message for the counselors: its kind, its text or caption, and the channel's id to copy it by."""

    content_type: str
    body: str | None = None
    source_message_id: int | None = None


@dataclass(frozen=True)
class Escalation:
    """The user's case after an escalation: new, made more urgent, or already as urgent as this."""

    case: CaseView
    opened: bool
    raised: bool


def _queue(session: Session, case: EscalationCase, kind: str, key: str, now: datetime, **payload: object) -> None:
    enqueue_message(
        session,
        kind=kind,
        user_id=case.user_id,
        payload={"case_id": case.id, **payload},
        due_at=now,
        dedupe_key=key,
        now=now,
    )


def escalate(
    session: Session,
    *,
    pseudonym: str,
    priority: CasePriority,
    trigger: str,
    locale: str,
    reply_chat_id: int | None,
    category: str | None = None,
    message: IncomingMessage | None = None,
    now: datetime | None = None,
) -> Escalation:
    """Open a case (or raise the user's active one) and queue the desk's alert; the message goes with it."""
    now = now or utcnow()
    before = active_case(session, pseudonym=pseudonym)
    case, opened = open_case(
        session, pseudonym=pseudonym, priority=priority, trigger=trigger, locale=locale, category=category, now=now
    )
    raised = before is not None and before.priority is not case.priority
    row = session.get(EscalationCase, case.id)
    assert row is not None
    if reply_chat_id is not None:
        row.reply_chat_id = reply_chat_id
    if opened:
        _queue(session, row, DESK_CASE_OPENED, f"desk:{case.id}:opened", now)
    elif raised:
        _queue(session, row, DESK_CASE_RAISED, f"desk:{case.id}:raised:{case.priority.value}", now)
    if message is not None:
        pass_on(session, case_id=case.id, message=message, now=now)
    return Escalation(case=case, opened=opened, raised=raised)


def pass_on(session: Session, *, case_id: int, message: IncomingMessage, now: datetime | None = None) -> int:
    """Keep the user's message in the case and queue it for the case's desk topic; returns the case message id."""
    now = now or utcnow()
    body = message.body[:MAX_BODY] if message.body else None
    message_id = record_case_message(
        session,
        case_id=case_id,
        direction=MessageDirection.FROM_USER,
        content_type=message.content_type,
        body=body,
        now=now,
    )
    row = session.get(EscalationCase, case_id)
    assert row is not None
    _queue(
        session,
        row,
        DESK_USER_MESSAGE,
        f"desk:message:{message_id}",
        now,
        case_message_id=message_id,
        source_message_id=message.source_message_id,
    )
    return message_id


def open_follow_up(
    session: Session, *, user_id: int, locale: str | None, now: datetime | None = None
) -> Escalation | None:
    """A missed appointment of a user who agreed to a follow-up: a normal case for the counselors (None if the
    user's data is gone)."""
    user = session.get(User, user_id)
    if user is None or not user.follow_up_consent:
        return None
    return escalate(
        session,
        pseudonym=user.pseudonym,
        priority=CasePriority.NORMAL,
        trigger="follow_up",
        locale=locale or user.locale or "ru",
        reply_chat_id=user.chat_id,
        now=now,
    )


def tell_desk_of_erasure(session: Session, *, case_id: int, now: datetime | None = None) -> None:
    """Queue word to the case's topic that the person erased their data and the held case stays anonymised."""
    now = now or utcnow()
    case = session.get(EscalationCase, case_id)
    assert case is not None
    _queue(session, case, DESK_CASE_ERASED, f"desk:erased:{case.id}", now)
