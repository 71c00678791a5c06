"""Escalation cases and the counselor registry, on SQLite and PostgreSQL: open, claim once, transfer, close,
notes, re-alerts, the queue, and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from services.audit.service import actions_on
from services.escalation import service as cases
from services.escalation.counselors import (
    InvalidAliasError,
    NotACounselorError,
    add_counselor,
    list_counselors,
    remove_counselor,
)
from services.escalation.models import CasePriority, CaseStatus, CounselorRole, MessageDirection
from tests.factories import make_user

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ALICE, BOBUR, SUPERVISOR, STRANGER = 9001, 9002, 9003, 9999


@pytest.fixture
def desk(session: Session) -> Session:
    add_counselor(session, telegram_user_id=ALICE, alias="Alisa")
    add_counselor(session, telegram_user_id=BOBUR, alias="Bobur")
    add_counselor(session, telegram_user_id=SUPERVISOR, alias="Dilnoza", role=CounselorRole.SUPERVISOR)
    return session


def _open(session: Session, telegram_id: int = 1001, priority: CasePriority = CasePriority.URGENT) -> cases.CaseView:
    user = make_user(session, telegram_id=telegram_id)
    case, created = cases.open_case(
        session, pseudonym=user.pseudonym, priority=priority, trigger="safety_net", locale="uz", now=NOW
    )
    assert created
    return case


def test_a_case_names_no_one(desk: Session) -> None:
    user = make_user(desk, telegram_id=4242424242)
    case, _ = cases.open_case(
        desk, pseudonym=user.pseudonym, priority=CasePriority.URGENT, trigger="crisis", locale="ru"
    )
    assert case.user_code == user.pseudonym[:8] and "4242424242" not in repr(case)
    assert case.status is CaseStatus.OPEN and case.claimed_by is None


def test_a_second_trigger_joins_the_open_case_and_can_raise_its_priority(desk: Session) -> None:
    case = _open(desk, priority=CasePriority.NORMAL)
    user = make_user(desk, telegram_id=1001)
    again, created = cases.open_case(
        desk, pseudonym=user.pseudonym, priority=CasePriority.URGENT, trigger="safety_net", locale="uz"
    )
    assert not created and again.id == case.id and again.priority is CasePriority.URGENT


def test_exactly_one_counselor_claims(desk: Session) -> None:
    case = _open(desk)
    claimed = cases.claim_case(desk, case_id=case.id, counselor_telegram_id=ALICE, now=NOW)
    assert claimed.claimed_by is not None and claimed.claimed_by.alias == "Alisa"
    with pytest.raises(cases.CaseAlreadyClaimedError) as lost:
        cases.claim_case(desk, case_id=case.id, counselor_telegram_id=BOBUR)
    assert lost.value.case.claimed_by is not None and lost.value.case.claimed_by.alias == "Alisa"


def test_strangers_cannot_claim_or_read(desk: Session) -> None:
    case = _open(desk)
    with pytest.raises(NotACounselorError):
        cases.claim_case(desk, case_id=case.id, counselor_telegram_id=STRANGER)
    with pytest.raises(NotACounselorError):
        cases.view_case(desk, case_id=case.id, counselor_telegram_id=STRANGER)
    remove_counselor(desk, telegram_user_id=BOBUR)
    with pytest.raises(NotACounselorError):
        cases.claim_case(desk, case_id=case.id, counselor_telegram_id=BOBUR)


def test_only_the_holder_or_a_supervisor_closes_and_transfer_reopens(desk: Session) -> None:
    case = _open(desk)
    cases.claim_case(desk, case_id=case.id, counselor_telegram_id=ALICE)
    with pytest.raises(cases.NotYourCaseError):
        cases.close_case(desk, case_id=case.id, counselor_telegram_id=BOBUR, outcome="resolved")
    reopened = cases.transfer_case(desk, case_id=case.id, counselor_telegram_id=ALICE)
    assert reopened.status is CaseStatus.OPEN and reopened.claimed_by is None
    cases.claim_case(desk, case_id=case.id, counselor_telegram_id=BOBUR)
    closed = cases.close_case(desk, case_id=case.id, counselor_telegram_id=SUPERVISOR, outcome="referred")
    assert closed.status is CaseStatus.CLOSED and closed.outcome == "referred"
    assert cases.active_case(desk, pseudonym=make_user(desk, telegram_id=1001).pseudonym) is None


def test_notes_stay_in_the_transcript_and_every_step_is_audited(desk: Session) -> None:
    case = _open(desk)
    cases.record_case_message(desk, case_id=case.id, direction=MessageDirection.FROM_USER, body="yordam kerak")
    cases.view_case(desk, case_id=case.id, counselor_telegram_id=ALICE)
    cases.claim_case(desk, case_id=case.id, counselor_telegram_id=ALICE)
    cases.record_case_message(
        desk, case_id=case.id, direction=MessageDirection.NOTE, body="call back", counselor_telegram_id=ALICE
    )
    with pytest.raises(cases.NotYourCaseError):
        cases.record_case_message(
            desk, case_id=case.id, direction=MessageDirection.TO_USER, body="hi", counselor_telegram_id=BOBUR
        )
    cases.close_case(desk, case_id=case.id, counselor_telegram_id=ALICE, outcome="resolved")
    transcript = cases.case_transcript(desk, case_id=case.id)
    assert [entry.direction for entry in transcript] == [MessageDirection.FROM_USER, MessageDirection.NOTE]
    actions = [action for _actor, action in actions_on(desk, subject_type="case", subject_id=case.id)]
    assert actions == ["open", "view", "claim", "note", "close"]


def test_unclaimed_cases_alert_again_by_priority(desk: Session) -> None:
    urgent = _open(desk, telegram_id=1001, priority=CasePriority.URGENT)
    normal = _open(desk, telegram_id=1002, priority=CasePriority.NORMAL)
    assert cases.cases_to_alert_again(desk, now=NOW + timedelta(hours=1)) == [], "not on the desk yet: the card alerts"
    for topic, case in enumerate((urgent, normal), start=50):
        cases.attach_topic(desk, case_id=case.id, topic_id=topic)
        cases.record_alert(desk, case_id=case.id, now=NOW)
    assert cases.cases_to_alert_again(desk, now=NOW + timedelta(minutes=1)) == []
    due = cases.cases_to_alert_again(desk, now=NOW + timedelta(minutes=2, seconds=1))
    assert [case.id for case in due] == [urgent.id]
    assert cases.cases_to_alert_again(desk, now=NOW + timedelta(minutes=3)) == [], "one re-alert, not one per tick"
    due = cases.cases_to_alert_again(desk, now=NOW + timedelta(minutes=15, seconds=1))
    assert {case.id for case in due} == {urgent.id, normal.id}
    cases.claim_case(desk, case_id=urgent.id, counselor_telegram_id=ALICE)
    later = cases.cases_to_alert_again(desk, now=NOW + timedelta(hours=1))
    assert [case.id for case in later] == [normal.id], "a claimed case stops alerting"


def test_the_queue_puts_the_most_urgent_and_longest_waiting_first(desk: Session) -> None:
    normal = _open(desk, telegram_id=1001, priority=CasePriority.NORMAL)
    urgent = _open(desk, telegram_id=1002, priority=CasePriority.URGENT)
    queue = cases.case_queue(desk, now=NOW + timedelta(minutes=7))
    assert [case.id for case, _waited in queue] == [urgent.id, normal.id]
    assert queue[0][1] == timedelta(minutes=7)


def test_aliases_are_visible_names_only(desk: Session) -> None:
    with pytest.raises(InvalidAliasError):
        add_counselor(desk, telegram_user_id=9100, alias="\u202e\u200f")
    view = add_counselor(desk, telegram_user_id=9101, alias="Ma\u202edina\u0007")
    assert view.alias == "Madina"
    assert [c.alias for c in list_counselors(desk)][-1] == "Madina"
