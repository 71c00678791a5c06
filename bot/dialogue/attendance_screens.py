"""Attendance in a provider's chat (bot layer): did the visitor come, and what was recorded.

The visit is named by its pseudonymous code, its time on the provider's clock and the provider's name: never a name,
a chat or a Telegram id.
"""

from __future__ import annotations

from bot.dialogue import callbacks as cb
from bot.dialogue.replies import Button, Reply, rows
from services.booking.models import AppointmentStatus
from services.booking.types import AppointmentView, StateProblem
from services.directory.types import ProviderCard
from services.i18n.catalogs import Translator
from services.i18n.formatting import format_clock, format_day


def _when(_: Translator, card: ProviderCard, appointment: AppointmentView) -> dict[str, str]:
    return {
        "provider": card.name,
        "code": appointment.visit_code,
        "date": format_day(appointment.local_starts_at.date(), _.locale),
        "time": format_clock(appointment.starts_at, _.locale, appointment.timezone),
    }


def attendance_question(_: Translator, *, card: ProviderCard, appointment: AppointmentView) -> Reply:
    """Asked once a visit's time is over: did the visitor with this code come? Came / Did not come."""
    text = _("Visit code {code} at {provider}, {date} at {time}: did the visitor come?")
    buttons = (
        Button(_("Came"), cb.make(cb.VISIT_CAME, appointment.id)),
        Button(_("Did not come"), cb.make(cb.VISIT_MISSED, appointment.id)),
    )
    return Reply(text.format(**_when(_, card, appointment)), rows(*buttons, per_row=2))


def attendance_recorded(_: Translator, *, card: ProviderCard, appointment: AppointmentView) -> Reply:
    """What was recorded, in place of the question."""
    if appointment.status is AppointmentStatus.ATTENDED:
        text = _("Visit code {code} at {provider}, {date} at {time}: the visitor came. Thank you.")
    else:
        text = _("Visit code {code} at {provider}, {date} at {time}: the visitor did not come. Thank you.")
    return Reply(text.format(**_when(_, card, appointment)))


def attendance_refused(_: Translator, problem: StateProblem | None) -> str:
    """Why an answer was not recorded (None: the button is not this chat's, or the visit is gone)."""
    match problem:
        case StateProblem.CANCELLED:
            return _("This visit was cancelled.")
        case StateProblem.NOT_STARTED:
            return _("This visit has not started yet.")
        case StateProblem.CLOSED | StateProblem.STARTED:
            return _("This visit is already recorded as attended.")
    return _("This button is not for this chat.")
