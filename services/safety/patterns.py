"""The lexicon's phrase language, compiled to regular expressions over folded text (services layer).

A lexicon entry is a phrase in its natural script: words separated by spaces, matched as consecutive words of
the folded message (punctuation and spaces may stand between them). Inside an entry:

    word*      the word and any ending (stems of agglutinative and inflected words)
    *word      any beginning, then the word (not as an entry's first word: entries must start at a word)
    (a|b)      either spelling inside a word (qamal(ib|ib qoldim): a group may hold several words);
               `?` makes the letter or group before it optional
    (a b|c)    either phrase, when the group is a whole word of the entry; `(a|the)?` is an optional word
    ..         up to 3 other words in between; `...` up to 6
    [word]     an optional word (or words); "(own )?life" means "[own] life"
    {name}     any of the phrases listed under `words: name:` in the same file
    #          any number (20, 37.5)
    ^  $       (first or last) the start or end of the whole message, so "^ help $" is a message of one word
    a & b      each phrase somewhere in the message, in any order (two or three phrases; no ^ or $ beside it)

Entries and messages go through the same normalisation, so one entry matches every script and spelling:
`fold` (services/i18n/folding.py: one Latin skeleton, no apostrophes, case folded), then `skeleton` here
(y and i are one letter, doubled letters count once, "ye" and "e" are one sound).
"""

from __future__ import annotations

import re
import re._parser as _regex_parser  # to read which characters a compiled entry can start with
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from services.i18n.folding import fold

GAPS = {"..": 3, "...": 6}
# The matcher strips leading punctuation, so "^" means "nothing before this word".
MESSAGE_START = "(?<!.)"
_DOUBLED = re.compile(r"([^\W\d_])\1+")
_MACRO = re.compile(r"^\{([a-z_]+)\}$")
_OPTIONAL_WORDS = re.compile(r"\(([^()|]+) \)\?")  # "(own )?life" is "[own] life"
_WORD_END = r"(?!\w)"
_BETWEEN = r"\W+"


class PatternError(ValueError):
    """A lexicon entry that cannot be compiled; the message names the entry."""


def skeleton(folded: str) -> str:
    """The matching skeleton of folded text: y read as i, doubled letters once (ubbit → ubit, tayyor → taior)."""
    return _DOUBLED.sub(r"\1", folded.replace("y", "i"))


def _literal(run: str) -> str:
    """Regex for a run of letters from an entry: skeleton, then every e may be typed ye (ubet / ubyet)."""
    letters = skeleton(run).replace("ie", "e")
    return "".join("i?e" if char == "e" else re.escape(char) for char in letters)


def _squeeze_groups(token: str) -> str:
    """Apply the doubled-letter rule across a group's edge: "sorok(ka|da)" becomes "sorok(a|da)", since the
    folded message reads "so'roqqa" as "soroka"."""
    out: list[str] = []
    index = 0
    while index < len(token):
        char = token[index]
        if char == "(" and out and out[-1].isalpha():
            depth, end = 0, index
            for end in range(index, len(token)):
                depth += 1 if token[end] == "(" else (-1 if token[end] == ")" else 0)
                if depth == 0:
                    break
            letter = skeleton(out[-1])
            alternatives = _split(token[index + 1 : end], "|")
            trimmed = [alt[1:] if alt[:1].isalpha() and skeleton(alt[0]) == letter else alt for alt in alternatives]
            out.append("(" + "|".join(trimmed) + ")")
            index = end + 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _word(token: str) -> str:
    """Regex for one folded entry word with its wildcards, groups and optional marks."""
    token = _squeeze_groups(token)
    out: list[str] = []
    run: list[str] = []
    depth = 0

    def flush() -> None:
        if run:
            out.append(_literal("".join(run)))
            run.clear()

    for char in token:
        if char.isalnum():
            run.append(char)
            continue
        flush()
        if char == "*":
            out.append(r"\w*")
        elif char == "(":
            depth += 1
            out.append("(?:")
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise PatternError(f"unbalanced ')' in {token!r}")
            out.append(")")
        elif char == "|":
            if depth == 0:
                raise PatternError(f"'|' outside a group in {token!r}")
            out.append("|")
        elif char == "?":
            out.append("?")
        elif char in "-.,/":
            out.append(r"\W*")
        elif char == " ":  # a space inside a group: qamal(ib|ib qoldim)
            out.append(_BETWEEN)
        else:
            out.append(re.escape(char))  # emoji and other symbols stand for themselves
    flush()
    if depth != 0:
        raise PatternError(f"unbalanced '(' in {token!r}")
    body = "".join(out)
    # No word-start assertion: entries are only tried where a word or an emoji starts (loader.Dispatch).
    return body + ("" if body.endswith(r"\w*") else _WORD_END)


def _gap(words: int) -> str:
    return _gap_words(words) + r"\W+"


def _gap_words(words: int) -> str:
    """The words a gap may skip, each with the separator before it (a gap without its last separator)."""
    return rf"(?:\W+\w+){{0,{words}}}"


Prepare = Callable[[str], str]


def _split(text: str, separator: str) -> list[str]:
    """Split on `separator` outside parentheses and brackets."""
    pieces: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += 1 if char in "([" else (-1 if char in ")]" else 0)
        if char == separator and depth == 0:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return pieces


def _whole_group(token: str) -> str | None:
    """The inside of a token that is one parenthesised group, "(a b|c)", else None."""
    if not (token.startswith("(") and token.endswith(")")):
        return None
    depth = 0
    for index, char in enumerate(token):
        depth += 1 if char == "(" else (-1 if char == ")" else 0)
        if depth == 0 and index != len(token) - 1:
            return None
    return token[1:-1]


def _token(token: str, entry: str, macros: Mapping[str, str], prepare: Prepare | None) -> str:
    macro = _MACRO.match(token)
    if macro:
        if macro.group(1) not in macros:
            raise PatternError(f"unknown word list {{{macro.group(1)}}} in {entry!r}")
        return macros[macro.group(1)]
    if token == "#":  # any number: "took # pills"
        return r"[0-9]+(?:[.,][0-9]+)?(?!\w)"
    group = _whole_group(token)
    if group is not None:  # alternatives as whole phrases: (my self|myself), (🔪|🔫)
        return "(?:" + "|".join(compile_phrase(part, macros, prepare) for part in _split(group, "|")) + ")"
    folded = fold(prepare(token) if prepare else token)
    if not folded:
        raise PatternError(f"{token!r} folds to nothing in {entry!r}")
    return _BETWEEN.join(_word(piece) for piece in _split(folded, " "))  # emoji fold apart: 💊💊 → 💊 💊


def _optional(token: str) -> str | None:
    """The inside of an optional word: "[word]" or a whole group followed by "?", "(a|the)?"; else None."""
    if len(token) > 2 and token[0] == "[" and token[-1] == "]":
        return token[1:-1]
    if token.endswith("?") and _whole_group(token[:-1]) is not None:
        return token[:-1]
    return None


def compile_phrase(entry: str, macros: Mapping[str, str], prepare: Prepare | None = None) -> str:
    """Regex source for one lexicon entry; `macros` maps names to compiled alternatives, `prepare` is the
    language's spelling widening applied before folding (for example Uzbek o‘ → (o|u))."""
    return compile_entry(entry, macros, prepare)[0]


def compile_entry(entry: str, macros: Mapping[str, str], prepare: Prepare | None = None) -> tuple[str, str]:
    """(regex source of the entry, regex source of its head): the head is the entry up to its first required
    word, enough to tell how a match begins (see `prefixes`) without reading the whole entry. An entry with
    `&` becomes one regex here (the loader files its phrases apart instead, see `compile_parts`)."""
    parts = compile_parts(entry, macros, prepare)
    return parts[0] if len(parts) == 1 else _together(parts)


_MAX_TOGETHER = 3
_ANYWHERE_AFTER = r"(?=[\s\S]*?(?<!\w){})"


def compile_parts(entry: str, macros: Mapping[str, str], prepare: Prepare | None = None) -> list[tuple[str, str]]:
    """(source, head) of each phrase of `a & b [& c]` (every phrase somewhere in the message, in any order);
    one pair for an entry without `&`."""
    parts = [part.strip() for part in _split(f" {entry} ", "&")]
    if len(parts) == 1:
        return [_sequence_entry(entry, macros, prepare)]
    if len(parts) > _MAX_TOGETHER or not all(parts):
        raise PatternError(f"'&' joins two or three phrases in {entry!r}")
    compiled = [_sequence_entry(part, macros, prepare) for part in parts]
    if any(source.startswith(MESSAGE_START) or source.endswith("$") for source, _head in compiled):
        raise PatternError(f"'^' and '$' cannot stand beside '&' in {entry!r}")
    return compiled


def _together(compiled: list[tuple[str, str]]) -> tuple[str, str]:
    """One regex for `a & b [& c]`: the phrase that comes first is matched where it starts and the others are
    looked for after it, so the entry is still tried at word starts only."""
    branches = [
        "(?:"
        + source
        + "".join(_ANYWHERE_AFTER.format(other) for index, (other, _h) in enumerate(compiled) if index != first)
        + ")"
        for first, (source, _head) in enumerate(compiled)
    ]
    return "(?:" + "|".join(branches) + ")", "(?:" + "|".join(head for _source, head in compiled) + ")"


def _sequence_entry(entry: str, macros: Mapping[str, str], prepare: Prepare | None) -> tuple[str, str]:
    """One phrase: words in order, with gaps, optional words and the message edges."""
    tokens = [token for token in _split(_OPTIONAL_WORDS.sub(r"[\1] ", entry.strip()), " ") if token]
    start = bool(tokens) and tokens[0] == "^"
    end = len(tokens) > start and tokens[-1] == "$"
    words = tokens[int(start) : len(tokens) - int(end)]
    if not words:
        raise PatternError(f"no words in {entry!r}")
    if words[0] in GAPS or words[-1] in GAPS:
        raise PatternError(f"a gap must stand between two words in {entry!r}")
    parts: list[str] = []
    head = ""
    separator = _BETWEEN
    gap = 0  # the words the gap before the next word may skip (0: no gap, the words are adjacent)
    required_seen = False
    for token in words:
        if token in GAPS:
            if gap or not required_seen:
                raise PatternError(f"a gap must follow a required word, once, in {entry!r}")
            gap = GAPS[token]
            separator = _gap(gap)
            continue
        inner = _optional(token)
        compiled = _token(token if inner is None else inner, entry, macros, prepare)
        if inner is not None and gap:
            # `a .. [x] b`: the gap's words stay when x is missing (a, up to 3 words, maybe x, then b); the
            # gap's last separator goes with x, or with b when x is missing
            parts.append(f"{_gap_words(gap)}(?:{_BETWEEN}{compiled})?")
        elif inner is not None and required_seen:
            parts.append(f"(?:{separator}{compiled})?")
        elif inner is not None:
            parts.append(f"(?:{compiled}{_BETWEEN})?")  # a leading optional word brings its own separator
        else:
            parts.append((separator if required_seen else "") + compiled)
            if not required_seen:
                head = "".join(parts)
            required_seen = True
        separator = _BETWEEN
        gap = 0
    if not required_seen:
        raise PatternError(f"only optional words in {entry!r}")
    if _ends_with_gap_and_options(words):
        raise PatternError(f"a gap must stand before a required word in {entry!r}")
    opening = MESSAGE_START if start else ""
    return opening + "".join(parts) + (r"\W*$" if end else ""), opening + head


def _ends_with_gap_and_options(words: list[str]) -> bool:
    """Whether only optional words follow the last gap ("a .. [x]"): the gap and the words could never matter."""
    gaps = [index for index, token in enumerate(words) if token in GAPS]
    return bool(gaps) and all(_optional(token) is not None for token in words[gaps[-1] + 1 :])


def compile_alternatives(entries: list[str], macros: Mapping[str, str], prepare: Prepare | None = None) -> str:
    """One non-capturing group matching any of the entries."""
    return "(?:" + "|".join(compile_phrase(entry, macros, prepare) for entry in entries) + ")"


def _widen(replacements: dict[str, str]) -> Prepare:
    table = re.compile("|".join(re.escape(key) for key in sorted(replacements, key=len, reverse=True)))
    return lambda token: table.sub(lambda match: replacements[match.group()], token)


# Spellings people use for one letter, per language, added to every entry of that language's lexicon.
PREPARE: dict[str, Prepare] = {
    # Uzbek: o‘ typed o, or у where the keyboard has no ў
    "uz": _widen(
        {f"{o}{mark}": "(o|u)" for o in "oO" for mark in "'`\u2018\u2019\u02bb\u02bc"} | {"ў": "(o|u)", "Ў": "(o|u)"}
    ),
    # Russian: ё typed е; щ typed sch or shch in Latin; ц typed c
    "ru": _widen({"ё": "(е|ё)", "Ё": "(е|ё)", "щ": "(щ|сч|шч)", "ц": "(ц|c)"}),
    # Tajik: ҷ typed j in Latin (чон / jon), ғ typed gh
    "tg": _widen({"ҷ": "(ҷ|ж)", "Ҷ": "(ҷ|ж)", "ғ": "(ғ|гх)", "Ғ": "(ғ|гх)"}),
}


_MAX_PREFIXES = 400
_KEY_END = "\x00"  # stands for a non-letter (\\W) in `word_keys`: the word the match starts with has ended
_WORD_RUN = re.compile(r"\w*")


def prefixes(source: str, length: int) -> frozenset[str] | None:
    """Every way a match of the regex `source` can begin, cut to `length` characters; None when unbounded
    (a class such as \\w or \\W comes first, or there are too many). Shorter strings are whole matches."""
    found = _sequence(_regex_parser.parse(source).data, length, False)
    return None if found is None else frozenset(found)


def word_keys(source: str, length: int) -> frozenset[str] | None:
    """Every way the first word of a match of `source` can begin, cut to `length` letters: what
    `dispatch_key` reads at a word start. A word shorter than `length` is its own key ("i", "u", "ол"), so
    entries beginning with short words are still filed under their words. None when unbounded."""
    found = _sequence(_regex_parser.parse(source).data, length, True)
    if found is None:
        return None
    keys = {dispatch_key(text.split(_KEY_END)[0], length) for text in found}
    return None if "" in keys else frozenset(keys)


def dispatch_key(text: str, length: int, position: int = 0) -> str:
    """The key of the word starting at `position`: its first `length` letters, or the symbol there (emoji)."""
    end = _WORD_RUN.match(text, position).end()  # type: ignore[union-attr]
    if end == position:
        return text[position : position + 1]
    return text[position : min(end, position + length)]


def _done(text: str, length: int, word: bool) -> bool:
    return len(text) >= length or (word and _KEY_END in text)


def _sequence(items: Sequence[tuple[Any, Any]], length: int, word: bool) -> set[str] | None:
    current = {""}
    for item in items:
        if all(_done(text, length, word) for text in current):
            break
        grown: set[str] = set()
        for text in current:
            if _done(text, length, word):
                grown.add(text)
                continue
            tails = _item(item, length - len(text), word)
            if tails is None:
                return None
            grown.update(text + tail for tail in tails)
        if len(grown) > _MAX_PREFIXES:
            return None
        current = grown
    return current


def _item(item: tuple[Any, Any], length: int, word: bool) -> set[str] | None:
    op, argument = item
    name = str(op)
    if name in {"AT", "ASSERT", "ASSERT_NOT"}:
        return {""}
    if name == "LITERAL":
        return {chr(argument)}
    if name == "IN":
        return _charset(argument, word)
    if name == "SUBPATTERN":
        return _sequence(argument[-1].data, length, word)
    if name == "BRANCH":
        union: set[str] = set()
        for alternative in argument[1]:
            found = _sequence(alternative.data, length, word)
            if found is None:
                return None
            union |= found
        return union
    if name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
        low, high, body = argument
        results: set[str] = set()
        current = {""}
        for count in range(length + 2):
            if count >= low:
                results |= current
            if count == high or all(_done(text, length, word) for text in current):
                break
            once = _sequence(body.data, length, word)
            if once is None:
                return None
            current = {
                text if _done(text, length, word) else (text + tail)[:length] for text in current for tail in once
            }
        else:
            return None
        return results if len(results) <= _MAX_PREFIXES else None
    return None


def _charset(items: Sequence[tuple[Any, Any]], word: bool) -> set[str] | None:
    chars: set[str] = set()
    for op, argument in items:
        if str(op) == "LITERAL":
            chars.add(chr(argument))
        elif str(op) == "RANGE" and argument[1] - argument[0] < 64:
            chars.update(chr(code) for code in range(argument[0], argument[1] + 1))
        elif word and str(op) == "CATEGORY" and str(argument) in {"CATEGORY_NOT_WORD", "CATEGORY_UNI_NOT_WORD"}:
            chars.add(_KEY_END)
        else:
            return None
    return chars
