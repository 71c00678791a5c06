"""Queries on counselors and escalation cases (services layer); never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from services.escalation.models import CaseMessage, CaseStatus, Counselor, EscalationCase


def counselor_by_telegram_id(session: Session, telegram_user_id: int) -> Counselor | None:
    """The counselor registered under this Telegram account, active or not."""
    return session.scalars(select(Counselor).where(Counselor.telegram_user_id == telegram_user_id)).one_or_none()


def all_counselors(session: Session) -> Sequence[Counselor]:
    """Every registered counselor, by id."""
    return session.scalars(select(Counselor).order_by(Counselor.id)).all()


def active_case_for_user(session: Session, user_id: int) -> EscalationCase | None:
    """The user's open or claimed case, if any."""
    return session.scalars(
        select(EscalationCase)
        .where(EscalationCase.user_id == user_id, EscalationCase.status != CaseStatus.CLOSED)
        .order_by(EscalationCase.id.desc())
        .limit(1)
    ).one_or_none()


def case_by_topic(session: Session, topic_id: int) -> EscalationCase | None:
    """The case whose desk topic this is: the newest with this topic id (ids are unique only within one group, and
    the desk may have moved to a new group)."""
    return session.scalars(
        select(EscalationCase).where(EscalationCase.topic_id == topic_id).order_by(EscalationCase.id.desc()).limit(1)
    ).one_or_none()


def take_open_case(session: Session, *, case_id: int, counselor_id: int, now: datetime) -> bool:
    """Claim an unclaimed case in one conditional update: of two counselors tapping at once, one wins."""
    result = session.execute(
        update(EscalationCase)
        .where(EscalationCase.id == case_id, EscalationCase.status == CaseStatus.OPEN)
        .values(status=CaseStatus.CLAIMED, claimed_by_id=counselor_id, claimed_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_alerted(session: Session, *, case_id: int, alerted_before: datetime, now: datetime) -> bool:
    """Record a re-alert unless another worker just sent one; True if this caller should send it."""
    result = session.execute(
        update(EscalationCase)
        .where(
            EscalationCase.id == case_id,
            EscalationCase.status == CaseStatus.OPEN,
            or_(EscalationCase.last_alert_at.is_(None), EscalationCase.last_alert_at < alerted_before),
        )
        .values(last_alert_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def open_cases(session: Session) -> Sequence[EscalationCase]:
    """Cases not yet closed, oldest first."""
    return session.scalars(
        select(EscalationCase).where(EscalationCase.status != CaseStatus.CLOSED).order_by(EscalationCase.opened_at)
    ).all()


def earlier_cases(session: Session, *, user_id: int, before_case_id: int) -> Sequence[EscalationCase]:
    """The user's earlier cases, newest first."""
    return session.scalars(
        select(EscalationCase)
        .where(EscalationCase.user_id == user_id, EscalationCase.id < before_case_id)
        .order_by(EscalationCase.id.desc())
    ).all()


def recent_messages(session: Session, *, case_id: int, limit: int) -> Sequence[CaseMessage]:
    """The newest `limit` messages of a case, oldest first."""
    newest = session.scalars(
        select(CaseMessage).where(CaseMessage.case_id == case_id).order_by(CaseMessage.id.desc()).limit(limit)
    ).all()
    return list(reversed(newest))
