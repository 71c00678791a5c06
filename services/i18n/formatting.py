"""Dates, times and numbers formatted by Babel for a user's locale and a provider's time zone."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, format_time
from babel.numbers import format_decimal
from babel.units import format_unit


@cache
def babel_locale(locale: str) -> Locale:
    """The Babel locale for one of ours ("uz_Cyrl" → uz, script Cyrl)."""
    return Locale.parse(locale)


def format_day(day: date, locale: str) -> str:
    """A day in the locale's full style, weekday included ("Thursday, December 3, 2026")."""
    return format_date(day, "full", locale=babel_locale(locale))


def format_clock(moment: time | datetime, locale: str, timezone: str | None = None) -> str:
    """A time of day in the locale's short style, shown in `timezone` when given (for aware datetimes)."""
    if isinstance(moment, datetime) and timezone:
        moment = moment.astimezone(ZoneInfo(timezone))
    return format_time(moment, "short", locale=babel_locale(locale))


def format_moment(moment: datetime, locale: str, timezone: str) -> str:
    """Date and time of an appointment in the provider's time zone, medium style."""
    return format_datetime(moment, "medium", tzinfo=ZoneInfo(timezone), locale=babel_locale(locale))


def format_number(number: float, locale: str) -> str:
    """A number with the locale's separators."""
    return format_decimal(number, locale=babel_locale(locale))


def format_distance(kilometres: float, locale: str) -> str:
    """A distance in the locale's short unit style: metres under 1 km, else kilometres to one decimal."""
    if kilometres < 1:
        metres = max(10, round(kilometres * 1000, -1))
        return format_unit(metres, "length-meter", length="short", locale=babel_locale(locale))
    rounded = round(kilometres, 1) if kilometres < 10 else round(kilometres)
    return format_unit(rounded, "length-kilometer", length="short", locale=babel_locale(locale))


def format_short_day(day: date, locale: str) -> str:
    """A day short enough for a button, weekday included ("Thu, Dec 3")."""
    return format_skeleton("MMMEd", day, locale=babel_locale(locale))
