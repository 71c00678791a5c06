"""Languages staff speak (services layer): a locale's language, a provider's languages, a language named in text.

Providers list the locales their staff speak (`uz`, `ru`, …). Filters compare languages, not scripts: `uz` and
`uz_Cyrl` are both Uzbek. A language named in free text ("o‘zbekcha", "по-узбекски", "ўзбек тилида") is found by
its folded stem, so inflections and both scripts match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from services.i18n.folding import fold

# Folded stems of each language's names in the seven locales (and common Latin spellings of them).
LANGUAGE_STEMS: dict[str, tuple[str, ...]] = {
    "uz": ("uzbek", "ozbek", "usbek"),
    "ru": ("russ", "rus", "orys", "oris", "orus"),
    "kk": ("kazak", "kazah", "kozok", "qazaq"),
    "ky": ("kirgiz", "kyrgyz", "kirgyz", "qirgiz"),
    "tg": ("tojik", "tochik", "tajik", "tadjik", "tadzhik", "todjik"),
    "en": ("english", "ingliz", "anglii", "anglis", "angliy", "agilshin"),
}
LANGUAGE_CODES: tuple[str, ...] = tuple(LANGUAGE_STEMS)
_WORD = re.compile(r"[a-z]+")


def language_of(locale: str) -> str:
    """The language of a locale or language code: "uz_Cyrl" and "uz" are both "uz"."""
    return locale.replace("-", "_").split("_")[0].lower()


def speaks(languages: Iterable[str], language: str) -> bool:
    """Whether staff speaking these locales speak `language`, in any script."""
    wanted = language_of(language)
    return any(language_of(spoken) == wanted for spoken in languages)


def resolve_language(written: str) -> str | None:
    """The language code named by a written form ("uz", "o‘zbekcha", "по-узбекски", "English"), or None."""
    code = language_of(written.strip())
    if code in LANGUAGE_STEMS:
        return code
    for word in _WORD.findall(fold(written)):
        for language, stems in LANGUAGE_STEMS.items():
            if any(word.startswith(stem) for stem in stems):
                return language
    return None
