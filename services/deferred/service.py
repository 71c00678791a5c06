"""Deferred questions (services layer): kept when Rasa cannot answer, claimed by one worker once it can.

A claim names its worker, so workers never answer the same question; a claim left by a worker that died is taken
over after CLAIM_TIMEOUT. A question older than ANSWER_WITHIN is dropped unanswered: by then the person has had
the menu for a long time, and an answer to a day-old sentence would only confuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from services.deferred.models import DeferredQuestion
from services.storage.base import utcnow
from services.users.models import User

ANSWER_WITHIN = timedelta(hours=12)
CLAIM_TIMEOUT = timedelta(minutes=2)


@dataclass(frozen=True)
class WaitingQuestion:
    """A question claimed for answering: who asked (pseudonym, chat, locale, country) and what."""

    id: int
    pseudonym: str
    chat_id: int
    locale: str | None
    country_code: str | None
    text: str


def defer_question(session: Session, *, pseudonym: str, text: str, now: datetime | None = None) -> bool:
    """Keep a question to answer once Rasa is back; False if the person is unknown."""
    user_id = session.scalar(select(User.id).where(User.pseudonym == pseudonym))
    if user_id is None:
        return False
    session.add(DeferredQuestion(user_id=user_id, text=text, asked_at=now or utcnow()))
    session.flush()
    return True


def claim_waiting(session: Session, *, worker: str, limit: int, now: datetime | None = None) -> list[WaitingQuestion]:
    """Claim up to `limit` waiting questions for `worker`, oldest first, each person's in the order asked."""
    now = now or utcnow()
    session.execute(delete(DeferredQuestion).where(DeferredQuestion.asked_at < now - ANSWER_WITHIN))
    free = or_(DeferredQuestion.claimed_at.is_(None), DeferredQuestion.claimed_at < now - CLAIM_TIMEOUT)
    candidates = session.scalars(
        select(DeferredQuestion.id).where(free).order_by(DeferredQuestion.asked_at, DeferredQuestion.id).limit(limit)
    ).all()
    taken = []
    for question_id in candidates:
        claimed = session.execute(
            update(DeferredQuestion)
            .where(DeferredQuestion.id == question_id, free)
            .values(claimed_by=worker, claimed_at=now)
        )
        if claimed.rowcount:  # type: ignore[attr-defined]
            taken.append(question_id)
    if not taken:
        return []
    rows = session.execute(
        select(DeferredQuestion, User)
        .join(User, User.id == DeferredQuestion.user_id)
        .where(DeferredQuestion.id.in_(taken))
        .order_by(DeferredQuestion.asked_at, DeferredQuestion.id)
    ).all()
    return [
        WaitingQuestion(
            id=question.id,
            pseudonym=user.pseudonym,
            chat_id=user.chat_id,
            locale=user.locale,
            country_code=user.country_code,
            text=question.text,
        )
        for question, user in rows
        if user.chat_id is not None
    ]


def answered(session: Session, *, question_id: int) -> None:
    """The question has its answer: forget it."""
    session.execute(delete(DeferredQuestion).where(DeferredQuestion.id == question_id))


def release(session: Session, *, question_ids: list[int]) -> None:
    """Give claimed questions back (Rasa is still away), to be tried again later."""
    if question_ids:
        session.execute(
            update(DeferredQuestion)
            .where(DeferredQuestion.id.in_(question_ids))
            .values(claimed_by=None, claimed_at=None)
        )


def waiting_count(session: Session) -> int:
    """How many questions wait for Rasa (for the job to skip its run cheaply)."""
    return int(session.scalar(select(func.count(DeferredQuestion.id))) or 0)
