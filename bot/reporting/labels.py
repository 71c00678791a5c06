"""Words for the supervisor report (bot layer): group labels, suppressed counts and durations, in English."""

from __future__ import annotations

from datetime import timedelta

from babel import Locale, UnknownLocaleError

from bot.dialogue.desk_screens import TRIGGER_LABELS
from services.reporting.types import THRESHOLD, UNKNOWN, Cell, Suppression

SMALL = f"<{THRESHOLD}"
WITHHELD = f"≥{THRESHOLD}"
ENGLISH = Locale("en")
STATUS_LABELS = {
    "attended": "attended",
    "missed": "missed (no-show)",
    "cancelled": "cancelled",
    "rescheduled": "moved to another time",
    "booked": "booked, not marked yet",
}
CONTACT_LABELS = {"new": "first contact in the period", "returning": "known from before"}


def count(value: int | None) -> str:
    """A count as the report prints it: the number, or "<5" when suppressed."""
    return SMALL if value is None else str(value)


def cell_count(cell: Cell) -> str:
    """A group's count: the number, "<5" for a small group, "≥5" for one withheld to protect a small one."""
    if cell.suppression is Suppression.COMPLEMENTARY:
        return WITHHELD
    return count(cell.count)


def locale_label(code: str) -> str:
    """A Yoldosh locale in English with its code: "Uzbek (Cyrillic) · uz_Cyrl"."""
    if code == UNKNOWN:
        return "no language chosen"
    try:
        return f"{Locale.parse(code).get_display_name(ENGLISH)} · {code}"
    except (ValueError, UnknownLocaleError):
        return code


def country_label(code: str) -> str:
    """A country code in English with the code: "Uzbekistan · UZ"."""
    if code == UNKNOWN:
        return "no country given"
    name = ENGLISH.territories.get(code)
    return f"{name} · {code}" if name else code


def trigger_label(code: str) -> str:
    """Why a case opened, as the desk's card says it."""
    return TRIGGER_LABELS.get(code, code)


def status_label(code: str) -> str:
    """An appointment status in words."""
    return STATUS_LABELS.get(code, code)


def contact_label(code: str) -> str:
    """New in the period or known from before."""
    return CONTACT_LABELS.get(code, code)


def duration(value: timedelta | None) -> str:
    """A wait as "45 s", "3 min 20 s", "2 h 05 min" or "1 d 3 h"; "–" when not shown."""
    if value is None:
        return "–"
    seconds = round(value.total_seconds())
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    days, hour = divmod(hours, 24)
    if days:
        return f"{days} d {hour} h"
    if hours:
        return f"{hours} h {minute:02d} min"
    if minutes:
        return f"{minutes} min {second:02d} s"
    return f"{second} s"
