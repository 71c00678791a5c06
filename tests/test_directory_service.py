"""Directory service: idempotent loading, updates, deactivation, search and localised cards, on both databases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.content.reader import read_directory
from services.directory.models import OpeningHours, Provider, ProviderText
from services.directory.service import (
    InvalidContentError,
    ProviderNotFoundError,
    find_providers,
    get_provider_card,
    load_directory,
)
from services.i18n.locales import SUPPORTED_LOCALES
from services.i18n.translit import latin_to_cyrillic
from services.paths import DIRECTORY_DIR


@pytest.fixture(scope="module")
def shipped():  # type: ignore[no-untyped-def]
    return read_directory()


def test_loading_twice_changes_nothing_the_second_time(session: Session, shipped) -> None:  # type: ignore[no-untyped-def]
    first = load_directory(session, content=shipped)
    assert first.created == len(shipped.providers) and first.updated == 0
    texts = session.scalar(select(func.count()).select_from(ProviderText))
    hours = session.scalar(select(func.count()).select_from(OpeningHours))
    second = load_directory(session, content=shipped)
    assert (second.created, second.updated, second.unchanged) == (0, 0, len(shipped.providers))
    assert session.scalar(select(func.count()).select_from(ProviderText)) == texts == 7 * len(shipped.providers)
    assert session.scalar(select(func.count()).select_from(OpeningHours)) == hours


def _copy_with(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    copy = tmp_path / "directory"
    shutil.copytree(DIRECTORY_DIR, copy)
    path = copy / "providers" / "kg.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return copy


def test_changed_entries_are_updated_and_removed_ones_deactivated(session: Session, shipped, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    load_directory(session, content=shipped)
    kg = yaml.safe_load((DIRECTORY_DIR / "providers" / "kg.yml").read_text(encoding="utf-8"))
    changed_id, removed_id = kg["providers"][0]["id"], kg["providers"][1]["id"]

    def edit(document: dict) -> None:  # type: ignore[type-arg]
        document["providers"][0]["phone"] = "+996 312 999 999"
        del document["providers"][1]

    report = load_directory(session, content=read_directory(_copy_with(tmp_path, edit)))
    assert (report.updated, report.deactivated) == (1, 1)
    assert session.get(Provider, changed_id).phone == "+996 312 999 999"  # type: ignore[union-attr]
    assert session.get(Provider, removed_id).active is False  # type: ignore[union-attr]
    with pytest.raises(ProviderNotFoundError):
        get_provider_card(session, provider_id=removed_id, locale="ru")
    again = load_directory(session, content=shipped)
    assert again.updated == 2 and session.get(Provider, removed_id).active is True  # type: ignore[union-attr]


def test_content_with_problems_is_not_loaded(session: Session, tmp_path: Path) -> None:
    broken = read_directory(_copy_with(tmp_path, lambda d: d["providers"][0].update(phone="x")))
    with pytest.raises(InvalidContentError):
        load_directory(session, content=broken)
    assert session.scalar(select(func.count()).select_from(Provider)) == 0


def test_search_by_category_and_country_is_paginated(session: Session, shipped) -> None:  # type: ignore[no-untyped-def]
    load_directory(session, content=shipped)
    expected = sorted(
        (s.entry.city, s.entry.id)
        for s in shipped.providers
        if s.country == "UZ" and "psychosocial" in s.entry.categories
    )
    first = find_providers(session, locale="uz", category="psychosocial", country_code="UZ", limit=2)
    rest = find_providers(session, locale="uz", category="psychosocial", country_code="UZ", limit=10, offset=2)
    assert first.total == rest.total == len(expected) >= 2
    assert [card.id for card in first.cards + rest.cards] == [provider_id for _city, provider_id in expected]
    assert all("psychosocial" in card.categories and card.country_code == "UZ" for card in first.cards)


def test_cards_are_in_the_readers_locale(session: Session, shipped) -> None:  # type: ignore[no-untyped-def]
    load_directory(session, content=shipped)
    sourced = shipped.providers[0]
    for locale in SUPPORTED_LOCALES:
        card = get_provider_card(session, provider_id=sourced.entry.id, locale=locale)
        assert (card.name, card.address) == (sourced.entry.name[locale], sourced.entry.address[locale])
    card = get_provider_card(session, provider_id=sourced.entry.id, locale="ru")
    assert card.is_sample and card.hours and card.phone == sourced.entry.phone


def test_missing_locales_use_the_documented_fallbacks(session: Session, tmp_path: Path) -> None:
    def edit(document: dict) -> None:  # type: ignore[type-arg]
        entry = document["providers"][0]
        for locale in ("uz_Cyrl", "kk", "ky", "tg"):
            entry["name"].pop(locale)
        entry["name"]["uz"] = "Oilaviy poliklinika"

    content = read_directory(_copy_with(tmp_path, edit))
    load_directory(session, content=content)
    entry = next(s.entry for s in content.providers if s.country == "KG")
    card = lambda locale: get_provider_card(session, provider_id=entry.id, locale=locale)  # noqa: E731
    assert card("uz_Cyrl").name == latin_to_cyrillic("Oilaviy poliklinika") == "Оилавий поликлиника"
    assert card("kk").name == card("ky").name == card("tg").name == entry.name["ru"]
