"""Documented holds on escalation cases (services layer): place, release, and what erasure does to held cases.

A counselor places a hold with a reason (a safeguarding referral, a court order, a duty to report) when a case must
outlive the person's erasure request and the retention purge. While a case is held the purge leaves its messages
alone, and the person's `/delete_my_data` anonymises it instead of deleting it: the case stays with its messages but
no longer leads to anyone. Placing and releasing are audited with the reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.audit.service import record_action
from services.escalation.counselors import require_counselor
from services.escalation.models import CaseStatus, CounselorRole, EscalationCase
from services.escalation.service import CaseNotFoundError, NotYourCaseError, case_view
from services.escalation.types import CaseView
from services.storage.base import utcnow

HOLD_REASON_MAX = 200
ERASED_OUTCOME = "user_erased"


class HoldReasonRequiredError(ValueError):
    """A hold must say why (1 to 200 visible characters): it is the documented exception to erasure."""


class NotHeldError(RuntimeError):
    """The case is not under a hold."""


def _case(session: Session, case_id: int) -> EscalationCase:
    case = session.get(EscalationCase, case_id)
    if case is None:
        raise CaseNotFoundError(case_id)
    return case


def _clean_reason(reason: str) -> str:
    visible = " ".join(reason.split())
    if not visible or len(visible) > HOLD_REASON_MAX:
        raise HoldReasonRequiredError(f"a hold needs a reason of 1 to {HOLD_REASON_MAX} characters")
    return visible


def place_hold(
    session: Session, *, case_id: int, counselor_telegram_id: int, reason: str, now: datetime | None = None
) -> CaseView:
    """Put the case under a documented hold (the counselor holding it, or a supervisor for any case); audited with
    the reason. Placing it again updates the reason."""
    counselor = require_counselor(session, telegram_user_id=counselor_telegram_id)
    case = _case(session, case_id)
    holds_it = case.status is not CaseStatus.CLOSED and case.claimed_by_id == counselor.id
    if not holds_it and counselor.role is not CounselorRole.SUPERVISOR:
        raise NotYourCaseError(case_id)
    case.hold_reason = _clean_reason(reason)
    case.held_by_id = counselor.id
    case.held_at = case.held_at or now or utcnow()
    record_action(
        session,
        actor=f"counselor:{counselor.id}",
        action="hold",
        subject_type="case",
        subject_id=case_id,
        details={"reason": case.hold_reason},
        now=now,
    )
    return case_view(session, case)


def release_hold(
    session: Session, *, case_id: int, counselor_telegram_id: int, now: datetime | None = None
) -> CaseView:
    """Lift the hold (the counselor who placed it, or a supervisor); audited. The retention purge and a pending
    erasure then apply to the case again."""
    counselor = require_counselor(session, telegram_user_id=counselor_telegram_id)
    case = _case(session, case_id)
    if case.held_at is None:
        raise NotHeldError(case_id)
    if case.held_by_id != counselor.id and counselor.role is not CounselorRole.SUPERVISOR:
        raise NotYourCaseError(case_id)
    case.held_at, case.held_by_id, case.hold_reason = None, None, None
    record_action(
        session,
        actor=f"counselor:{counselor.id}",
        action="release_hold",
        subject_type="case",
        subject_id=case_id,
        now=now,
    )
    return case_view(session, case)


def held_case_ids(session: Session, *, user_id: int) -> list[int]:
    """The user's cases under a hold, oldest first."""
    return list(
        session.scalars(
            select(EscalationCase.id)
            .where(EscalationCase.user_id == user_id, EscalationCase.held_at.is_not(None))
            .order_by(EscalationCase.id)
        )
    )


def keep_held_cases_anonymously(session: Session, *, user_id: int, now: datetime | None = None) -> list[int]:
    """Before the user's record is anonymised: close their held cases that are still going (nobody can be answered
    any more) and forget where replies went; audited. Returns the held cases' ids."""
    now = now or utcnow()
    held = held_case_ids(session, user_id=user_id)
    for case_id in held:
        case = _case(session, case_id)
        if case.status is not CaseStatus.CLOSED:
            case.status, case.closed_at, case.outcome = CaseStatus.CLOSED, now, ERASED_OUTCOME
        case.reply_chat_id = None
        record_action(session, actor="system", action="anonymise", subject_type="case", subject_id=case_id, now=now)
    return held
