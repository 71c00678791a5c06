"""Escalation cases (services layer): open a case for a person who needs a human, claim, transfer, close.

A case never names the user: the desk sees a short code derived from the pseudonym, the locale and why the
case opened. Every open, view, claim, transfer, note and close goes to the audit log.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.audit.service import record_action
from services.escalation import repository
from services.escalation.counselors import counselor_view, require_counselor
from services.escalation.models import (
    CaseMessage,
    CasePriority,
    CaseStatus,
    Counselor,
    CounselorRole,
    EscalationCase,
    MessageDirection,
)
from services.escalation.types import CaseEntry, CaseView
from services.storage.base import utcnow
from services.users.models import User
from services.users.repository import find_by_pseudonym

PRIORITY_ORDER = (CasePriority.URGENT, CasePriority.HIGH, CasePriority.NORMAL)
# An unclaimed case alerts the desk again after this long.
ALERT_AGAIN_AFTER = {
    CasePriority.URGENT: timedelta(minutes=2),
    CasePriority.HIGH: timedelta(minutes=5),
    CasePriority.NORMAL: timedelta(minutes=15),
}
USER_CODE_LENGTH = 8


class CaseNotFoundError(LookupError):
    """No case has this id (or this topic)."""


class CaseAlreadyClaimedError(RuntimeError):
    """Another counselor claimed the case first."""

    def __init__(self, case: CaseView) -> None:
        super().__init__(f"case {case.id} is already claimed")
        self.case = case


class NotYourCaseError(PermissionError):
    """Only the counselor who claimed the case, or a supervisor, may do this."""


class CaseClosedError(RuntimeError):
    """The case is closed."""


def user_code(pseudonym: str) -> str:
    """The short code the desk knows a user by (a prefix of the keyed pseudonym: no identity in it)."""
    return pseudonym[:USER_CODE_LENGTH]


def case_view(session: Session, case: EscalationCase) -> CaseView:
    user = session.get(User, case.user_id)
    claimed_by = session.get(Counselor, case.claimed_by_id) if case.claimed_by_id else None
    return CaseView(
        id=case.id,
        priority=case.priority,
        status=case.status,
        trigger=case.trigger,
        category=case.category,
        locale=case.locale,
        user_code=user_code(user.pseudonym) if user and user.erased_at is None else "--------",
        topic_id=case.topic_id,
        opened_at=case.opened_at,
        claimed_at=case.claimed_at,
        claimed_by=counselor_view(claimed_by) if claimed_by else None,
        closed_at=case.closed_at,
        outcome=case.outcome,
        card_message_id=case.card_message_id,
        held_at=case.held_at,
        hold_reason=case.hold_reason,
    )


def _case(session: Session, case_id: int) -> EscalationCase:
    case = session.get(EscalationCase, case_id)
    if case is None:
        raise CaseNotFoundError(case_id)
    return case


def _more_urgent(a: CasePriority, b: CasePriority) -> bool:
    return PRIORITY_ORDER.index(a) < PRIORITY_ORDER.index(b)


def open_case(
    session: Session,
    *,
    pseudonym: str,
    priority: CasePriority,
    trigger: str,
    locale: str,
    category: str | None = None,
    now: datetime | None = None,
) -> tuple[CaseView, bool]:
    """Open a case for the user, or return their active one (raising its priority if needed); True if new."""
    now = now or utcnow()
    user = find_by_pseudonym(session, pseudonym)
    if user is None:
        user = User(pseudonym=pseudonym, locale=locale, created_at=now, last_seen_at=now)
        session.add(user)
        session.flush()
    active = repository.active_case_for_user(session, user.id)
    if active is not None:
        if _more_urgent(priority, active.priority):
            active.priority, active.last_alert_at = priority, None
            record_action(
                session, actor="system", action="escalate", subject_type="case", subject_id=active.id, now=now
            )
        return case_view(session, active), False
    case = EscalationCase(
        user_id=user.id, priority=priority, trigger=trigger, category=category, locale=locale, opened_at=now
    )
    session.add(case)
    session.flush()
    details = {"priority": priority.value, "trigger": trigger}
    record_action(session, actor="system", action="open", subject_type="case", subject_id=case.id, details=details)
    return case_view(session, case), True


def active_case(session: Session, *, pseudonym: str) -> CaseView | None:
    """The user's open or claimed case: while it lasts, their messages go to the counselors."""
    user = find_by_pseudonym(session, pseudonym)
    case = repository.active_case_for_user(session, user.id) if user else None
    return case_view(session, case) if case else None


def attach_topic(session: Session, *, case_id: int, topic_id: int) -> CaseView:
    """Remember the desk topic created for the case."""
    case = _case(session, case_id)
    case.topic_id = topic_id
    return case_view(session, case)


def case_for_topic(session: Session, *, topic_id: int) -> CaseView | None:
    """The case a desk topic belongs to."""
    case = repository.case_by_topic(session, topic_id)
    return case_view(session, case) if case else None


def view_case(session: Session, *, case_id: int, counselor_telegram_id: int) -> CaseView:
    """A counselor opens a case's details (audited); others get NotACounselorError."""
    counselor = require_counselor(session, telegram_user_id=counselor_telegram_id)
    case = _case(session, case_id)
    record_action(session, actor=f"counselor:{counselor.id}", action="view", subject_type="case", subject_id=case.id)
    return case_view(session, case)


def claim_case(session: Session, *, case_id: int, counselor_telegram_id: int, now: datetime | None = None) -> CaseView:
    """The counselor takes the case; exactly one of several simultaneous claims succeeds."""
    counselor = require_counselor(session, telegram_user_id=counselor_telegram_id)
    now = now or utcnow()
    case = _case(session, case_id)
    if not repository.take_open_case(session, case_id=case_id, counselor_id=counselor.id, now=now):
        session.refresh(case)
        raise CaseAlreadyClaimedError(case_view(session, case))
    session.refresh(case)
    record_action(session, actor=f"counselor:{counselor.id}", action="claim", subject_type="case", subject_id=case_id)
    return case_view(session, case)


def _require_holder(case: EscalationCase, counselor: Counselor) -> None:
    if case.status is CaseStatus.CLOSED:
        raise CaseClosedError(case.id)
    if case.claimed_by_id != counselor.id and counselor.role is not CounselorRole.SUPERVISOR:
        raise NotYourCaseError(case.id)


def held_case(session: Session, *, case_id: int, counselor_telegram_id: int) -> CaseView:
    """The case, when this counselor holds it (or is a supervisor); NotYourCaseError or CaseClosedError if not."""
    counselor = require_counselor(session, telegram_user_id=counselor_telegram_id)
    case = _case(session, case_id)
    _require_holder(case, counselor)
    return case_view(session, case)


def transfer_case(session: Session, *, case_id: int, counselor_telegram_id: int) -> CaseView:
    """Give the case back to the queue for another counselor to claim; the desk is alerted again."""
    counselor = require_counselor(session, telegram_user_id=counselor_telegram_id)
    case = _case(session, case_id)
    _require_holder(case, counselor)
    case.status, case.claimed_by_id, case.claimed_at, case.last_alert_at = CaseStatus.OPEN, None, None, None
    record_action(
        session, actor=f"counselor:{counselor.id}", action="transfer", subject_type="case", subject_id=case_id
    )
    return case_view(session, case)


def close_case(
    session: Session, *, case_id: int, counselor_telegram_id: int, outcome: str, now: datetime | None = None
) -> CaseView:
    """Close the case with an outcome; the user goes back to the bot."""
    counselor = require_counselor(session, telegram_user_id=counselor_telegram_id)
    case = _case(session, case_id)
    _require_holder(case, counselor)
    case.status, case.closed_at, case.outcome = CaseStatus.CLOSED, now or utcnow(), outcome[:48]
    case.reply_chat_id = None
    record_action(
        session,
        actor=f"counselor:{counselor.id}",
        action="close",
        subject_type="case",
        subject_id=case_id,
        details={"outcome": case.outcome},
    )
    return case_view(session, case)


def record_case_message(
    session: Session,
    *,
    case_id: int,
    direction: MessageDirection,
    content_type: str = "text",
    body: str | None = None,
    counselor_telegram_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Keep one message of the case (a note is only ever shown to counselors; notes are audited); returns its id."""
    counselor = require_counselor(session, telegram_user_id=counselor_telegram_id) if counselor_telegram_id else None
    case = _case(session, case_id)
    if direction is not MessageDirection.FROM_USER:
        if counselor is None:
            raise NotYourCaseError(case_id)
        _require_holder(case, counselor)
    message = CaseMessage(
        case_id=case_id,
        direction=direction,
        counselor_id=counselor.id if counselor else None,
        content_type=content_type,
        body=body,
        created_at=now or utcnow(),
    )
    session.add(message)
    session.flush()
    if direction is MessageDirection.NOTE and counselor is not None:
        record_action(
            session, actor=f"counselor:{counselor.id}", action="note", subject_type="case", subject_id=case_id
        )
    return message.id


def case_transcript(session: Session, *, case_id: int, limit: int = 20) -> list[CaseEntry]:
    """The newest `limit` messages of a case, oldest first, notes included (for counselors only)."""
    aliases = {counselor.id: counselor.alias for counselor in repository.all_counselors(session)}
    return [
        CaseEntry(
            direction=message.direction,
            content_type=message.content_type,
            body=message.body,
            at=message.created_at,
            id=message.id,
            counselor_alias=aliases.get(message.counselor_id) if message.counselor_id else None,
        )
        for message in repository.recent_messages(session, case_id=case_id, limit=limit)
    ]


def earlier_cases(session: Session, *, case_id: int) -> list[CaseView]:
    """The same user's earlier cases, newest first (for the case card)."""
    case = _case(session, case_id)
    return [
        case_view(session, earlier)
        for earlier in repository.earlier_cases(session, user_id=case.user_id, before_case_id=case_id)
    ]


def case_queue(session: Session, *, now: datetime | None = None) -> list[tuple[CaseView, timedelta]]:
    """Cases waiting or in progress, most urgent first, then longest waiting; with how long each has waited."""
    now = now or utcnow()
    cases = [case_view(session, case) for case in repository.open_cases(session)]
    cases.sort(
        key=lambda case: (case.status is not CaseStatus.OPEN, PRIORITY_ORDER.index(case.priority), case.opened_at)
    )
    return [(case, now - case.opened_at) for case in cases]


def cases_to_alert_again(session: Session, *, now: datetime | None = None) -> list[CaseView]:
    """Unclaimed cases on the desk whose last alert is older than their priority allows, each taken by one worker
    only (a case not yet on the desk is alerted by its first card)."""
    now = now or utcnow()
    due: list[CaseView] = []
    for case in repository.open_cases(session):
        if case.status is not CaseStatus.OPEN or case.topic_id is None:
            continue
        threshold = now - ALERT_AGAIN_AFTER[case.priority]
        if case.last_alert_at is not None and case.last_alert_at >= threshold:
            continue
        if repository.mark_alerted(session, case_id=case.id, alerted_before=threshold, now=now):
            due.append(case_view(session, case))
    return due


def record_alert(session: Session, *, case_id: int, now: datetime | None = None) -> None:
    """The desk was alerted about the case just now (the first alert, sent when the case opened)."""
    _case(session, case_id).last_alert_at = now or utcnow()
