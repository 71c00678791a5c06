"""Read and check the directory YAML (services layer): every problem with its file, entry and field."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from services.content.schema import COUNTRY_TIMEZONES, HolidaysFile, PlacesFile, ProviderEntry, ProviderFile
from services.paths import DIRECTORY_DIR, PROJECT_ROOT

PHONE_PREFIXES = {"UZ": "+998", "KZ": "+7", "KG": "+996", "TJ": "+992"}


@dataclass(frozen=True)
class ContentProblem:
    """One thing wrong in the content, located precisely."""

    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        location = ": ".join(part for part in (self.file, self.entry, self.field) if part)
        return f"{location}: {self.message}"


@dataclass(frozen=True)
class SourcedProvider:
    """A provider entry with the country and file it came from."""

    country: str
    entry: ProviderEntry
    file: str
    sample: bool


@dataclass
class DirectoryContent:
    """The parsed directory: places, public holidays and providers by country, plus any problems found."""

    places: PlacesFile | None = None
    holidays: HolidaysFile | None = None
    providers: list[SourcedProvider] = field(default_factory=list)
    problems: list[ContentProblem] = field(default_factory=list)


def display_path(path: Path) -> str:
    """A path as the user should see it: relative inside the project, absolute elsewhere."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT.resolve()))
    except ValueError:
        return str(path)


def _load_yaml(path: Path, label: str, problems: list[ContentProblem]) -> Any:
    try:
        with path.open(encoding="utf-8") as stream:
            return yaml.safe_load(stream)
    except FileNotFoundError:
        problems.append(ContentProblem(label, "", "", "file not found"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        problems.append(ContentProblem(label, where, "", f"not valid YAML: {getattr(error, 'problem', error)}"))
    return None


def _entry_label(raw: Any, loc: tuple[int | str, ...]) -> tuple[str, tuple[int | str, ...]]:
    """Name the list entry an error is in (`providers[3] (uz-x)`) and return the rest of the path."""
    if len(loc) >= 2 and loc[0] == "providers" and isinstance(loc[1], int):
        index = loc[1]
        entries = raw.get("providers") if isinstance(raw, dict) else None
        entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        label = f"providers[{index}]" + (f" ({entry_id})" if entry_id else "")
        return label, loc[2:]
    return "", loc


def _validate(model: type[BaseModel], raw: Any, label: str, problems: list[ContentProblem]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        for detail in error.errors():
            entry, rest = _entry_label(raw, tuple(detail["loc"]))
            field_path = ".".join(str(part) for part in rest)
            message = str(detail["msg"]).removeprefix("Value error, ")
            problems.append(ContentProblem(label, entry, field_path, message))
        return None


def _cross_check(content: DirectoryContent) -> None:
    places = content.places
    seen: dict[str, str] = {}
    for sourced in content.providers:
        country, entry, label = sourced.country, sourced.entry, sourced.file
        where = f"provider {entry.id}"
        if entry.id in seen:
            content.problems.append(ContentProblem(label, where, "id", f"duplicate id, also in {seen[entry.id]}"))
        seen.setdefault(entry.id, label)
        if not entry.phone.replace(" ", "").startswith(PHONE_PREFIXES[country]):
            message = f"{entry.phone!r} does not start with {PHONE_PREFIXES[country]} for {country}"
            content.problems.append(ContentProblem(label, where, "phone", message))
        if entry.timezone not in COUNTRY_TIMEZONES[country]:
            message = f"{entry.timezone!r} is not a time zone of {country}"
            content.problems.append(ContentProblem(label, where, "timezone", message))
        if places is None:
            continue
        country_places = places.countries.get(country)
        region = country_places.regions.get(entry.region) if country_places else None
        if region is None:
            message = f"{entry.region!r} is not a region of {country} in places.yml"
            content.problems.append(ContentProblem(label, where, "region", message))
        elif entry.city not in region.cities:
            message = f"{entry.city!r} is not a city of region {entry.region!r} in places.yml"
            content.problems.append(ContentProblem(label, where, "city", message))


def read_places(directory: Path, problems: list[ContentProblem]) -> PlacesFile | None:
    """Parse places.yml alone (countries, regions, cities); problems are appended to `problems`."""
    path = directory / "places.yml"
    raw = _load_yaml(path, display_path(path), problems)
    return None if raw is None else _validate(PlacesFile, raw, display_path(path), problems)


def read_holidays(directory: Path, problems: list[ContentProblem]) -> HolidaysFile | None:
    """Parse holidays.yml alone (each country's public holidays); problems are appended to `problems`."""
    path = directory / "holidays.yml"
    raw = _load_yaml(path, display_path(path), problems)
    return None if raw is None else _validate(HolidaysFile, raw, display_path(path), problems)


def read_directory(directory: Path = DIRECTORY_DIR) -> DirectoryContent:
    """Parse places.yml, holidays.yml and providers/*.yml under `directory`, collecting every problem."""
    content = DirectoryContent()
    content.places = read_places(directory, content.problems)
    content.holidays = read_holidays(directory, content.problems)
    provider_files = sorted((directory / "providers").glob("*.yml"))
    if not provider_files:
        content.problems.append(ContentProblem(display_path(directory / "providers"), "", "", "no *.yml"))
    for path in provider_files:
        label = display_path(path)
        raw = _load_yaml(path, label, content.problems)
        if raw is None:
            continue
        parsed = _validate(ProviderFile, raw, label, content.problems)
        if parsed is None:
            continue
        content.providers.extend(
            SourcedProvider(parsed.country, entry, label, parsed.sample) for entry in parsed.providers
        )
    _cross_check(content)
    return content
