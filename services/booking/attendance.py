"""Attendance (services layer): a provider says whether a visitor came, from its Telegram chat or the command line.

Providers know their visitors by visit code only. A provider's chat may answer for that provider's visits and no
others; the command line finds a visit by its number on the agenda ("#42") or by its visit code among the visits
of the last two weeks. Marking a visit missed may ask the counselors to follow up (see `mark_missed`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.booking import repository
from services.booking.errors import AppointmentNotFoundError
from services.booking.service import get_appointment, mark_attended, mark_missed, visit_code
from services.booking.types import AppointmentView
from services.directory.service import provider_chat_id

VISIT_LOOKBACK = timedelta(days=14)
_APPOINTMENT_NUMBER = re.compile(r"^#?(\d{1,12})$")
_VISIT_CODE = re.compile(r"^([A-Z2-7]{3})-?([A-Z2-7]{3})$")


class NotTheProvidersChatError(PermissionError):
    """The chat answering is not the Telegram chat of the appointment's provider."""


class VisitNotFoundError(LookupError):
    """No visit has this number, or no recent visit this code (at this provider)."""


class AmbiguousVisitError(LookupError):
    """A visit code matches recent visits at several providers: the provider must be named."""


def record_attendance(session: Session, *, appointment_id: int, attended: bool, now: datetime) -> AppointmentView:
    """Record that the visitor came (`attended`) or did not come."""
    mark = mark_attended if attended else mark_missed
    return mark(session, appointment_id=appointment_id, now=now)


def record_attendance_from_chat(
    session: Session, *, appointment_id: int, chat_id: int, attended: bool, now: datetime
) -> AppointmentView:
    """Record attendance answered in a Telegram chat, which must be the chat of the appointment's own provider."""
    appointment = repository.appointment(session, appointment_id)
    if appointment is None:
        raise AppointmentNotFoundError(appointment_id)
    if provider_chat_id(session, provider_id=appointment.provider_id) != chat_id:
        raise NotTheProvidersChatError(appointment_id)
    return record_attendance(session, appointment_id=appointment_id, attended=attended, now=now)


def find_visit(session: Session, *, reference: str, provider_id: str | None, now: datetime) -> AppointmentView:
    """The visit a provider names: its agenda number ("#42") or visit code ("ABC-DEF": the latest of the visits
    that started in the last two weeks), at `provider_id` when given."""
    text = reference.strip().upper()
    if number := _APPOINTMENT_NUMBER.match(text):
        view = get_appointment(session, appointment_id=int(number.group(1)))
        if view is None or (provider_id is not None and view.provider_id != provider_id):
            raise VisitNotFoundError(reference)
        return view
    code = _VISIT_CODE.match(text)
    if code is None:
        raise VisitNotFoundError(reference)
    wanted = f"{code.group(1)}-{code.group(2)}"
    rows = repository.visits_started(session, provider_id=provider_id, since=now - VISIT_LOOKBACK, until=now)
    found = [
        appointment
        for appointment, pseudonym in rows
        if visit_code(provider_id=appointment.provider_id, pseudonym=pseudonym) == wanted
    ]
    if not found:
        raise VisitNotFoundError(reference)
    if len({appointment.provider_id for appointment in found}) > 1:
        raise AmbiguousVisitError(reference)
    view = get_appointment(session, appointment_id=found[0].id)
    assert view is not None
    return view
