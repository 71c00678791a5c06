"""Uzbek Latin ↔ Cyrillic transliteration (services layer), used by NLU normalisation and rendering."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

# The official apostrophes of the 1995 Latin alphabet (as amended): the turned comma for o‘/g‘ and the
# apostrophe for the tutuq belgisi (glottal stop, ma’no → маъно). Unicode classes both as letters (Lm).
OKINA = "\u02bb"  # ʻ  MODIFIER LETTER TURNED COMMA
TUTUQ = "\u02bc"  # ʼ  MODIFIER LETTER APOSTROPHE
# Every character people type for either of them: ' ` ‘ ’ ʻ ʼ ´
APOSTROPHES = frozenset("'`\u2018\u2019\u02bb\u02bc\u00b4")

# Spans never transliterated: URLs, e-mail addresses, @mentions and /commands, str.format and %-style
# placeholders, HTML tags and entities (Telegram HTML parse mode). Rendering relies on these surviving.
_PROTECTED = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?<![\w/])[@/][A-Za-z_]\w*"
    r"|\{[^{}\s]*\}"
    r"|%(?:\([A-Za-z_]\w*\))?[sdfr](?![A-Za-z])"
    r"|</?[A-Za-z][^<>]*>"
    r"|&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);"
)

_LATIN_TO_CYRILLIC: dict[str, str] = {
    "a": "а", "b": "б", "d": "д", "f": "ф", "g": "г", "h": "ҳ", "i": "и", "j": "ж", "k": "к", "l": "л",
    "m": "м", "n": "н", "o": "о", "p": "п", "q": "қ", "r": "р", "s": "с", "t": "т", "u": "у", "v": "в",
    "x": "х", "y": "й", "z": "з",
}  # fmt: skip
_Y_VOWELS: dict[str, str] = {"o": "ё", "u": "ю", "a": "я"}
_LATIN_VOWELS = frozenset("aeiou")

_CYRILLIC_TO_LATIN: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ё": "yo", "ж": "j", "з": "z", "и": "i", "й": "y",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "x", "ц": "ts", "ч": "ch", "ш": "sh", "ъ": TUTUQ, "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "ў": "o" + OKINA, "қ": "q", "ғ": "g" + OKINA, "ҳ": "h",
    # Russian-only letters met in names and loanwords; not part of the Uzbek alphabet.
    "ы": "i", "щ": "sh",
}  # fmt: skip
_CYRILLIC_VOWELS = frozenset("аеёиоуэюяўы")


def _is_latin_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _is_letter(ch: str) -> bool:
    # U+02BB/U+02BC are "letters" to Unicode; here they are punctuation-like marks.
    return ch.isalpha() and ch not in APOSTROPHES


def _segments(text: str) -> Iterator[tuple[str, bool]]:
    """Split text into (chunk, protected) pieces, protected ones being left as they are."""
    start = 0
    for match in _PROTECTED.finditer(text):
        if match.start() > start:
            yield text[start : match.start()], False
        yield match.group(), True
        start = match.end()
    if start < len(text):
        yield text[start:], False


def _map_unprotected(text: str, convert: Callable[[str], str]) -> str:
    return "".join(chunk if protected else convert(chunk) for chunk, protected in _segments(text))


def _word_opens_with_quote(out: list[str]) -> bool:
    """Whether the Latin word at the end of `out` began with an apostrophe used as an opening quote."""
    j = len(out) - 1
    while j >= 0 and (_is_latin_letter(out[j]) or out[j] in APOSTROPHES):
        j -= 1
    return j + 1 < len(out) and out[j + 1] in APOSTROPHES


def _normalize_chunk(text: str) -> str:
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch not in APOSTROPHES:
            out.append(ch)
            continue
        prev = out[-1] if out else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if prev in ("o", "O", "g", "G"):
            # o‘/g‘ inside a word, or ending one (bog‘, tog‘) unless it closes a quote opened before it.
            at_word_end = not _is_latin_letter(nxt) and nxt not in APOSTROPHES
            closes_quote = at_word_end and _word_opens_with_quote(out)
            out.append(ch if closes_quote else OKINA)
        elif (_is_latin_letter(prev) or prev == OKINA) and _is_latin_letter(nxt):
            out.append(TUTUQ)
        else:
            out.append(ch)
    return "".join(out)


def normalize_apostrophes(text: str) -> str:
    """Unify Uzbek apostrophes: ʻ (U+02BB) after o/g, ʼ (U+02BC) for the tutuq inside words; quotes kept.

    Any of ' ` ‘ ’ ʻ ʼ ´ directly after a Latin o/O/g/G becomes U+02BB MODIFIER LETTER TURNED COMMA (the
    official o‘/g‘ sign), also at the end of a word (bog‘, tog‘) unless the word opened with an apostrophe,
    in which case it is read as the closing quote ('Dunyo'). Between two other Latin letters (ma'no,
    san'at, Is'hoq) it becomes U+02BC MODIFIER LETTER APOSTROPHE, the tutuq belgisi. Apostrophes anywhere
    else (quotes at word edges, next to Cyrillic, digits or spaces) and protected spans (URLs, placeholders,
    HTML tags) are left unchanged. Both chosen characters are letters to Unicode, so words stay whole for
    word-boundary regexes and tokenisers.
    """
    return _map_unprotected(text, _normalize_chunk)


def _soft_context(text: str, i: int) -> bool:
    """Whether position i is at a word start or after a vowel or tutuq (where e → э and ye → е)."""
    if i == 0:
        return True
    prev = text[i - 1]
    if prev in APOSTROPHES:
        # o‘ is a vowel, g‘ a consonant; a tutuq or a quote counts as a (syllable) start.
        return not (prev == OKINA and i >= 2 and text[i - 2] in ("g", "G"))
    if not _is_letter(prev):
        return True
    return _is_latin_letter(prev) and prev.lower() in _LATIN_VOWELS


def _cased(cyrillic: str, source: str) -> str:
    return cyrillic.upper() if source.isupper() else cyrillic


def _latin_chunk(text: str) -> str:
    text = _normalize_chunk(text)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        low = ch.lower()
        nxt = text[i + 1] if i + 1 < n else ""
        nlow = nxt.lower()
        step = 1
        if not _is_latin_letter(ch):
            if ch == TUTUQ and i > 0 and (_is_latin_letter(text[i - 1]) or text[i - 1] == OKINA):
                if _is_latin_letter(nxt):
                    # s'h separates s from h (Is'hoq → Исҳоқ); elsewhere the tutuq is ъ (ma'no → маъно).
                    out.append("" if text[i - 1] in ("s", "S") and nlow == "h" else _cased("ъ", nxt))
                else:
                    out.append(ch)
            else:
                out.append(ch)
        elif low in ("o", "g") and nxt == OKINA:
            out.append(_cased("ў" if low == "o" else "ғ", ch))
            step = 2
        elif low == "s" and nlow == "h":
            out.append(_cased("ш", ch))
            step = 2
        elif low == "c" and nlow == "h":
            out.append(_cased("ч", ch))
            step = 2
        elif low == "y" and nlow in _Y_VOWELS and not (nlow == "o" and text[i + 2 : i + 3] == OKINA):
            out.append(_cased(_Y_VOWELS[nlow], ch))  # but yo‘l → йўл
            step = 2
        elif low == "y" and nlow == "e":
            # Word-initially and after vowels ye is е (yetti, Kiyev); after a consonant it only comes from
            # Russian ье/ъе loanwords (Vyetnam, premyer), spelt here with ь.
            out.append(_cased("е" if _soft_context(text, i) else "ье", ch))
            step = 2
        elif low == "e":
            out.append(_cased("э" if _soft_context(text, i) else "е", ch))
        elif low in _LATIN_TO_CYRILLIC:
            out.append(_cased(_LATIN_TO_CYRILLIC[low], ch))
        else:
            out.append(ch)  # c, w: not Uzbek letters
        i += step
    return "".join(out)


def latin_to_cyrillic(text: str) -> str:
    """Uzbek Latin text in Uzbek Cyrillic; Cyrillic, digits, emoji and protected spans pass through."""
    return _map_unprotected(text, _latin_chunk)


def _in_caps_word(text: str, i: int) -> bool:
    """Whether the capital at position i belongs to an ALL-CAPS word (ШАҲАР), not a capitalised one."""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if _is_letter(nxt):
        return nxt.isupper()
    prev = text[i - 1] if i > 0 else ""
    return _is_letter(prev) and prev.isupper()


def _cyrillic_chunk(text: str) -> str:
    out: list[str] = []
    for i, ch in enumerate(text):
        low = ch.lower()
        if low not in _CYRILLIC_TO_LATIN and low != "е":
            out.append(ch)
            continue
        prev = text[i - 1].lower() if i > 0 else ""
        nxt = text[i + 1].lower() if i + 1 < len(text) else ""
        if low == "е":
            soft = not _is_letter(prev) or prev in _CYRILLIC_VOWELS or prev in ("ъ", "ь")
            latin = "ye" if soft else "e"
        elif low == "с" and nxt == "ҳ":
            latin = "s" + TUTUQ  # Исҳоқ → Is’hoq, not Ishoq (which reads back as Ишоқ)
        elif low == "ь" and nxt == "о":
            latin = "y"  # бульон → bulyon
        else:
            latin = _CYRILLIC_TO_LATIN[low]
        if latin and ch.isupper():
            latin = latin.upper() if _in_caps_word(text, i) else latin[0].upper() + latin[1:]
        out.append(latin)
    return "".join(out)


def cyrillic_to_latin(text: str) -> str:
    """Uzbek Cyrillic text in the official Uzbek Latin alphabet; Latin and everything else pass through."""
    return _cyrillic_chunk(text)


def to_script(text: str, locale: str) -> str:
    """The text in the script of `locale`: Latin for "uz", Cyrillic for "uz_Cyrl", unchanged for others."""
    if locale == "uz":
        return cyrillic_to_latin(text)
    if locale == "uz_Cyrl":
        return latin_to_cyrillic(text)
    return text


def detect_uzbek_script(text: str) -> str | None:
    """Which script dominates by letter count: "latin", "cyrillic", or None (no letters, or a tie)."""
    latin = cyrillic = 0
    for chunk, protected in _segments(text):
        if protected:
            continue
        for ch in chunk:
            if _is_latin_letter(ch):
                latin += 1
            elif "\u0400" <= ch <= "\u04ff" and ch.isalpha():
                cyrillic += 1
    if latin > cyrillic:
        return "latin"
    if cyrillic > latin:
        return "cyrillic"
    return None
