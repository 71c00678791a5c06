"""The seven supported locales and how Telegram language codes map onto them (services layer)."""

from __future__ import annotations

SUPPORTED_LOCALES: tuple[str, ...] = ("en", "ru", "uz", "uz_Cyrl", "kk", "ky", "tg")

# Each language in its own name, as the language picker shows it.
LANGUAGE_NAMES: dict[str, str] = {
    "uz": "O‘zbekcha",
    "uz_Cyrl": "Ўзбекча",
    "ru": "Русский",
    "kk": "Қазақша",
    "ky": "Кыргызча",
    "tg": "Тоҷикӣ",
    "en": "English",
}

PICKER_ORDER: tuple[str, ...] = ("uz", "uz_Cyrl", "ru", "kk", "ky", "tg", "en")


def match_locale(language_code: str | None) -> str | None:
    """The supported locale for an IETF tag such as Telegram's `language_code` ("uz-Cyrl", "ru-RU"), or None."""
    if not language_code:
        return None
    parts = language_code.replace("_", "-").split("-")
    language = parts[0].lower()
    if language == "uz" and any(part.lower() == "cyrl" for part in parts[1:]):
        return "uz_Cyrl"
    return language if language in SUPPORTED_LOCALES else None
