"""Load the safety lexicons (services layer): every YAML file in lexicon/, compiled once into regexes.

Entries of every language and the emoji file are pooled and filed by how their match begins, so a message is
read once, whatever language it is in: at each word start one regex tries every category's entries for that
beginning. Entries keep their file and line ("uz.yml:57") so a verdict can be explained without quoting it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import yaml

from services.safety.patterns import (
    PREPARE,
    PatternError,
    Prepare,
    compile_alternatives,
    compile_parts,
    dispatch_key,
    word_keys,
)
from services.safety.types import URGENT_CATEGORIES, SafetyCategory

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"
_LIST_KEYS = {"idioms": "idiom", "past_markers": "past_marker", "now_markers": "now_marker"}
_KNOWN_KEYS = frozenset({"language", "words", "urgent", "sensitive", "recent", *_LIST_KEYS})


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One lexicon entry: where it is written, what it means, and its regex source.

    An entry `a & b` has no source of its own: its phrases are filed as entries of their own buckets
    (`part_<n>`, shared by every entry with the same phrase) and `parts` names them; the entry holds when all
    of them match somewhere in the message.
    """

    rule: str
    bucket: str
    source: str
    head: str
    parts: tuple[str, ...] = ()


class Dispatch:
    """Entries grouped by how their match begins, each group one regex of named lookaheads.

    A message is read only where a word or an emoji starts. There, the first three characters (or two, or one,
    for entries whose beginning is less fixed) pick the few entries that can match, and one regex tries each
    bucket (a category, `recent_<category>`, `past_marker`, `now_marker`, `idiom`) once, reporting by group
    name which buckets match from that point. Group regexes are compiled when first needed (`compile_all`
    compiles them all, at start-up or in a check).
    """

    def __init__(self, entries: list[Entry]) -> None:
        grouped: dict[int, dict[str, dict[str, list[tuple[str, str]]]]] = {length: {} for length in KEY_LENGTHS}
        for entry in entries:
            length, keys = _keys(entry.head)
            for key in keys:
                head = _narrowed(entry.head, length, key)
                source = head + entry.source[len(entry.head) :] if entry.source.startswith(entry.head) else entry.source
                grouped[length].setdefault(key, {}).setdefault(entry.bucket, []).append((head, source))
        self._sources = tuple(
            (length, {key: _lookaheads(buckets) for key, buckets in grouped[length].items()})
            for length in KEY_LENGTHS
            if grouped[length]
        )
        self._compiled: dict[tuple[int, str], re.Pattern[str]] = {}

    def _pattern(self, length: int, sources: dict[str, str], key: str) -> re.Pattern[str] | None:
        pattern = self._compiled.get((length, key))
        if pattern is None:
            source = sources.get(key)
            if source is None:
                return None
            pattern = self._compiled[(length, key)] = re.compile(source)
        return pattern

    def compile_all(self) -> int:
        """Compile every group regex now; returns how many there are."""
        for length, sources in self._sources:
            for key in sources:
                self._pattern(length, sources, key)
        return len(self._compiled)

    def spans(self, text: str) -> Iterator[tuple[str, int, int]]:
        """(bucket, start, end) of every bucket that matches from some word or emoji start of `text`."""
        longest = KEY_LENGTHS[0]
        for start in WORD_STARTS.finditer(text):
            position = start.start()
            word = dispatch_key(text, longest, position)
            for length, sources in self._sources:
                pattern = self._pattern(length, sources, word[:length])
                if pattern is None:
                    continue
                match = pattern.match(text, position)
                if match is None:
                    continue
                for bucket, found in match.groupdict().items():
                    if found is not None:
                        yield bucket, position, match.end(bucket)


KEY_LENGTHS = (3, 2, 1)


@cache
def _keys(source: str) -> tuple[int, frozenset[str]]:
    """How an entry's match begins: (length, keys), each key the first `length` letters of the word the match
    starts with, or the whole word if it is shorter ("i", "u"). The longest beginning with at most 40 keys
    wins; an entry starting with a long word list is filed under fewer, shorter keys rather than copied."""
    options = []
    for length in KEY_LENGTHS:
        found = word_keys(source, length)
        if found:
            if len(found) <= _FEW_KEYS:
                return length, found
            options.append((len(found), -length, found))
    if not options:
        raise PatternError("its match may begin with any character; begin it with a word or an emoji")
    _count, negative_length, found = min(options, key=lambda option: option[:2])
    return -negative_length, found


_FEW_KEYS = 40


# Where an entry may start: the first letter of a word, or any character that is neither a letter nor a space
# (emoji, which folding sets apart with spaces).
WORD_STARTS = re.compile(r"(?<!\w)\w|[^\w\s]")


@cache
def _narrowed(head: str, length: int, key: str) -> str:
    """The head as filed under `key`: when it is one group of alternatives (a word list such as {aggressor}),
    only the alternatives that can begin with `key`, so a long list is not copied whole under every key."""
    alternatives = _alternatives(head)
    if alternatives is None:
        return head
    kept = [alternative for alternative in alternatives if key in (word_keys(alternative, length) or {key})]
    return head if len(kept) == len(alternatives) else "(?:" + "|".join(kept) + ")"


def _alternatives(head: str) -> list[str] | None:
    """The top-level alternatives of a head that is exactly one non-capturing group "(?:a|b|c)", else None."""
    if not head.startswith("(?:") or not head.endswith(")"):
        return None
    pieces, depth, current, index = [], 0, [], 3
    while index < len(head) - 1:
        char = head[index]
        if char == "\\":
            current.append(head[index : index + 2])
            index += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None  # the group closes before the end: the head is more than one group
        elif char == "|" and depth == 0:
            pieces.append("".join(current))
            current = []
            index += 1
            continue
        current.append(char)
        index += 1
    pieces.append("".join(current))
    return pieces if depth == 0 and len(pieces) > 1 else None


def _lookaheads(buckets: dict[str, list[tuple[str, str]]]) -> str:
    return "".join(f"(?:(?=(?P<{name}>{_factored(entries)})))?" for name, entries in buckets.items())


def _factored(entries: list[tuple[str, str]]) -> str:
    """The alternatives of one bucket, entries that begin alike (a word list such as {aggressor}) written once
    with their rests as alternatives: a smaller regex, and the shared beginning is tried once."""
    rests: dict[str, list[str]] = {}
    for head, source in entries:
        if source.startswith(head):
            rests.setdefault(head, []).append(source[len(head) :])
        else:
            rests.setdefault(source, []).append("")
    alternatives = []
    for head, tails in rests.items():
        unique = list(dict.fromkeys(tails))
        alternatives.append(head if unique == [""] else f"{head}(?:{'|'.join(unique)})")
    return "|".join(alternatives)


@dataclass(frozen=True)
class CompiledLexicon:
    """All lexicons compiled: idioms to cut out first, then categories, `recent` entries and markers."""

    idioms: Dispatch
    matchers: Dispatch
    entries: tuple[Entry, ...]
    files: tuple[str, ...]
    together: tuple[Entry, ...] = ()
    part_sources: Mapping[str, str] = field(default_factory=dict)

    def compile_all(self) -> int:
        """Compile every regex now (start-up warm-up, or a check that the lexicons are sound); returns the count."""
        return self.idioms.compile_all() + self.matchers.compile_all()

    @cached_property
    def _together_by_part(self) -> dict[tuple[bool, str], tuple[Entry, ...]]:
        """The `a & b` entries filed under their first phrase (and whether they are idioms): a message only needs
        the entries whose first phrase it matched, not all of them (there are about a thousand)."""
        index: dict[tuple[bool, str], list[Entry]] = {}
        for entry in self.together:
            index.setdefault((entry.bucket == "idiom", entry.parts[0]), []).append(entry)
        return {key: tuple(entries) for key, entries in index.items()}

    def _held(self, buckets: set[str], idioms: bool) -> Iterator[Entry]:
        index = self._together_by_part
        for bucket in buckets:
            for entry in index.get((idioms, bucket), ()):
                if buckets.issuperset(entry.parts):
                    yield entry

    def joined(self, buckets: set[str], *, idioms: bool = False) -> set[str]:
        """The buckets of the `a & b` entries whose phrases are all among `buckets` (idiom ones, or the rest)."""
        return {entry.bucket for entry in self._held(buckets, idioms)}

    def idiom_parts(self, buckets: set[str]) -> set[str]:
        """The phrase buckets of the `a & b` idioms that hold, whose spans are cut like any idiom's."""
        held: set[str] = set()
        for entry in self._held(buckets, True):
            held.update(entry.parts)
        return held

    def rules_for(self, bucket: str, text: str) -> list[str]:
        """The entries of one bucket that match the prepared text (for explanations)."""
        starts = [match.start() for match in WORD_STARTS.finditer(text)]

        def matches(source: str) -> bool:
            return any(_regex(source).match(text, start) for start in starts)

        rules = [
            entry.rule for entry in self.entries if entry.bucket == bucket and entry.source and matches(entry.source)
        ]
        rules += [
            entry.rule
            for entry in self.together
            if entry.bucket == bucket and all(matches(self.part_sources[part]) for part in entry.parts)
        ]
        return rules


@cache
def _regex(source: str) -> re.Pattern[str]:
    return re.compile(source)


def _fail(path: Path, node: yaml.Node, message: str) -> LexiconError:
    return LexiconError(f"{path.name}:{node.start_mark.line + 1}: {message}")


def _mapping(path: Path, node: yaml.Node) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise _fail(path, node, "expected a mapping")
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            raise _fail(path, key, "keys must be plain names")
        yield str(key.value), key, value


def _scalars(path: Path, node: yaml.Node) -> Iterator[tuple[str, int]]:
    if not isinstance(node, yaml.SequenceNode):
        raise _fail(path, node, "expected a list of phrases")
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
            raise _fail(path, item, "expected a phrase")
        yield str(item.value), item.start_mark.line + 1


def _category(path: Path, key_node: yaml.Node, name: str, urgent: bool) -> SafetyCategory:
    try:
        category = SafetyCategory(name)
    except ValueError:
        raise _fail(path, key_node, f"unknown category {name!r}") from None
    if (category in URGENT_CATEGORIES) != urgent:
        raise _fail(path, key_node, f"{name!r} is not {'an urgent' if urgent else 'a sensitive'} category")
    return category


def _compile(
    path: Path, line: int, phrase: str, bucket: str, macros: dict[str, str], prepare: Prepare | None, parts: _Parts
) -> list[Entry]:
    """The entry for one phrase; for `a & b`, the entry that joins them and one entry per new phrase."""
    rule = f"{path.name}:{line}"
    try:
        compiled = compile_parts(phrase, macros, prepare)
        for _source, head in compiled:
            _keys(head)  # an entry that may start anywhere stops here; `check_lexicon` compiles every regex
    except (PatternError, re.error) as error:
        raise LexiconError(f"{rule}: {phrase!r}: {error}") from None
    if len(compiled) == 1:
        return [Entry(rule, bucket, *compiled[0])]
    entries, names = [], []
    for source, head in compiled:
        name = parts.get(source)
        if name is None:
            name = parts[source] = f"part_{len(parts)}"
            entries.append(Entry(rule, name, source, head))
        names.append(name)
    return [*entries, Entry(rule, bucket, "", "", tuple(names))]


_Parts = dict[str, str]  # phrase source -> its bucket name, shared by all files


def _read_file(path: Path, parts: _Parts) -> list[Entry]:
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise LexiconError(f"{path.name}: not valid YAML: {error}") from None
    if root is None:
        raise LexiconError(f"{path.name}: empty file")
    sections = {name: (key, value) for name, key, value in _mapping(path, root)}
    for name, (key, _value) in sections.items():
        if name not in _KNOWN_KEYS:
            raise _fail(path, key, f"unknown section {name!r}")
    if "language" not in sections or not isinstance(sections["language"][1], yaml.ScalarNode):
        raise LexiconError(f"{path.name}: needs `language:` (a locale such as uz, or emoji)")
    prepare = PREPARE.get(str(sections["language"][1].value))
    macros: dict[str, str] = {}
    if "words" in sections:
        for name, key, value in _mapping(path, sections["words"][1]):
            phrases = list(_scalars(path, value))
            try:
                macros[name] = compile_alternatives([phrase for phrase, _ in phrases], macros, prepare)
            except PatternError as error:
                raise _fail(path, key, str(error)) from None
    entries: list[Entry] = []
    for section in ("urgent", "sensitive", "recent"):
        if section not in sections:
            continue
        for name, key, value in _mapping(path, sections[section][1]):
            category = _category(path, key, name, urgent=section != "sensitive")
            for phrase, line in _scalars(path, value):
                bucket = f"recent_{category.value}" if section == "recent" else category.value
                entries.extend(_compile(path, line, phrase, bucket, macros, prepare, parts))
    for section in _LIST_KEYS:  # idioms, past_markers, now_markers
        if section in sections:
            for phrase, line in _scalars(path, sections[section][1]):
                entries.extend(_compile(path, line, phrase, _LIST_KEYS[section], macros, prepare, parts))
    return entries


def compile_lexicon(directory: Path) -> CompiledLexicon:
    """Read and compile every *.yml in `directory`; raises LexiconError naming the file and line of a problem."""
    paths = sorted(directory.glob("*.yml"))
    if not paths:
        raise LexiconError(f"no lexicon files in {directory}")
    parts: _Parts = {}
    read = [entry for path in paths for entry in _read_file(path, parts)]
    together = tuple(entry for entry in read if entry.parts)
    entries = [entry for entry in read if not entry.parts]
    idiom_parts = {part for entry in together if entry.bucket == "idiom" for part in entry.parts}
    other_parts = {part for entry in together if entry.bucket != "idiom" for part in entry.parts}
    return CompiledLexicon(
        idioms=Dispatch([entry for entry in entries if entry.bucket == "idiom" or entry.bucket in idiom_parts]),
        matchers=Dispatch(
            [
                entry
                for entry in entries
                if entry.bucket != "idiom" and (entry.bucket not in idiom_parts or entry.bucket in other_parts)
            ]
        ),
        entries=tuple(entries),
        files=tuple(path.name for path in paths),
        together=together,
        part_sources={name: source for source, name in parts.items()},
    )


@cache
def load_lexicon(directory: Path = LEXICON_DIR) -> CompiledLexicon:
    """The compiled lexicons of `directory`, read once per process."""
    return compile_lexicon(directory)
