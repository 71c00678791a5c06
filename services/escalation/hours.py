"""Counselor desk hours per country (services layer), read once from content/counselors/hours.yml."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from services.content.reader import ContentProblem, display_path, read_holidays
from services.content.schema import (
    COUNTRY_CODES,
    COUNTRY_TIMEZONES,
    WEEKDAYS,
    check_no_repeated_days,
    check_timezone,
    parse_interval,
    spans_as_lists,
)
from services.paths import CONTENT_DIR, DIRECTORY_DIR

HOURS_FILE = CONTENT_DIR / "counselors" / "hours.yml"
LOOKAHEAD_DAYS = 14

Ranges = tuple[tuple[time, time], ...]


class DeskHoursError(ValueError):
    """The hours file, or the public holidays it relies on, cannot be used; the message says where and why."""


class UnknownDeskCountryError(ValueError):
    """No counselor desk is configured for this country code."""


class _Desk(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    timezone: str
    hours: dict[Literal[WEEKDAYS], list[str]]  # type: ignore[valid-type]
    public_holidays: bool
    closed_on: list[date] = Field(default_factory=list)

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
        for day, spans in value.items():
            ranges = sorted((parse_interval(span), span) for span in spans)
            for (first, first_text), (second, second_text) in itertools.pairwise(ranges):
                if second[0] < first[1]:
                    raise ValueError(f"{day}: {first_text!r} and {second_text!r} overlap")
        return value

    @field_validator("closed_on")
    @classmethod
    def _closed_on(cls, value: list[date]) -> list[date]:
        return check_no_repeated_days(value)


class _HoursFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sample: bool
    notice: str = Field(min_length=20)
    countries: dict[Literal[COUNTRY_CODES], _Desk]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _every_country_in_its_own_zone(self) -> _HoursFile:
        missing = [country for country in COUNTRY_CODES if country not in self.countries]
        if missing:
            raise ValueError(f"countries: missing {', '.join(missing)}")
        for country, desk in self.countries.items():
            if desk.timezone not in COUNTRY_TIMEZONES[country]:
                raise ValueError(f"countries.{country}.timezone: {desk.timezone!r} is not a time zone of {country}")
        return self


def _local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first UTC instant at which the clock in `zone` reads `wall` or later on `day` (a skipped time: the jump)."""
    first, second = (datetime.combine(day, wall, tzinfo=zone).replace(fold=fold).astimezone(UTC) for fold in (0, 1))
    if second >= first:  # an ordinary time (equal) or a repeated one (fold 0 comes first)
        return first
    target = datetime.combine(day, wall)
    before, after = int(second.timestamp()), int(first.timestamp())  # the clocks jump past `wall` in between
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= target:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


@dataclass(frozen=True)
class CountryDesk:
    """One country's desk: its time zone, weekly ranges (Monday first) and the local dates it is closed."""

    country: str
    zone: ZoneInfo
    weekly: tuple[Ranges, ...]
    closed: frozenset[date]

    def is_open(self, now: datetime) -> bool:
        """Whether the local clock at `now` is inside one of today's ranges on a day that is not closed."""
        local = _aware(now).astimezone(self.zone)
        if local.date() in self.closed:
            return False
        wall = local.time()
        return any(opens <= wall < closes for opens, closes in self.weekly[local.weekday()])

    def next_opening(self, now: datetime) -> datetime | None:
        """The first moment from `now` on when the desk is open, in its zone; None if not within LOOKAHEAD_DAYS."""
        now = _aware(now).astimezone(UTC)
        if self.is_open(now):
            return now.astimezone(self.zone)
        today = now.astimezone(self.zone).date()
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = today + timedelta(days=offset)
            if day in self.closed:
                continue
            for opens, _ in self.weekly[day.weekday()]:
                start = _local_instant(day, opens, self.zone)
                if now < start <= now + timedelta(days=LOOKAHEAD_DAYS) and self.is_open(start):
                    return start.astimezone(self.zone)
        return None


@dataclass(frozen=True)
class DeskHours:
    """Every country's desk, and whether the hours (or the holidays they close on) are an unverified sample."""

    sample: bool
    desks: Mapping[str, CountryDesk]


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive datetimes are not accepted; pass aware UTC datetimes")
    return now


def _fail(label: str, problems: list[str]) -> DeskHoursError:
    return DeskHoursError("\n".join(f"{label}: {problem}" for problem in problems))


def _parse(path: Path) -> _HoursFile:
    label = display_path(path)
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(label, ["file not found"]) from None
    except yaml.YAMLError as error:
        raise _fail(label, [f"not valid YAML: {error}"]) from None
    try:
        return _HoursFile.model_validate(raw)
    except ValidationError as error:
        problems = [
            ": ".join(filter(None, (".".join(str(part) for part in detail["loc"]), detail["msg"])))
            for detail in error.errors()
        ]
        raise _fail(label, [problem.replace("Value error, ", "") for problem in problems]) from None


def load_desk_hours(path: Path = HOURS_FILE, *, directory: Path = DIRECTORY_DIR) -> DeskHours:
    """Read and check the hours file and the holidays.yml in `directory` it uses; DeskHoursError if unusable."""
    parsed = _parse(path)
    holidays: dict[str, frozenset[date]] = {}
    holidays_sample = False
    if any(desk.public_holidays for desk in parsed.countries.values()):
        problems: list[ContentProblem] = []
        holidays_file = read_holidays(directory, problems)
        if holidays_file is None:
            raise _fail(f"{display_path(path)}: public_holidays", [str(problem) for problem in problems])
        holidays = {country: frozenset(h.date for h in listed) for country, listed in holidays_file.countries.items()}
        holidays_sample = holidays_file.sample
    desks: dict[str, CountryDesk] = {}
    for country, desk in parsed.countries.items():
        if desk.public_holidays and country not in holidays:
            raise _fail(display_path(path), [f"countries.{country}.public_holidays: no {country} in holidays.yml"])
        by_day = {day: tuple(sorted(parse_interval(span) for span in spans)) for day, spans in desk.hours.items()}
        weekly = tuple(by_day.get(day, ()) for day in WEEKDAYS)
        closed = frozenset(desk.closed_on) | (holidays[country] if desk.public_holidays else frozenset())
        desks[country] = CountryDesk(country, ZoneInfo(desk.timezone), weekly, closed)
    return DeskHours(sample=parsed.sample or holidays_sample, desks=desks)


@cache
def _shipped() -> DeskHours:
    return load_desk_hours()


def _desks(country: str | None, hours: DeskHours | None) -> list[CountryDesk]:
    desks = (hours or _shipped()).desks
    if country is None:
        return list(desks.values())
    if country not in desks:
        raise UnknownDeskCountryError(country)
    return [desks[country]]


def desk_is_open(country: str | None, now: datetime, *, hours: DeskHours | None = None) -> bool:
    """Whether counselors are on duty now in `country` (None: in any country)."""
    return any(desk.is_open(now) for desk in _desks(country, hours))


def next_opening(country: str | None, now: datetime, *, hours: DeskHours | None = None) -> datetime | None:
    """When the desk is next open (now if open), in its zone; None: the earliest desk; None if not within 14 days."""
    openings = [opening for desk in _desks(country, hours) if (opening := desk.next_opening(now)) is not None]
    return min(openings, key=lambda opening: opening.astimezone(UTC), default=None)


def desk_timezone(country: str, *, hours: DeskHours | None = None) -> ZoneInfo:
    """The time zone a country's desk hours are written in."""
    return _desks(country, hours)[0].zone


def hours_are_sample() -> bool:
    """True while the shipped desk hours, or the public holidays they close on, are unverified samples."""
    return _shipped().sample
