"""Compiled gettext catalogs, one domain `yoldosh`, loaded once per process; missing ones fail fast."""

from __future__ import annotations

import gettext
from functools import cache

from services.i18n.locales import SUPPORTED_LOCALES
from services.paths import LOCALE_DIR

DOMAIN = "yoldosh"
SOURCE_LOCALE = "en"


class CatalogMissingError(RuntimeError):
    """A locale's compiled catalog (.mo) is not there: run `make setup` (it compiles the catalogs)."""


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (translated later by code)."""
    return message


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalog for `locale`; English is the source language and needs none."""
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    if locale == SOURCE_LOCALE:
        return gettext.NullTranslations()
    try:
        return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[locale])
    except FileNotFoundError:
        raise CatalogMissingError(
            f"compiled catalog for {locale!r} not found under {LOCALE_DIR}; run `make setup`"
        ) from None


def require_all_catalogs() -> None:
    """Load every locale's catalog now, so a missing one stops start-up instead of a conversation."""
    for locale in SUPPORTED_LOCALES:
        translations(locale)


class Translator:
    """gettext bound to one locale: `_("text")`, `ngettext(one, many, n)`."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._catalog = translations(locale)

    def __call__(self, message: str) -> str:
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The singular or plural form for `count`, by the locale's plural rule."""
        return self._catalog.ngettext(singular, plural, count)
