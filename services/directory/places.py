"""Countries and cities with their names per locale, read once from content/directory/places.yml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from babel import Locale

from services.content.reader import read_places
from services.content.schema import COUNTRY_CODES, PlacesFile
from services.directory.texts import complete_texts
from services.i18n.folding import fold
from services.i18n.formatting import babel_locale
from services.paths import DIRECTORY_DIR


@cache
def _places() -> PlacesFile:
    places = read_places(DIRECTORY_DIR, [])
    if places is None:
        raise RuntimeError("content/directory/places.yml is missing or invalid; run `yoldosh content check`")
    return places


def country_codes() -> tuple[str, ...]:
    """The countries Yoldosh serves, in menu order."""
    return COUNTRY_CODES


def country_name(country_code: str, locale: str) -> str:
    """The country's name in `locale`, from CLDR."""
    name = babel_locale(locale).territories.get(country_code) or Locale.parse("en").territories[country_code]
    return str(name)


def city_name(country_code: str, city_code: str, locale: str) -> str:
    """The city's name in `locale`, with the content fallbacks; the code itself when unknown."""
    country = _places().countries.get(country_code)
    if country is None:
        return city_code
    for region in country.regions.values():
        city = region.cities.get(city_code)
        if city is not None:
            return complete_texts(city.names)[locale]
    return city_code


@dataclass(frozen=True)
class CityMatch:
    """A city recognised in free text."""

    country_code: str
    city_code: str


@cache
def _city_names() -> list[tuple[str, CityMatch]]:
    """(folded name, city) for every name of every city, longest names first."""
    names: list[tuple[str, CityMatch]] = []
    for country_code, country in _places().countries.items():
        for region in country.regions.values():
            for city_code, city in region.cities.items():
                match = CityMatch(country_code, city_code)
                for name in {fold(name) for name in complete_texts(city.names).values()}:
                    names.append((name, match))
    return sorted(names, key=lambda item: -len(item[0]))


def resolve_city(written: str) -> CityMatch | None:
    """The city meant by a written form, inflections included ("Andijonda", "в Андижане", "Алматыда")."""
    folded = fold(written).split()
    for word in folded:
        for name, match in _city_names():
            if word.startswith(name) or (len(word) >= 4 and name.startswith(word)):
                return match
    return None
