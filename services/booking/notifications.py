"""Outbox entries caused by bookings (services layer): reminders, provider notices and attendance questions,
counselor follow-ups.

Written in the booking's own transaction. Payloads hold ids and a locale only: the delivery transport renders the
text from the catalogs and reads the appointment (`get_appointment`) to skip one cancelled meanwhile.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.outbox.service import cancel_messages, enqueue_message, enqueue_messages
from services.outbox.types import NewMessage

REMINDER = "appointment_reminder"
PROVIDER_BOOKED = "provider_booking_created"
PROVIDER_CANCELLED = "provider_booking_cancelled"
PROVIDER_ATTENDANCE = "provider_attendance_check"
COUNSELOR_FOLLOW_UP = "counselor_follow_up"
REMINDER_LEADS = (("24h", timedelta(hours=24)), ("2h", timedelta(hours=2)))


def reminder_key(appointment_id: int, lead: str) -> str:
    """The dedupe key of one reminder, e.g. `reminder:42:24h`."""
    return f"reminder:{appointment_id}:{lead}"


def queue_reminders(
    session: Session,
    *,
    appointment_id: int,
    user_id: int,
    provider_id: str,
    starts_at: datetime,
    locale: str | None,
    now: datetime,
) -> int:
    """Queue the 24-hour and 2-hour reminders, leaving out any whose time has passed; returns how many."""
    messages = [
        NewMessage(
            kind=REMINDER,
            user_id=user_id,
            payload={"appointment_id": appointment_id, "provider_id": provider_id, "locale": locale, "lead": lead},
            due_at=starts_at - before,
            dedupe_key=reminder_key(appointment_id, lead),
        )
        for lead, before in REMINDER_LEADS
        if starts_at - before > now
    ]
    return enqueue_messages(session, messages=messages, now=now)


def cancel_reminders(session: Session, *, appointment_id: int) -> int:
    """Cancel the appointment's reminders not yet delivered; returns how many."""
    return cancel_messages(session, dedupe_keys=[reminder_key(appointment_id, lead) for lead, _ in REMINDER_LEADS])


def notify_provider(
    session: Session, *, kind: str, appointment_id: int, provider_id: str, has_chat: bool, now: datetime
) -> None:
    """Tell a provider that has a Telegram chat about a new or cancelled booking (ids only, due now)."""
    if not has_chat:
        return
    event = "booked" if kind == PROVIDER_BOOKED else "cancelled"
    enqueue_message(
        session,
        kind=kind,
        user_id=None,
        payload={"appointment_id": appointment_id, "provider_id": provider_id},
        due_at=now,
        dedupe_key=f"provider:{appointment_id}:{event}",
        now=now,
    )


def ask_provider_attendance(
    session: Session, *, appointment_id: int, provider_id: str, ends_at: datetime, now: datetime
) -> bool:
    """Ask a provider with a Telegram chat, once the slot is over, whether the visitor came (ids only)."""
    return enqueue_message(
        session,
        kind=PROVIDER_ATTENDANCE,
        user_id=None,
        payload={"appointment_id": appointment_id, "provider_id": provider_id},
        due_at=ends_at,
        dedupe_key=f"provider:{appointment_id}:attendance",
        now=now,
    )


def follow_up_key(appointment_id: int) -> str:
    """The dedupe key of a missed appointment's counselor follow-up."""
    return f"follow_up:{appointment_id}"


def cancel_follow_up(session: Session, *, appointment_id: int) -> int:
    """Withdraw a missed appointment's follow-up not yet delivered (the visit was marked missed by mistake)."""
    return cancel_messages(session, dedupe_keys=[follow_up_key(appointment_id)])


def queue_follow_up(
    session: Session, *, appointment_id: int, user_id: int, provider_id: str, locale: str | None, now: datetime
) -> bool:
    """Ask the counselors to follow up a missed appointment (only called when the user agreed to it)."""
    return enqueue_message(
        session,
        kind=COUNSELOR_FOLLOW_UP,
        user_id=user_id,
        payload={"appointment_id": appointment_id, "provider_id": provider_id, "locale": locale},
        due_at=now,
        dedupe_key=follow_up_key(appointment_id),
        now=now,
    )
