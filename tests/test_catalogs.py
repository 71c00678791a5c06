"""Catalogs: every locale complete, placeholders intact, marked as drafts, compiled and loadable."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from services.i18n.catalogs import DOMAIN, Translator, translations
from services.i18n.locales import SUPPORTED_LOCALES
from services.paths import LOCALE_DIR

PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _catalog(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as stream:
        return read_po(stream, locale=locale)


def _template() -> Catalog:
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as stream:
        return read_po(stream)


def _ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {message.id for message in catalog if message.id}


def _as_tuple(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def test_template_matches_the_code(tmp_path: Path) -> None:
    """Every string in the code is in the template and nothing stale is left there (run `make catalogs`)."""
    fresh = tmp_path / "fresh.pot"
    root = LOCALE_DIR.parent.parent
    subprocess.run(["scripts/extract-messages.sh", str(fresh)], cwd=root, capture_output=True, check=True)
    with fresh.open("rb") as stream:
        assert _ids(read_po(stream)) == _ids(_template())


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalog_has_every_message_translated(locale: str) -> None:
    catalog = _catalog(locale)
    assert _ids(catalog) == _ids(_template()), "run `make catalogs`, then translate"
    untranslated = [m.id for m in catalog if m.id and not all(_as_tuple(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == [], "fuzzy entries are skipped by the compiler"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_placeholders_match_the_source(locale: str) -> None:
    for message in _catalog(locale):
        if not message.id:
            continue
        expected = set(PLACEHOLDER.findall(" ".join(_as_tuple(message.id))))
        for form in _as_tuple(message.string):
            assert set(PLACEHOLDER.findall(form)) == expected, (locale, message.id, form)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalog_says_it_is_a_draft_for_review(locale: str) -> None:
    header = _catalog(locale).header_comment
    assert "DRAFT" in header and "review" in header


@pytest.mark.parametrize("locale", [locale for locale in SUPPORTED_LOCALES if locale != "en"])
def test_compiled_catalog_translates(locale: str) -> None:
    _ = Translator(locale)
    assert _("Change language") != "Change language"
    assert "{count}" in _.ngettext("{count} day", "{count} days", 5)


def test_plural_forms_follow_the_language() -> None:
    _ = Translator("ru")
    forms = {_.ngettext("{count} day", "{count} days", n).format(count=n) for n in (1, 3, 5)}
    assert forms == {"1 день", "3 дня", "5 дней"}


def test_unknown_locale_is_refused() -> None:
    with pytest.raises(ValueError):
        translations("de")
