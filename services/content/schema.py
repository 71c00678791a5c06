"""Schema of the directory YAML under content/directory (services layer)."""

from __future__ import annotations

import itertools
import re
from datetime import date, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.directory.categories import CATEGORY_CODES
from services.i18n.locales import SUPPORTED_LOCALES

COUNTRY_CODES = ("UZ", "KZ", "KG", "TJ")
COUNTRY_TIMEZONES: dict[str, frozenset[str]] = {
    "UZ": frozenset({"Asia/Tashkent", "Asia/Samarkand"}),
    "KZ": frozenset({"Asia/Almaty", "Asia/Qostanay", "Asia/Aqtobe", "Asia/Aqtau", "Asia/Atyrau", "Asia/Oral"}),
    "KG": frozenset({"Asia/Bishkek"}),
    "TJ": frozenset({"Asia/Dushanbe"}),
}
# Locales a text may omit, and where its value then comes from (see content/directory/README.md).
TEXT_FALLBACKS: dict[str, tuple[str, ...]] = {
    "uz": ("uz_Cyrl",),
    "uz_Cyrl": ("uz",),
    "kk": ("ru",),
    "ky": ("ru",),
    "tg": ("ru",),
}
REQUIRED_TEXT_LOCALES = ("en", "ru")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLUG = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
PHONE = re.compile(r"^\+\d[\d ]{6,20}\d$")
HOURS = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")

Slug = Annotated[str, Field(pattern=SLUG, max_length=48)]


class Strict(BaseModel):
    """Base for content models: unknown keys are mistakes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_localized(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - set(SUPPORTED_LOCALES))
    if unknown:
        raise ValueError(f"unknown locale(s) {', '.join(unknown)}; use {', '.join(SUPPORTED_LOCALES)}")
    missing = [locale for locale in REQUIRED_TEXT_LOCALES if not value.get(locale, "").strip()]
    if missing:
        raise ValueError(f"missing text for {', '.join(missing)} (en and ru are required)")
    blank = [locale for locale, text in value.items() if not text.strip()]
    if blank:
        raise ValueError(f"empty text for {', '.join(blank)}")
    return value


LocalizedText = dict[str, str]


class Coordinates(Strict):
    """A point on the map."""

    lat: float = Field(ge=35.0, le=56.0)
    lon: float = Field(ge=46.0, le=88.0)


class Flags(Strict):
    """What a visitor may need to know before going."""

    free: bool
    women_staff: bool
    child_friendly: bool
    step_free: bool


def check_timezone(value: str) -> str:
    """An IANA time zone name, or ValueError."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone") from None
    return value


def spans_as_lists(value: object) -> object:
    """Weekly hours as written ("mon: 09:00-18:00" or a list of spans), each day's spans as a list."""
    if isinstance(value, dict):
        return {day: [spans] if isinstance(spans, str) else spans for day, spans in value.items()}
    return value


def check_no_repeated_days(value: list[date]) -> list[date]:
    """The dates, or ValueError naming the ones listed twice."""
    repeated = sorted({day.isoformat() for day in value if value.count(day) > 1})
    if repeated:
        raise ValueError(f"listed twice: {', '.join(repeated)}")
    return value


def parse_interval(text: str) -> tuple[time, time]:
    """Parse "09:00-18:00" into (opens, closes); raise ValueError when malformed or empty."""
    match = HOURS.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"{text!r} is not a valid time range")
    opens, closes = time(h1, m1), time(h2, m2)
    if opens >= closes:
        raise ValueError(f"{text!r} closes before it opens")
    return opens, closes


class ProviderEntry(Strict):
    """One provider as written in a providers/*.yml file."""

    id: Slug
    categories: list[Literal[CATEGORY_CODES]] = Field(min_length=1)  # type: ignore[valid-type]
    name: LocalizedText
    address: LocalizedText
    region: Slug
    city: Slug
    coordinates: Coordinates
    phone: str
    timezone: str
    languages: list[Literal[SUPPORTED_LOCALES]] = Field(min_length=1)  # type: ignore[valid-type]
    flags: Flags
    hours: dict[Literal[WEEKDAYS], list[str]]  # type: ignore[valid-type]
    slot_minutes: int = Field(default=30, ge=5, le=480)
    slot_capacity: int = Field(default=1, ge=1, le=100)
    closed_on: list[date] = Field(default_factory=list)
    telegram_chat_id: int | None = None

    @field_validator("name", "address")
    @classmethod
    def _localized(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_localized(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not PHONE.match(value):
            raise ValueError(f"{value!r} is not an international number like +998 71 200 00 00")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("hours", mode="before")
    @classmethod
    def _hours_as_lists(cls, value: object) -> object:
        return spans_as_lists(value)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if not value:
            raise ValueError("at least one opening day is required")
        for day, spans in value.items():
            intervals = sorted(parse_interval(span) for span in spans)
            for (_, closes), (next_opens, _) in itertools.pairwise(intervals):
                if next_opens < closes:
                    raise ValueError(f"{day}: intervals overlap")
        return value

    @field_validator("closed_on")
    @classmethod
    def _closed_on(cls, value: list[date]) -> list[date]:
        return sorted(check_no_repeated_days(value))


class ProviderFile(Strict):
    """A providers/*.yml file: one country's providers, with the sample notice."""

    sample: bool
    notice: str = Field(min_length=20)
    country: Literal[COUNTRY_CODES]  # type: ignore[valid-type]
    providers: list[ProviderEntry] = Field(min_length=1)


class City(Strict):
    """A city and its names."""

    names: LocalizedText

    @field_validator("names")
    @classmethod
    def _localized(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_localized(value)


class Region(Strict):
    """A region (viloyat, oblys, oblast) with its cities."""

    names: LocalizedText
    cities: dict[Annotated[str, Field(pattern=SLUG)], City] = Field(min_length=1)

    @field_validator("names")
    @classmethod
    def _localized(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_localized(value)


class Country(Strict):
    """A country's regions and its capital."""

    capital: Slug
    regions: dict[Annotated[str, Field(pattern=SLUG)], Region] = Field(min_length=1)

    @model_validator(mode="after")
    def _capital_is_a_city(self) -> Country:
        if not any(self.capital in region.cities for region in self.regions.values()):
            raise ValueError(f"capital {self.capital!r} is not one of the listed cities")
        return self


class PlacesFile(Strict):
    """places.yml: the countries, regions and cities the directory may refer to."""

    sample: bool
    notice: str = Field(min_length=20)
    countries: dict[Literal[COUNTRY_CODES], Country]  # type: ignore[valid-type]


class Holiday(Strict):
    """A public holiday: the date and an English name for the people who maintain the file."""

    date: date
    name: str = Field(min_length=3, max_length=120)


class HolidaysFile(Strict):
    """holidays.yml: each country's public holidays, on which its providers are closed."""

    sample: bool
    notice: str = Field(min_length=20)
    countries: dict[Literal[COUNTRY_CODES], list[Holiday]]  # type: ignore[valid-type]

    @field_validator("countries")
    @classmethod
    def _no_repeats(cls, value: dict[str, list[Holiday]]) -> dict[str, list[Holiday]]:
        for country, holidays in value.items():
            days = [holiday.date for holiday in holidays]
            repeated = sorted({day.isoformat() for day in days if days.count(day) > 1})
            if repeated:
                raise ValueError(f"{country}: listed twice: {', '.join(repeated)}")
        return value
