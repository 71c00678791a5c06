"""Per-locale provider texts with the documented fallbacks filled in (services layer)."""

from __future__ import annotations

from services.content.schema import TEXT_FALLBACKS
from services.i18n.locales import SUPPORTED_LOCALES
from services.i18n.translit import cyrillic_to_latin, latin_to_cyrillic

_TRANSLITERATE = {("uz", "uz_Cyrl"): cyrillic_to_latin, ("uz_Cyrl", "uz"): latin_to_cyrillic}


def complete_texts(texts: dict[str, str]) -> dict[str, str]:
    """Every supported locale's text: given ones as is, missing ones from their fallback (see content README)."""
    complete = dict(texts)
    for locale in SUPPORTED_LOCALES:
        if locale in complete:
            continue
        for source in (*TEXT_FALLBACKS.get(locale, ()), "en"):
            if source in texts:
                convert = _TRANSLITERATE.get((locale, source))
                complete[locale] = convert(texts[source]) if convert else texts[source]
                break
    return complete
