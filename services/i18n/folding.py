"""Fold text from any of Yoldosh's languages and scripts into one Latin skeleton (services layer).

The NLU pipeline and the safety net both read folded text, so "ўқишга", "укишга", "o‘qishga" and "oqishga"
look the same to them. Folding keeps a map from input to output positions, so annotated entity spans can be
moved onto the folded text. Pure standard library: it also runs inside the Rasa virtualenv (Python 3.10).
"""

from __future__ import annotations

import unicodedata

# Cyrillic of Russian, Uzbek, Kazakh, Kyrgyz and Tajik, each letter to its Latin skeleton. Simplified typing
# (о for ө, к for қ, х for ҳ, ч for ҷ) therefore folds to the same thing as the proper letters.
_CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "j",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sh",
    "ъ": "",
    "ы": "i",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "ў": "o",
    "қ": "k",
    "ғ": "g",
    "ҳ": "h",  # Uzbek
    "ә": "a",
    "ө": "o",
    "ұ": "u",
    "ү": "u",
    "ң": "n",
    "һ": "h",
    "і": "i",  # Kazakh, Kyrgyz
    "ӣ": "i",
    "ӯ": "u",
    "ҷ": "ch",  # Tajik
    "ї": "i",
    "є": "e",
    "ґ": "g",
}
# Latin letters that stand for the same sounds in Uzbek, Kazakh Latin and transliterated Russian.
_LATIN = {"x": "h", "q": "k", "w": "v", "ş": "sh", "ç": "ch", "ı": "i", "ñ": "n", "ǵ": "g", "ß": "ss"}
# Two-letter Latin spellings of one sound: "kh" (х) and "zh" (ж) in transliterated Russian.
_DIGRAPHS = {("k", "h"): "h", ("z", "h"): "j"}
_APOSTROPHES = frozenset("'`\u2018\u2019\u02bb\u02bc\u00b4\u02b9\u0060")
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")


def _fold_letter(char: str) -> str:
    if char in _CYRILLIC:
        return _CYRILLIC[char]
    if char in _LATIN:
        return _LATIN[char]
    if char.isascii():
        return char
    decomposed = unicodedata.normalize("NFD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if base and base != char:
        return _fold_letter(base) if len(base) == 1 else base
    return char


def _is_symbol(char: str) -> bool:
    return unicodedata.category(char) in {"So", "Sk", "Cs"} or 0x1F000 <= ord(char) <= 0x1FAFF


def _pieces(text: str) -> list[tuple[str, int]]:
    """(output character, input index) pairs before run and space clean-up."""
    lowered = [char.casefold() for char in text]
    pieces: list[tuple[str, int]] = []
    index = 0
    while index < len(text):
        char = lowered[index]
        following = lowered[index + 1] if index + 1 < len(text) else ""
        if len(char) == 1 and (char, following) in _DIGRAPHS:
            output, consumed = _DIGRAPHS[(char, following)], 2
        elif (
            char in _APOSTROPHES
            or char in _ZERO_WIDTH
            or (len(char) == 1 and unicodedata.category(char) in {"Mn", "Cf"})
        ):
            output, consumed = "", 1
        elif char.isspace() or (len(char) == 1 and unicodedata.category(char).startswith("C")):
            output, consumed = " ", 1
        elif len(char) == 1 and _is_symbol(char) and char not in {"\ufe0f"}:
            output, consumed = f" {char} ", 1
        else:
            output, consumed = "".join(_fold_letter(c) for c in char), 1
        pieces.extend((out, index) for out in output)
        index += consumed
    return pieces


def _clean(pieces: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Collapse runs of three or more equal letters to one ("kerakkk") and runs of spaces to one; trim."""
    cleaned: list[tuple[str, int]] = []
    position = 0
    while position < len(pieces):
        char = pieces[position][0]
        end = position
        while end < len(pieces) and pieces[end][0] == char:
            end += 1
        run = end - position
        keep = 1 if (char == " " or (run >= 3 and char.isalpha())) else run
        cleaned.extend(pieces[position : position + keep])
        position = end
    while cleaned and cleaned[0][0] == " ":
        cleaned.pop(0)
    while cleaned and cleaned[-1][0] == " ":
        cleaned.pop()
    return cleaned


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Folded text and, for every input position 0..len(text), the matching position in the folded text."""
    pieces = _clean(_pieces(text))
    offsets = [0] * (len(text) + 1)
    produced = 0
    for index in range(len(text) + 1):
        while produced < len(pieces) and pieces[produced][1] < index:
            produced += 1
        offsets[index] = produced
    return "".join(char for char, _ in pieces), offsets


def fold(text: str) -> str:
    """The folded skeleton of `text`: lower case, one Latin script, no apostrophes, tidy spaces."""
    return fold_with_offsets(text)[0]
