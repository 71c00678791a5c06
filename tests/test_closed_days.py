"""Closed days and public holidays: checked in the content, loaded into the database with the directory."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.content.reader import read_directory
from services.directory.models import ProviderClosedDay, PublicHoliday
from services.directory.service import load_directory
from services.paths import DIRECTORY_DIR


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "directory"
    shutil.copytree(DIRECTORY_DIR, target)
    return target


def _edit(path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_shipped_holidays_cover_2026_and_2027_in_every_country_and_say_they_are_a_sample() -> None:
    content = read_directory()
    assert content.problems == [] and content.holidays is not None
    assert content.holidays.sample and "SAMPLE" in content.holidays.notice
    assert "SAMPLE" in (DIRECTORY_DIR / "holidays.yml").read_text(encoding="utf-8").splitlines()[0]
    for country in ("UZ", "KZ", "KG", "TJ"):
        days = {holiday.date for holiday in content.holidays.countries[country]}
        assert {date(2026, 1, 1), date(2027, 1, 1), date(2026, 3, 21), date(2027, 3, 21)} <= days, country


def test_a_holiday_listed_twice_and_a_missing_file_are_problems(copy: Path) -> None:
    _edit(copy / "holidays.yml", lambda d: d["countries"]["KG"].append({"date": date(2026, 1, 1), "name": "Again"}))
    problems = [str(problem) for problem in read_directory(copy).problems]
    assert len(problems) == 1 and "holidays.yml" in problems[0] and "KG: listed twice: 2026-01-01" in problems[0]
    (copy / "holidays.yml").unlink()
    assert [str(p) for p in read_directory(copy).problems] == [f"{copy}/holidays.yml: file not found"]


def test_closed_on_must_be_dates_listed_once(copy: Path) -> None:
    path = copy / "providers" / "uz.yml"
    _edit(path, lambda d: d["providers"][0].update(closed_on=["2026-12-31", "2026-12-31"]))
    problems = [str(problem) for problem in read_directory(copy).problems]
    assert len(problems) == 1 and ": closed_on: listed twice: 2026-12-31" in problems[0]
    _edit(path, lambda d: d["providers"][0].update(closed_on=["31.12.2026"]))
    problems = [str(problem) for problem in read_directory(copy).problems]
    assert len(problems) == 1 and ": closed_on.0: " in problems[0]


def test_loading_stores_holidays_and_closed_days_and_follows_changes(session: Session, copy: Path) -> None:
    provider_path = copy / "providers" / "kg.yml"
    _edit(provider_path, lambda d: d["providers"][0].update(closed_on=[date(2026, 12, 30), date(2026, 12, 31)]))
    content = read_directory(copy)
    report = load_directory(session, content=content)
    assert content.holidays is not None
    expected = sum(len(listed) for listed in content.holidays.countries.values())
    assert report.holidays_changed == expected
    assert session.scalar(select(func.count()).select_from(PublicHoliday)) == expected
    provider_id = content.providers[[s.country for s in content.providers].index("KG")].entry.id
    closed = session.scalars(select(ProviderClosedDay.day).where(ProviderClosedDay.provider_id == provider_id))
    assert sorted(closed) == [date(2026, 12, 30), date(2026, 12, 31)]

    assert load_directory(session, content=content).holidays_changed == 0

    _edit(provider_path, lambda d: d["providers"][0].update(closed_on=[date(2027, 1, 4)]))
    _edit(copy / "holidays.yml", lambda d: d["countries"]["TJ"].pop())
    changed = load_directory(session, content=read_directory(copy))
    assert changed.updated == 1 and changed.holidays_changed == 1
    closed = session.scalars(select(ProviderClosedDay.day).where(ProviderClosedDay.provider_id == provider_id))
    assert list(closed) == [date(2027, 1, 4)]
    assert session.scalar(select(func.count()).select_from(PublicHoliday)) == expected - 1
