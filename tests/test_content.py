"""The shipped directory content: valid, complete, marked as a sample; broken copies fail precisely."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from services.content.reader import read_directory
from services.directory.categories import CATEGORY_CODES
from services.escalation.hours import HOURS_FILE, load_desk_hours
from services.i18n.locales import SUPPORTED_LOCALES
from services.paths import DIRECTORY_DIR

CAPITALS = {"UZ": "tashkent", "KZ": "astana", "KG": "bishkek", "TJ": "dushanbe"}


def test_problems_in_shipped_files_are_named_relative_to_the_project() -> None:
    from services.content.reader import display_path

    assert display_path(DIRECTORY_DIR / "providers" / "uz.yml") == "content/directory/providers/uz.yml"


def test_shipped_content_has_no_problems() -> None:
    content = read_directory()
    assert [str(problem) for problem in content.problems] == []


def test_shipped_content_covers_the_four_countries_and_eight_categories() -> None:
    content = read_directory()
    assert len(content.providers) >= 40
    categories: dict[str, set[str]] = defaultdict(set)
    cities: dict[str, set[str]] = defaultdict(set)
    for sourced in content.providers:
        categories[sourced.country].update(sourced.entry.categories)
        cities[sourced.country].add(sourced.entry.city)
    for country, capital in CAPITALS.items():
        assert categories[country] == set(CATEGORY_CODES), country
        assert capital in cities[country] and len(cities[country]) >= 2, country


def test_every_name_and_address_is_in_every_locale() -> None:
    for sourced in read_directory().providers:
        for field in (sourced.entry.name, sourced.entry.address):
            assert set(field) == set(SUPPORTED_LOCALES), sourced.entry.id


def test_content_says_it_is_a_sample_to_verify() -> None:
    for path in [DIRECTORY_DIR / "places.yml", *sorted((DIRECTORY_DIR / "providers").glob("*.yml"))]:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert document["sample"] is True, path
        assert "SAMPLE" in document["notice"] and "verif" in document["notice"].lower(), path


def test_counselor_hours_load_and_say_they_are_a_sample_to_verify() -> None:
    hours = load_desk_hours()
    assert {country: str(desk.zone) for country, desk in hours.desks.items()} == {
        "UZ": "Asia/Tashkent",
        "KZ": "Asia/Almaty",
        "KG": "Asia/Bishkek",
        "TJ": "Asia/Dushanbe",
    }
    document = yaml.safe_load(HOURS_FILE.read_text(encoding="utf-8"))
    assert hours.sample and document["sample"] is True
    assert "SAMPLE" in document["notice"] and "verify" in document["notice"].lower()
    assert "SAMPLE" in HOURS_FILE.read_text(encoding="utf-8").splitlines()[0]


@pytest.fixture
def broken_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "directory"
    shutil.copytree(DIRECTORY_DIR, copy)
    return copy


def _edit_first_provider(directory: Path, country_file: str, **changes: object) -> str:
    path = directory / "providers" / country_file
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = document["providers"][0]
    for key, value in changes.items():
        if value is None:
            entry.pop(key)
        else:
            entry[key] = value
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(entry["id"])


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": "call us"}, "phone", "is not an international number"),
        ({"timezone": "Mars/Olympus"}, "timezone", "is not an IANA time zone"),
        ({"categories": ["astrology"]}, "categories.0", "Input should be"),
        ({"hours": {"mon": "18:00-09:00"}}, "hours", "closes before it opens"),
        ({"coordinates": {"lat": 0.0, "lon": 69.2}}, "coordinates.lat", "greater than or equal"),
        ({"name": {"en": "Clinic"}}, "name", "missing text for ru"),
        ({"region": "atlantis"}, "region", "is not a region of UZ"),
        ({"timezone": "Asia/Almaty"}, "timezone", "is not a time zone of UZ"),
        ({"flags": None}, "flags", "Field required"),
    ],
)
def test_a_broken_field_is_reported_with_file_entry_and_field(
    broken_copy: Path, changes: dict[str, object], field: str, message: str
) -> None:
    entry_id = _edit_first_provider(broken_copy, "uz.yml", **changes)
    problems = [str(problem) for problem in read_directory(broken_copy).problems]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{broken_copy}/providers/uz.yml: ")
    assert entry_id in problems[0] and f": {field}: " in problems[0] and message in problems[0]


def test_duplicate_ids_across_files_are_reported(broken_copy: Path) -> None:
    uz = yaml.safe_load((broken_copy / "providers" / "uz.yml").read_text(encoding="utf-8"))
    _edit_first_provider(broken_copy, "kz.yml", id=uz["providers"][0]["id"])
    problems = [str(problem) for problem in read_directory(broken_copy).problems]
    assert any(f"duplicate id, also in {broken_copy}/providers/" in problem for problem in problems)


def test_invalid_yaml_is_reported_with_its_line(broken_copy: Path) -> None:
    (broken_copy / "providers" / "kg.yml").write_text("providers:\n  - id: [unclosed\n", encoding="utf-8")
    problems = [str(problem) for problem in read_directory(broken_copy).problems]
    assert problems and problems[0].startswith(f"{broken_copy}/providers/kg.yml: line ")


def test_cli_check_passes_on_shipped_data_and_fails_on_a_broken_copy(broken_copy: Path) -> None:
    command = [sys.executable, "-m", "bot.cli.main", "content", "check"]
    good = subprocess.run(command, capture_output=True, text=True)
    assert good.returncode == 0 and good.stdout.startswith("content OK:")
    _edit_first_provider(broken_copy, "tj.yml", phone="12")
    bad = subprocess.run([*command, "--directory", str(broken_copy)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert f"{broken_copy}/providers/tj.yml: providers[0]" in bad.stdout and ": phone: " in bad.stdout


def test_cli_check_fails_on_broken_counselor_hours(tmp_path: Path) -> None:
    document = yaml.safe_load(HOURS_FILE.read_text(encoding="utf-8"))
    document["countries"]["KG"]["hours"]["mon"] = ["09:00-13:00", "12:00-18:00"]
    broken = tmp_path / "hours.yml"
    broken.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    command = [sys.executable, "-m", "bot.cli.main", "content", "check", "--hours", str(broken)]
    bad = subprocess.run(command, capture_output=True, text=True)
    assert bad.returncode == 1
    assert f"{broken}: countries.KG.hours: mon: '09:00-13:00' and '12:00-18:00' overlap" in bad.stdout
