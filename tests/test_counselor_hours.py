"""Counselor desk hours: open and closed at the edges, weekends, holidays, next opening, DST, broken files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from services.escalation.hours import (
    CountryDesk,
    DeskHours,
    DeskHoursError,
    UnknownDeskCountryError,
    desk_is_open,
    desk_timezone,
    hours_are_sample,
    load_desk_hours,
    next_opening,
)

ZONES = {"UZ": "Asia/Tashkent", "KZ": "Asia/Almaty", "KG": "Asia/Bishkek", "TJ": "Asia/Dushanbe"}
WEEKDAYS = {day: "09:00-18:00" for day in ("mon", "tue", "wed", "thu", "fri")}
# Mon 2026-12-07 .. Sun 2026-12-13; Tue 2026-12-08 is a UZ holiday, Fri 2027-01-01 too.
UZ_HOLIDAYS = [{"date": date(2026, 12, 8), "name": "Test holiday"}, {"date": date(2027, 1, 1), "name": "New Year"}]


def _document() -> dict[str, Any]:
    return {
        "sample": False,
        "notice": "Test hours, written for these tests only.",
        "countries": {
            "UZ": {"timezone": ZONES["UZ"], "hours": {**WEEKDAYS, "sat": "10:00-14:00"}, "public_holidays": True},
            "KZ": {
                "timezone": ZONES["KZ"],
                "hours": {"mon": ["14:00-18:00", "09:00-13:00"]},
                "public_holidays": True,
            },
            "KG": {"timezone": ZONES["KG"], "hours": {"sun": "12:00-16:00"}, "public_holidays": False},
            "TJ": {
                "timezone": ZONES["TJ"],
                "hours": dict(WEEKDAYS),
                "public_holidays": False,
                "closed_on": [date(2026, 12, 9)],
            },
        },
    }


def _write(folder: Path, document: dict[str, Any], holidays: dict[str, Any] | None = None) -> Path:
    (folder / "directory").mkdir(exist_ok=True)
    holidays = holidays or {"sample": False, "notice": "Test holidays, for these tests only.", "countries": {}}
    holidays["countries"].setdefault("UZ", UZ_HOLIDAYS)
    holidays["countries"].setdefault("KZ", [])
    (folder / "directory" / "holidays.yml").write_text(yaml.safe_dump(holidays), encoding="utf-8")
    path = folder / "hours.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def hours(tmp_path: Path) -> DeskHours:
    return load_desk_hours(_write(tmp_path, _document()), directory=tmp_path / "directory")


def at(country: str, day: date, hour: int, minute: int = 0) -> datetime:
    """An aware UTC datetime for a local wall time in the country's zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(ZONES[country])).astimezone(UTC)


MON, TUE, WED, FRI, SAT, SUN = (date(2026, 12, day) for day in (7, 8, 9, 11, 12, 13))


@pytest.mark.parametrize(("hour", "minute", "is_open"), [(8, 59, False), (9, 0, True), (17, 59, True), (18, 0, False)])
def test_open_from_nine_until_just_before_six_local(hours: DeskHours, hour: int, minute: int, is_open: bool) -> None:
    assert desk_is_open("UZ", at("UZ", MON, hour, minute), hours=hours) is is_open


def test_saturday_short_hours_and_sunday_closed(hours: DeskHours) -> None:
    assert not desk_is_open("UZ", at("UZ", SAT, 9, 59), hours=hours)
    assert desk_is_open("UZ", at("UZ", SAT, 10, 0), hours=hours)
    assert desk_is_open("UZ", at("UZ", SAT, 13, 59), hours=hours)
    assert not desk_is_open("UZ", at("UZ", SAT, 14, 0), hours=hours)
    assert not any(desk_is_open("UZ", at("UZ", SUN, hour), hours=hours) for hour in range(24))


def test_local_time_decides_not_utc(hours: DeskHours) -> None:
    # Tashkent is UTC+5 and Bishkek UTC+6 all year.
    assert desk_is_open("UZ", datetime(2026, 12, 7, 4, 0, tzinfo=UTC), hours=hours)
    assert not desk_is_open("UZ", datetime(2026, 12, 7, 3, 59, tzinfo=UTC), hours=hours)
    assert desk_is_open("KG", datetime(2026, 12, 13, 6, 0, tzinfo=UTC), hours=hours)
    assert not desk_is_open("KG", datetime(2026, 12, 13, 10, 0, tzinfo=UTC), hours=hours)


def test_public_holiday_and_extra_closed_date(hours: DeskHours) -> None:
    assert not desk_is_open("UZ", at("UZ", TUE, 12), hours=hours)
    assert desk_is_open("TJ", at("TJ", TUE, 12), hours=hours)  # TJ does not close on holidays.yml days
    assert not desk_is_open("TJ", at("TJ", WED, 12), hours=hours)  # but on its own closed_on date
    assert desk_is_open("UZ", at("UZ", WED, 12), hours=hours)


def test_several_ranges_a_day_leave_a_lunch_break(hours: DeskHours) -> None:
    assert desk_is_open("KZ", at("KZ", MON, 12, 59), hours=hours)
    assert not desk_is_open("KZ", at("KZ", MON, 13, 0), hours=hours)
    assert next_opening("KZ", at("KZ", MON, 13, 0), hours=hours) == at("KZ", MON, 14)


def test_next_opening_is_now_while_open_in_the_desk_zone(hours: DeskHours) -> None:
    opening = next_opening("UZ", at("UZ", MON, 10, 15), hours=hours)
    assert opening == at("UZ", MON, 10, 15) and opening is not None
    assert opening.tzinfo == ZoneInfo("Asia/Tashkent") and (opening.hour, opening.minute) == (10, 15)


def test_next_opening_across_the_weekend(hours: DeskHours) -> None:
    assert next_opening("UZ", at("UZ", FRI, 18), hours=hours) == at("UZ", SAT, 10)
    opening = next_opening("UZ", at("UZ", SAT, 14), hours=hours)
    assert opening is not None and opening == at("UZ", date(2026, 12, 14), 9)
    assert opening.tzinfo == ZoneInfo("Asia/Tashkent") and opening.hour == 9


def test_next_opening_skips_a_holiday(hours: DeskHours) -> None:
    assert next_opening("UZ", at("UZ", MON, 18, 30), hours=hours) == at("UZ", WED, 9)
    assert next_opening("UZ", at("UZ", date(2026, 12, 31), 18), hours=hours) == at("UZ", date(2027, 1, 2), 10)


def test_no_country_means_any_desk(hours: DeskHours) -> None:
    assert desk_is_open(None, at("KG", SUN, 12), hours=hours)  # only KG works on Sundays
    assert not desk_is_open("UZ", at("KG", SUN, 12), hours=hours)
    assert not desk_is_open(None, at("KG", SUN, 16), hours=hours)
    opening = next_opening(None, at("UZ", SAT, 14), hours=hours)
    assert opening == at("KG", SUN, 12) and opening is not None and opening.tzinfo == ZoneInfo("Asia/Bishkek")
    # Sunday evening: Almaty (+5 or +6) and Tashkent (+5) both open at nine on Monday; the earlier instant wins.
    monday = [at(country, date(2026, 12, 14), 9) for country in ("UZ", "KZ", "TJ")]
    assert next_opening(None, at("KG", SUN, 18), hours=hours) == min(monday)


def test_nothing_within_fourteen_days_is_none(tmp_path: Path) -> None:
    document = _document()
    document["countries"]["TJ"]["closed_on"] = [date(2026, 12, day) for day in range(7, 22)]  # 15 days
    document["countries"]["KG"]["hours"] = {}
    hours = load_desk_hours(_write(tmp_path, document), directory=tmp_path / "directory")
    assert next_opening("TJ", at("TJ", MON, 8), hours=hours) is None
    assert next_opening("TJ", at("TJ", date(2026, 12, 8), 10), hours=hours) == at("TJ", date(2026, 12, 22), 9)
    assert next_opening("KG", at("KG", MON, 8), hours=hours) is None
    assert not any(desk_is_open("KG", at("KG", SUN, hour), hours=hours) for hour in range(24))


def test_time_zones_unknown_countries_and_naive_datetimes(hours: DeskHours) -> None:
    assert desk_timezone("KZ", hours=hours) == ZoneInfo("Asia/Almaty")
    assert desk_timezone("TJ") == ZoneInfo("Asia/Dushanbe")
    with pytest.raises(UnknownDeskCountryError):
        desk_is_open("RU", at("UZ", MON, 12), hours=hours)
    with pytest.raises(ValueError, match="naive"):
        desk_is_open("UZ", datetime(2026, 12, 7, 12), hours=hours)


def test_sample_flag_comes_from_the_hours_and_the_holidays_they_use(tmp_path: Path) -> None:
    assert hours_are_sample() is True  # the shipped hours are a sample
    hours = load_desk_hours(_write(tmp_path, _document()), directory=tmp_path / "directory")
    assert hours.sample is False
    sample_holidays = {"sample": True, "notice": "Sample test holidays, verify them.", "countries": {}}
    hours = load_desk_hours(_write(tmp_path, _document(), sample_holidays), directory=tmp_path / "directory")
    assert hours.sample is True


def _berlin(weekly: dict[int, tuple[tuple[time, time], ...]]) -> CountryDesk:
    return CountryDesk("XX", ZoneInfo("Europe/Berlin"), tuple(weekly.get(day, ()) for day in range(7)), frozenset())


def test_wall_clock_hours_survive_daylight_saving_changes() -> None:
    desk = _berlin({0: ((time(9), time(18)),), 6: ((time(2, 30), time(4)),)})
    # Spring forward on Sun 2026-03-29 (02:00 CET -> 03:00 CEST): 02:30 never happens, the desk opens at the jump.
    assert desk.next_opening(datetime(2026, 3, 28, 20, tzinfo=UTC)) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert not desk.is_open(datetime(2026, 3, 29, 0, 59, tzinfo=UTC))
    assert desk.is_open(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    # Monday 09:00 is 07:00 UTC in summer time, 08:00 UTC the Monday before.
    assert desk.next_opening(datetime(2026, 3, 27, 17, tzinfo=UTC)) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert desk.next_opening(datetime(2026, 3, 29, 3, tzinfo=UTC)) == datetime(2026, 3, 30, 7, tzinfo=UTC)
    assert desk.next_opening(datetime(2026, 3, 22, 3, tzinfo=UTC)) == datetime(2026, 3, 23, 8, tzinfo=UTC)
    # Fall back on Sun 2026-10-25 (03:00 CEST -> 02:00 CET): a repeated 02:30 opens the first time round.
    opening = desk.next_opening(datetime(2026, 10, 24, 20, tzinfo=UTC))
    assert opening is not None and (opening.hour, opening.minute, opening.fold) == (2, 30, 0)
    assert opening.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_range_wholly_inside_the_skipped_hour_never_opens() -> None:
    desk = _berlin({0: ((time(9), time(18)),), 6: ((time(2, 10), time(2, 50)),)})
    assert desk.next_opening(datetime(2026, 3, 28, 20, tzinfo=UTC)) == datetime(2026, 3, 30, 7, tzinfo=UTC)


Edit = Callable[[dict[str, Any]], None]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["countries"]["UZ"].update(timezone="Mars/Olympus"), "UZ.timezone: 'Mars/Olympus' is not an IANA"),
        (lambda d: d["countries"]["UZ"].update(timezone="Asia/Almaty"), "'Asia/Almaty' is not a time zone of UZ"),
        (lambda d: d["countries"]["KZ"]["hours"].update(mon=["09:00-13:00", "12:30-18:00"]), "'12:30-18:00' overlap"),
        (lambda d: d["countries"]["UZ"]["hours"].update(fri="18:00-09:00"), "closes before it opens"),
        (lambda d: d["countries"]["UZ"]["hours"].update(fri="22:00-02:00"), "closes before it opens"),
        (lambda d: d["countries"]["UZ"]["hours"].update(fri="9-18"), "'9-18' is not HH:MM-HH:MM"),
        (lambda d: d["countries"]["UZ"]["hours"].update(fri="09:00-25:00"), "is not a valid time range"),
        (lambda d: d["countries"]["UZ"]["hours"].update(monday="09:00-18:00"), "countries.UZ.hours.monday."),
        (lambda d: d["countries"]["TJ"].update(closed_on=["2026-12-09", "2026-12-09"]), "listed twice: 2026-12-09"),
        (lambda d: d["countries"]["TJ"].update(opens="never"), "countries.TJ.opens: Extra inputs"),
        (lambda d: d["countries"].pop("KG"), "countries: missing KG"),
        (lambda d: d.pop("sample"), "sample: Field required"),
        (lambda d: d["countries"]["KG"].update(public_holidays=True), "KG.public_holidays: no KG in holidays.yml"),
    ],
)
def test_broken_hours_are_rejected_at_load_with_file_and_place(tmp_path: Path, edit: Edit, expected: str) -> None:
    document = _document()
    edit(document)
    path = _write(tmp_path, document)
    with pytest.raises(DeskHoursError) as raised:
        load_desk_hours(path, directory=tmp_path / "directory")
    assert str(raised.value).startswith(f"{path}: ") and expected in str(raised.value)


def test_unreadable_files_are_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, _document())
    (tmp_path / "directory" / "holidays.yml").unlink()
    with pytest.raises(DeskHoursError, match=r"public_holidays: .*holidays\.yml: file not found"):
        load_desk_hours(path, directory=tmp_path / "directory")
    path.write_text("countries: [unclosed\n", encoding="utf-8")
    with pytest.raises(DeskHoursError, match="not valid YAML"):
        load_desk_hours(path, directory=tmp_path / "directory")
    with pytest.raises(DeskHoursError, match="file not found"):
        load_desk_hours(tmp_path / "missing.yml", directory=tmp_path / "directory")
