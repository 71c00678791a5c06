"""Booking screens (bot layer): day, time, note, confirm, booked; my appointments, cancel. Dates and times are
formatted by Babel in the user's language and the provider's time zone."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.dialogue import callbacks as cb
from bot.dialogue.replies import Button, Reply, rows
from bot.dialogue.screens import menu_buttons
from services.booking.types import AppointmentView, Slot, UnavailableReason
from services.directory.categories import CATEGORY_LABELS
from services.directory.places import city_name
from services.directory.types import ProviderCard
from services.i18n.catalogs import N_, Translator
from services.i18n.formatting import format_clock, format_day, format_short_day

DAYS_SHOWN = 8
TIMES_SHOWN = 12
SLOT_FORMAT = "%Y%m%d%H%M"  # UTC, in callback data
DAY_FORMAT = "%Y%m%d"  # the provider's local date, in callback data
DAY_MARK = "@"  # a Book button for a day asked for in words: bk|<provider>@<day> (60 bytes at most)

UNAVAILABLE: dict[UnavailableReason, str] = {
    UnavailableReason.PAST: N_("That time has already passed."),
    UnavailableReason.TOO_FAR: N_("That day is too far ahead to book yet."),
    UnavailableReason.CLOSED: N_("The service is closed at that time."),
    UnavailableReason.NOT_A_SLOT: N_("That is not one of the service's appointment times."),
    UnavailableReason.FULL: N_("Someone has just taken that time."),
}
DAY_REFUSALS: dict[UnavailableReason, str] = {
    UnavailableReason.PAST: N_("The day you asked for ({day}) has already passed."),
    UnavailableReason.TOO_FAR: N_("The day you asked for ({day}) is too far ahead to book yet."),
    UnavailableReason.CLOSED: N_("The service is closed on {day}."),
    UnavailableReason.FULL: N_("There are no free times left on {day}."),
}


def slot_data(starts_at: datetime) -> str:
    """A slot start as short callback data (UTC minutes)."""
    return starts_at.astimezone(ZoneInfo("UTC")).strftime(SLOT_FORMAT)


def parse_slot_data(value: str) -> datetime | None:
    """The UTC slot start encoded by `slot_data`, or None for anything else."""
    try:
        return datetime.strptime(value, SLOT_FORMAT).replace(tzinfo=ZoneInfo("UTC"))
    except ValueError:
        return None


def book_data(provider_id: str, day: date | None = None) -> str:
    """A Book button's callback data; with a day, booking opens on that day's free times."""
    return cb.make(cb.BOOK, provider_id if day is None else f"{provider_id}{DAY_MARK}{day.strftime(DAY_FORMAT)}")


def parse_book_arg(value: str) -> tuple[str, date | None]:
    """The provider and the day asked for (None when none, or unreadable) in a Book button's argument."""
    provider_id, _mark, day = value.partition(DAY_MARK)
    try:
        return provider_id, datetime.strptime(day, DAY_FORMAT).date() if day else None
    except ValueError:
        return provider_id, None


def _abort(_: Translator) -> Button:
    return Button(_("Cancel booking"), cb.BOOK_ABORT)


def _where(_: Translator, card: ProviderCard) -> str:
    return f"{card.name}\n{card.address}, {city_name(card.country_code, card.city_code, _.locale)}"


def _when(_: Translator, starts_at: datetime, timezone: str) -> str:
    local = starts_at.astimezone(ZoneInfo(timezone))
    return _("{day} at {time}").format(day=format_day(local.date(), _.locale), time=format_clock(local, _.locale))


def book_start(_: Translator) -> Reply:
    """/book: how booking works, and the kinds of help to start from."""
    text = _("To book a visit, choose the kind of help, then tap “Book” under a service.")
    buttons = [Button(_(label), cb.make(cb.CATEGORY, code)) for code, label in CATEGORY_LABELS.items()]
    return Reply(text, rows(*buttons, per_row=2))


def book_start_here(_: Translator) -> Reply:
    """Above a list of services when the user asked to book: where to tap."""
    return Reply(_("To book a visit, tap “Book” under the service you want."))


def book_start_on_day(_: Translator, day: date) -> Reply:
    """Above a list of services when the user asked to book on a day: where to tap."""
    return Reply(
        _("To book a visit on {day}, tap “Book” under the service you want.").format(day=format_day(day, _.locale))
    )


def book_on_day(replies: list[Reply], day: date) -> list[Reply]:
    """The same screens with each Book button opening on `day`."""

    def on_day(button: Button) -> Button:
        callback = cb.parse(button.data)
        if callback.action != cb.BOOK or len(callback.args) != 1:
            return button
        return replace(button, data=book_data(callback.args[0], day))

    return [
        replace(reply, buttons=tuple(tuple(on_day(button) for button in row) for row in reply.buttons))
        for reply in replies
    ]


def choose_day(_: Translator, card: ProviderCard, slots: list[Slot]) -> Reply:
    """The next days with free times at this provider."""
    days: list[date] = []
    for slot in slots:
        day = slot.local_starts_at.date()
        if day not in days:
            days.append(day)
    if not days:
        text = _("{provider} has no free times in the next weeks. You can call them: {phone}").format(
            provider=card.name, phone=card.phone
        )
        return Reply(text, menu_buttons(_, consented=True))
    buttons = [
        Button(format_short_day(day, _.locale), cb.make(cb.BOOK_DAY, day.strftime(DAY_FORMAT)))
        for day in days[:DAYS_SHOWN]
    ]
    text = "\n\n".join((_("Booking a visit to:"), _where(_, card), _("Choose a day:")))
    return Reply(text, (*rows(*buttons, per_row=2), (_abort(_),)))


def choose_time(_: Translator, card: ProviderCard, day: date, slots: list[Slot]) -> Reply:
    """The free times on one day, on the provider's clock."""
    free = [slot for slot in slots if slot.local_starts_at.date() == day and slot.remaining > 0][:TIMES_SHOWN]
    if not free:
        text = _("There are no free times left on {day}. Please choose another day.").format(
            day=format_day(day, _.locale)
        )
        return Reply(text, rows(Button(_("Other days"), cb.BOOK_DAYS), _abort(_), per_row=2))
    buttons = [
        Button(format_clock(slot.local_starts_at, _.locale), cb.make(cb.BOOK_TIME, slot_data(slot.starts_at)))
        for slot in free
    ]
    text = _("Free times on {day} ({provider}'s local time):").format(day=format_day(day, _.locale), provider=card.name)
    return Reply(text, (*rows(*buttons, per_row=4), (Button(_("Other days"), cb.BOOK_DAYS), _abort(_))))


def day_unavailable(
    _: Translator, card: ProviderCard, day: date, refusal: UnavailableReason, slots: list[Slot]
) -> Reply:
    """A day asked for by name without free times: why, kindly, then the next days that have them."""
    days = choose_day(_, card, slots)
    reason = _(DAY_REFUSALS[refusal]).format(day=format_day(day, _.locale))
    return Reply(f"{reason}\n\n{days.text}", days.buttons)


def ask_note(_: Translator) -> Reply:
    """The optional note for the provider."""
    text = _("If you like, write a short note for the service (for example, what you need help with). Or skip it.")
    return Reply(text, rows(Button(_("No note"), cb.BOOK_SKIP_NOTE), _abort(_), per_row=2))


def note_too_long(_: Translator, limit: int) -> Reply:
    """A note over the limit: nothing is lost, the user is asked to shorten it."""
    text = _("That note is a little long. Please keep it under {limit} characters, or skip it.").format(limit=limit)
    return Reply(text, rows(Button(_("No note"), cb.BOOK_SKIP_NOTE), _abort(_), per_row=2))


def confirm(_: Translator, card: ProviderCard, starts_at: datetime, note: str | None) -> Reply:
    """Everything the booking will say, before it is made."""
    lines = [_("Please check your booking:"), _where(_, card), _when(_, starts_at, card.timezone)]
    if note:
        lines.append(_("Note: {note}").format(note=note))
    buttons = (Button(_("Confirm"), cb.BOOK_CONFIRM), Button(_("Other time"), cb.BOOK_DAYS), _abort(_))
    return Reply("\n\n".join(lines), rows(*buttons, per_row=2))


def booked(_: Translator, card: ProviderCard, appointment: AppointmentView) -> Reply:
    """The booking is made."""
    lines = [
        _("Done, you are booked:"),
        _where(_, card),
        _when(_, appointment.starts_at, appointment.timezone),
        _("Your visit code: {code}").format(code=appointment.visit_code),
        _("I will remind you one day before and two hours before."),
    ]
    buttons = (Button(_("My appointments"), cb.APPOINTMENTS), Button(_("Menu"), cb.MENU))
    return Reply("\n\n".join(lines), rows(*buttons, per_row=2))


def unavailable(_: Translator, reason: UnavailableReason, alternatives: tuple[Slot, ...]) -> Reply:
    """A refused time, kindly, with the next free times to choose instead."""
    text = _(UNAVAILABLE[reason])
    if alternatives:
        text += "\n\n" + _("The next free times are:")
    buttons = [
        Button(
            f"{format_short_day(slot.local_starts_at.date(), _.locale)} {format_clock(slot.local_starts_at, _.locale)}",
            cb.make(cb.BOOK_TIME, slot_data(slot.starts_at)),
        )
        for slot in alternatives
    ]
    return Reply(text, (*rows(*buttons, per_row=1), (Button(_("Other days"), cb.BOOK_DAYS), _abort(_))))


def booking_gone(_: Translator) -> Reply:
    """A booking button whose booking is no longer in progress."""
    text = _("This booking is no longer in progress. You can start again with /book.")
    return Reply(text, menu_buttons(_, consented=True))


def booking_abandoned(_: Translator) -> Reply:
    """The user stopped booking."""
    return Reply(_("All right, nothing was booked."), menu_buttons(_, consented=True))


def appointments(_: Translator, items: list[tuple[AppointmentView, ProviderCard]]) -> list[Reply]:
    """The user's upcoming appointments, each with Cancel and Change time."""
    if not items:
        text = _("You have no upcoming appointments.")
        return [Reply(text, rows(Button(_("Book a visit"), cb.BOOK_START), Button(_("Menu"), cb.MENU), per_row=2))]
    replies = [Reply(_("Your upcoming appointments:"))]
    for appointment, card in items:
        text = "\n".join(
            (
                _where(_, card),
                _when(_, appointment.starts_at, appointment.timezone),
                _("Your visit code: {code}").format(code=appointment.visit_code),
            )
        )
        buttons = (
            Button(_("Cancel"), cb.make(cb.APPOINTMENT_CANCEL, appointment.id)),
            Button(_("Change time"), cb.make(cb.APPOINTMENT_MOVE, appointment.id)),
        )
        replies.append(Reply(text, rows(*buttons, per_row=2)))
    return replies


def cancel_confirm(_: Translator, appointment: AppointmentView, card: ProviderCard) -> Reply:
    """Ask once more before cancelling."""
    text = _("Cancel your visit to {provider} on {when}?").format(
        provider=card.name, when=_when(_, appointment.starts_at, appointment.timezone)
    )
    buttons = (
        Button(_("Yes, cancel it"), cb.make(cb.APPOINTMENT_CANCEL_YES, appointment.id)),
        Button(_("No, keep it"), cb.APPOINTMENTS),
    )
    return Reply(text, rows(*buttons, per_row=2))


def cancelled(_: Translator) -> Reply:
    """After cancelling."""
    text = _("Your visit is cancelled, and the time is free for someone else.")
    return Reply(text, rows(Button(_("My appointments"), cb.APPOINTMENTS), Button(_("Menu"), cb.MENU), per_row=2))


def appointment_unchangeable(_: Translator) -> Reply:
    """The appointment has started, ended or was already cancelled."""
    text = _("This visit can no longer be changed here. Please call the service.")
    return Reply(text, rows(Button(_("My appointments"), cb.APPOINTMENTS), Button(_("Menu"), cb.MENU), per_row=2))
