"""Notifications the outbox delivers (bot layer): appointment reminders for users, booking notices for providers.

Dates and times are on the provider's wall clock, formatted by Babel for the reader's locale. Provider notices
name the visit by its pseudonymous code only: never a name, a chat or a Telegram id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.dialogue.replies import Reply
from services.booking.types import AppointmentView
from services.directory.places import city_name
from services.directory.types import ProviderCard
from services.i18n.catalogs import Translator
from services.i18n.formatting import format_clock, format_day

# The 2-hour reminder says "in about two hours" only while that is still roughly true (a late one says "today").
ABOUT_TWO_HOURS = timedelta(minutes=90)


def _when(_: Translator, appointment: AppointmentView, *, provider: str, lead: str, now: datetime) -> str:
    """The reminder's first line, worded by how far off the appointment is on the provider's calendar."""
    local_start = appointment.local_starts_at
    days_ahead = (local_start.date() - now.astimezone(ZoneInfo(appointment.timezone)).date()).days
    day = format_day(local_start.date(), _.locale)
    clock = format_clock(appointment.starts_at, _.locale, appointment.timezone)
    if days_ahead <= 0:
        if lead == "2h" and appointment.starts_at - now >= ABOUT_TWO_HOURS:
            text = _("Reminder: your appointment at {provider} is in about two hours, today at {time}.")
        else:
            text = _("Reminder: your appointment at {provider} is today at {time}.")
    elif days_ahead == 1:
        text = _("Reminder: your appointment at {provider} is tomorrow, {date} at {time}.")
    else:
        text = _("Reminder: your appointment at {provider} is on {date} at {time}.")
    return text.format(provider=provider, date=day, time=clock)


def reminder(_: Translator, *, card: ProviderCard, appointment: AppointmentView, lead: str, now: datetime) -> Reply:
    """A reminder of an upcoming appointment ("24h" or "2h" before): when, where, and how to cancel."""
    address = f"{card.address}, {city_name(card.country_code, card.city_code, _.locale)}"
    lines = [
        _when(_, appointment, provider=card.name, lead=lead, now=now),
        _("Address: {address}").format(address=address),
        "",
        _("If you cannot come, you can cancel here: /appointments"),
    ]
    return Reply("\n".join(lines))


def provider_notice(_: Translator, *, card: ProviderCard, appointment: AppointmentView, cancelled: bool) -> Reply:
    """A notice to the provider's chat about a new or cancelled booking: the time, the visit code and the note."""
    day = format_day(appointment.local_starts_at.date(), _.locale)
    clock = format_clock(appointment.starts_at, _.locale, appointment.timezone)
    if cancelled:
        text = _("Booking cancelled at {provider}: {date} at {time}, visit code {code}. The time is free again.")
        return Reply(text.format(provider=card.name, date=day, time=clock, code=appointment.visit_code))
    text = _("New booking at {provider}: {date} at {time}, visit code {code}.")
    lines = [text.format(provider=card.name, date=day, time=clock, code=appointment.visit_code)]
    if appointment.note:
        lines.append(_("Note from the visitor: {note}").format(note=appointment.note))
    return Reply("\n".join(lines))
