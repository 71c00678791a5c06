"""A person's copy of their data (services layer): everything stored about them as one JSON document.

Included: the user record (without internal ids and the pseudonym, which only Yoldosh can compute), consent,
language and country, appointments with their notes, a booking in progress, cases with the messages exchanged with
counselors, queued notifications, the chat message ids kept for the quick exit, and the conversation Rasa keeps.

Withheld under a documented exception: counselors' private notes on a case. They are the counselors' working
record, may concern other people and safety assessments whose disclosure could put someone at risk; the document
says how many notes each case has, and a person may ask a counselor for them (the README says the same). The reason
for a hold is withheld on the same ground; that a case is held is not.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from services.booking.models import BookingDraft
from services.deferred.models import DeferredQuestion
from services.directory.service import ProviderNotFoundError, get_provider_card
from services.escalation.models import Counselor, MessageDirection
from services.privacy import repository
from services.privacy.tracker_store import conversation
from services.privacy.types import DataExport
from services.storage.base import utcnow
from services.trail.models import TrailMessage
from services.users.models import User
from services.users.repository import find_by_pseudonym

FORMAT_VERSION = 1
SPEAKERS = {"user": "you", "bot": "yoldosh"}
FROM = {MessageDirection.FROM_USER: "you", MessageDirection.TO_USER: "counselor"}


def _time(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _profile(user: User) -> dict[str, Any]:
    return {
        "language": user.locale,
        "country": user.country_code,
        "telegram_chat_id": user.chat_id,
        "consent_given_at": _time(user.consent_at),
        "consent_version": user.consent_version,
        "counselor_may_follow_up": user.follow_up_consent,
        "first_contact_at": _time(user.created_at),
        "last_seen_at": _time(user.last_seen_at),
    }


def _provider_name(session: Session, provider_id: str, locale: str) -> str | None:
    try:
        return get_provider_card(session, provider_id=provider_id, locale=locale).name
    except ProviderNotFoundError:
        return None


def _appointments(session: Session, user: User, locale: str) -> list[dict[str, Any]]:
    return [
        {
            "provider_id": appointment.provider_id,
            "provider": _provider_name(session, appointment.provider_id, locale),
            "starts_at": _time(appointment.starts_at),
            "ends_at": _time(appointment.ends_at),
            "status": appointment.status.value,
            "note": appointment.note,
            "booked_at": _time(appointment.created_at),
            "cancelled_at": _time(appointment.cancelled_at),
        }
        for appointment in repository.user_appointments(session, user_id=user.id)
    ]


def _draft(session: Session, user: User) -> dict[str, Any] | None:
    draft = session.get(BookingDraft, user.id)
    if draft is None:
        return None
    return {
        "provider_id": draft.provider_id,
        "starts_at": _time(draft.starts_at),
        "note": draft.note,
        "updated_at": _time(draft.updated_at),
    }


def _cases(session: Session, user: User) -> tuple[list[dict[str, Any]], int]:
    aliases = {counselor_id: alias for counselor_id, alias in session.execute(select(Counselor.id, Counselor.alias))}
    cases, withheld = [], 0
    for case in repository.user_cases(session, user_id=user.id):
        messages, notes = [], 0
        for message in repository.case_messages(session, case_id=case.id):
            if message.direction is MessageDirection.NOTE:
                notes += 1
                continue
            entry: dict[str, Any] = {"at": _time(message.created_at), "from": FROM[message.direction]}
            if message.counselor_id is not None:
                entry["counselor"] = aliases.get(message.counselor_id)
            entry |= {"kind": message.content_type, "text": message.body}
            messages.append(entry)
        withheld += notes
        cases.append(
            {
                "opened_at": _time(case.opened_at),
                "opened_because": case.trigger,
                "topic": case.category,
                "language": case.locale,
                "status": case.status.value,
                "closed_at": _time(case.closed_at),
                "outcome": case.outcome,
                "under_hold": case.held_at is not None,
                "text_deleted_at": _time(case.content_purged_at),
                "messages": messages,
                "counselor_notes_withheld": notes,
            }
        )
    return cases, withheld


def _notifications(session: Session, user: User) -> list[dict[str, Any]]:
    return [
        {"kind": item.kind, "due_at": _time(item.due_at), "status": item.status.value}
        for item in repository.user_outbox(session, user_id=user.id)
    ]


def _trail(session: Session, user: User) -> list[int]:
    return list(
        session.scalars(
            select(TrailMessage.message_id).where(TrailMessage.user_id == user.id).order_by(TrailMessage.message_id)
        )
    )


def _kept_questions(session: Session, user: User) -> list[dict[str, Any]]:
    questions = session.scalars(
        select(DeferredQuestion).where(DeferredQuestion.user_id == user.id).order_by(DeferredQuestion.asked_at)
    )
    return [{"text": question.text, "asked_at": _time(question.asked_at)} for question in questions]


def _assistant(tracker_store: Engine | None, pseudonym: str) -> list[dict[str, Any]] | None:
    if tracker_store is None:
        return None
    return [
        {"at": _time(line.at), "from": SPEAKERS.get(line.speaker, line.speaker), "text": line.text}
        | ({"understood_as": line.intent} if line.intent else {})
        for line in conversation(tracker_store, sender_id=pseudonym)
    ]


def export_user_data(
    session: Session, *, pseudonym: str, tracker_store: Engine | None, now: datetime | None = None
) -> DataExport | None:
    """Everything stored about the person as JSON (counselors' notes withheld, see the module); None if nothing."""
    user = find_by_pseudonym(session, pseudonym)
    if user is None:
        return None
    now = now or utcnow()
    cases, notes_withheld = _cases(session, user)
    document = {
        "format": f"yoldosh-my-data/{FORMAT_VERSION}",
        "generated_at": _time(now),
        "profile": _profile(user),
        "appointments": _appointments(session, user, user.locale or "en"),
        "booking_in_progress": _draft(session, user),
        "cases_with_counselors": cases,
        "notifications": _notifications(session, user),
        "quick_exit_message_ids": _trail(session, user),
        # Messages kept while the assistant could not read free text, until it answers them.
        "messages_waiting_for_an_answer": _kept_questions(session, user),
        # None when Rasa keeps conversations only in its memory (TRACKER_STORE_URL=memory).
        "conversation_with_assistant": _assistant(tracker_store, pseudonym),
    }
    content = json.dumps(document, ensure_ascii=False, indent=2).encode()
    return DataExport(generated_at=now, document=content, notes_withheld=notes_withheld)
