"""Directory search by the language staff speak and by flags, listed and nearby, on both databases; languages named
in free text."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from services.content.reader import DirectoryContent, SourcedProvider, read_directory
from services.content.schema import ProviderEntry
from services.directory.languages import language_of, resolve_language, speaks
from services.directory.nearby import find_nearest_providers
from services.directory.service import find_providers, load_directory
from services.directory.types import ProviderFilters, ProviderFlag

NO_FLAGS = {"free": False, "women_staff": False, "child_friendly": False, "step_free": False}


def entry(provider_id: str, languages: list[str], *, lat: float = 40.78, **flags: bool) -> SourcedProvider:
    """A medical provider in Andijan speaking these languages, with only the flags given."""
    return SourcedProvider(
        country="UZ",
        entry=ProviderEntry.model_validate(
            {
                "id": provider_id,
                "categories": ["medical"],
                "name": {"en": f"Clinic {provider_id}", "ru": f"Клиника {provider_id}"},
                "address": {"en": "1 Test Street", "ru": "ул. Тестовая, 1"},
                "region": "andijan",
                "city": "andijan",
                "coordinates": {"lat": lat, "lon": 72.34},
                "phone": "+998 74 200 00 99",
                "timezone": "Asia/Tashkent",
                "languages": languages,
                "flags": NO_FLAGS | flags,
                "hours": {"mon": "09:00-12:00"},
            }
        ),
        file="test",
        sample=True,
    )


@pytest.fixture
def andijan(session: Session) -> None:
    """Five Andijan clinics: Uzbek in Latin or Cyrillic, Russian only, and each flag somewhere."""
    providers = [
        entry("a-latin", ["uz", "ru"], lat=40.70, women_staff=True, free=True),
        entry("b-cyrillic", ["uz_Cyrl"], lat=40.71, women_staff=True),
        entry("c-russian", ["ru"], lat=40.72, women_staff=True, free=True, step_free=True),
        entry(
            "d-everything", ["ru", "uz"], lat=40.90, free=True, women_staff=True, child_friendly=True, step_free=True
        ),
        entry("e-plain", ["kk"], lat=40.73),
    ]
    load_directory(session, content=DirectoryContent(places=None, holidays=None, providers=providers))


def ids(page: Any) -> list[str]:
    return [card.id for card in page.cards]


def search(session: Session, filters: ProviderFilters, **kwargs: Any) -> Any:
    return find_providers(
        session, locale="uz", category="medical", country_code="UZ", city_code="andijan", filters=filters, **kwargs
    )


def test_uzbek_speaking_staff_in_either_script(session: Session, andijan: None) -> None:
    for asked in ("uz", "uz_Cyrl"):
        page = search(session, ProviderFilters(language=language_of(asked)))
        assert ids(page) == ["a-latin", "b-cyrillic", "d-everything"]
        assert (page.total, page.total_without_filters) == (3, 5)
    assert ids(search(session, ProviderFilters(language="en"))) == []


def test_flags_are_all_required_and_combine_with_the_language(session: Session, andijan: None) -> None:
    women = frozenset({ProviderFlag.WOMEN_STAFF})
    assert ids(search(session, ProviderFilters(flags=women))) == ["a-latin", "b-cyrillic", "c-russian", "d-everything"]
    free_women = frozenset({ProviderFlag.WOMEN_STAFF, ProviderFlag.FREE})
    assert ids(search(session, ProviderFilters(flags=free_women))) == ["a-latin", "c-russian", "d-everything"]
    uzbek_free_women = ProviderFilters(language="uz", flags=free_women)
    assert ids(search(session, uzbek_free_women)) == ["a-latin", "d-everything"]
    assert ids(search(session, ProviderFilters(flags=frozenset({ProviderFlag.CHILD_FRIENDLY})))) == ["d-everything"]
    everything = ProviderFilters(language="kk", flags=frozenset(ProviderFlag))
    page = search(session, everything)
    assert (page.cards, page.total, page.total_without_filters, page.filters) == ((), 0, 5, everything)


def test_pages_count_only_what_passes_the_filters(session: Session, andijan: None) -> None:
    uzbek = ProviderFilters(language="uz")
    first = search(session, uzbek, limit=2)
    rest = search(session, uzbek, limit=2, offset=2)
    assert (ids(first), ids(rest)) == (["a-latin", "b-cyrillic"], ["d-everything"])
    assert first.total == rest.total == 3 and rest.offset == 2 and rest.filters == uzbek
    assert search(session, ProviderFilters(), limit=10).total == 5


def test_nearby_search_filters_too(session: Session, andijan: None) -> None:
    near = find_nearest_providers(session, locale="ru", latitude=40.70, longitude=72.34, category="medical")
    assert [result.card.id for result in near] == ["a-latin", "b-cyrillic", "c-russian", "e-plain", "d-everything"]
    filters = ProviderFilters(language="uz", flags=frozenset({ProviderFlag.FREE}))
    near = find_nearest_providers(
        session, locale="ru", latitude=40.70, longitude=72.34, category="medical", filters=filters, limit=1
    )
    assert [result.card.id for result in near] == ["a-latin"]


def test_a_gynaecologist_who_speaks_uzbek_in_andijan_in_the_shipped_directory(session: Session) -> None:
    shipped = read_directory()
    load_directory(session, content=shipped)
    page = find_providers(
        session,
        locale="ru",
        category="medical",
        country_code="UZ",
        city_code="andijan",
        filters=ProviderFilters(language="uz", flags=frozenset({ProviderFlag.WOMEN_STAFF})),
        limit=10,
    )
    assert "uz-andijan-womens-consultation-3" in ids(page)
    for card in page.cards:
        assert speaks(card.languages, "uz") and card.women_staff and card.city_code == "andijan"


@pytest.mark.parametrize(
    ("written", "language"),
    [
        ("uz", "uz"),
        ("uz_Cyrl", "uz"),
        ("o‘zbekcha", "uz"),
        ("o`zbek", "uz"),
        ("ўзбекча", "uz"),
        ("по-узбекски", "uz"),
        ("на узбекском", "uz"),
        ("өзбекше", "uz"),
        ("ӯзбекӣ", "uz"),
        ("Uzbek", "uz"),
        ("по-русски", "ru"),
        ("ruscha", "ru"),
        ("орысша", "ru"),
        ("орусча", "ru"),
        ("русӣ", "ru"),
        ("қазақша", "kk"),
        ("qozoqcha", "kk"),
        ("по-казахски", "kk"),
        ("кыргызча", "ky"),
        ("киргизском", "ky"),
        ("тоҷикӣ", "tg"),
        ("по-таджикски", "tg"),
        ("tojikcha", "tg"),
        ("English", "en"),
        ("inglizcha", "en"),
        ("ағылшынша", "en"),
        ("англисӣ", "en"),
        ("arabcha", None),
        ("", None),
    ],
)
def test_languages_named_in_any_locale_and_script(written: str, language: str | None) -> None:
    assert resolve_language(written) == language


def test_a_locale_is_its_language() -> None:
    assert [language_of(locale) for locale in ("uz", "uz_Cyrl", "uz-Cyrl", "ru", "en")] == [
        "uz",
        "uz",
        "uz",
        "ru",
        "en",
    ]
    assert speaks(["uz_Cyrl", "ru"], "uz") and speaks(["uz"], "uz_Cyrl") and not speaks(["ru"], "uz")
