"""Load the safety lexicons (services layer): every YAML file in lexicon/, compiled once into regexes.

Entries of every language and the emoji file are pooled and filed by how their match begins, so a message is
read once, whatever language it is in: at each word start one regex tries every category's entries for that
beginning. Entries keep their file and line ("uz.yml:57") so a verdict can be explained without quoting it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from services.safety.patterns import (
    PREPARE,
    PatternError,
    Prepare,
    compile_alternatives,
    compile_entry,
    prefixes,
)
from services.safety.types import URGENT_CATEGORIES, SafetyCategory

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"
_LIST_KEYS = {"idioms": "idiom", "past_markers": "past_marker", "now_markers": "now_marker"}
_KNOWN_KEYS = frozenset({"language", "words", "urgent", "sensitive", "recent", *_LIST_KEYS})


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One lexicon entry: where it is written, what it means, and its regex source."""

    rule: str
    bucket: str
    source: str
    head: str


class Dispatch:
    """Entries grouped by how their match begins, each group one regex of named lookaheads.

    A message is read only where a word or an emoji starts. There, the first three characters (or two, or one,
    for entries whose beginning is less fixed) pick the few entries that can match, and one regex tries each
    bucket (a category, `recent_<category>`, `past_marker`, `now_marker`, `idiom`) once, reporting by group
    name which buckets match from that point. Group regexes are compiled when first needed (`compile_all`
    compiles them all, at start-up or in a check).
    """

    def __init__(self, entries: list[Entry]) -> None:
        grouped: dict[int, dict[str, dict[str, list[str]]]] = {length: {} for length in KEY_LENGTHS}
        for entry in entries:
            length, keys = _keys(entry.head)
            for key in keys:
                grouped[length].setdefault(key, {}).setdefault(entry.bucket, []).append(entry.source)
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
        for start in WORD_STARTS.finditer(text):
            position = start.start()
            for length, sources in self._sources:
                pattern = self._pattern(length, sources, text[position : position + length])
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
    """How an entry's match begins: (length, keys). The longest fixed beginning with at most 40 keys wins;
    an entry starting with a long word list is filed under fewer, shorter keys rather than copied into many."""
    options = []
    for length in KEY_LENGTHS:
        found = prefixes(source, length)
        if found is not None and found and all(len(key) == length for key in found):
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


def _lookaheads(buckets: dict[str, list[str]]) -> str:
    return "".join(f"(?:(?=(?P<{name}>{'|'.join(sources)})))?" for name, sources in buckets.items())


@dataclass(frozen=True)
class CompiledLexicon:
    """All lexicons compiled: idioms to cut out first, then categories, `recent` entries and markers."""

    idioms: Dispatch
    matchers: Dispatch
    entries: tuple[Entry, ...]
    files: tuple[str, ...]

    def compile_all(self) -> int:
        """Compile every regex now (start-up warm-up, or a check that the lexicons are sound); returns the count."""
        return self.idioms.compile_all() + self.matchers.compile_all()

    def rules_for(self, bucket: str, text: str) -> list[str]:
        """The entries of one bucket that match the prepared text (for explanations)."""
        starts = [match.start() for match in WORD_STARTS.finditer(text)]
        return [
            entry.rule
            for entry in self.entries
            if entry.bucket == bucket and any(_regex(entry.source).match(text, start) for start in starts)
        ]


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


def _compile(path: Path, line: int, phrase: str, macros: dict[str, str], prepare: Prepare | None) -> tuple[str, str]:
    try:
        source, head = compile_entry(phrase, macros, prepare)
        _keys(head)  # an entry that may start anywhere stops here; `check_lexicon` compiles every regex
    except (PatternError, re.error) as error:
        raise LexiconError(f"{path.name}:{line}: {phrase!r}: {error}") from None
    return source, head


def _read_file(path: Path) -> list[Entry]:
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
                entries.append(Entry(f"{path.name}:{line}", bucket, *_compile(path, line, phrase, macros, prepare)))
    for section in _LIST_KEYS:  # idioms, past_markers, now_markers
        if section in sections:
            for phrase, line in _scalars(path, sections[section][1]):
                entries.append(
                    Entry(f"{path.name}:{line}", _LIST_KEYS[section], *_compile(path, line, phrase, macros, prepare))
                )
    return entries


def compile_lexicon(directory: Path) -> CompiledLexicon:
    """Read and compile every *.yml in `directory`; raises LexiconError naming the file and line of a problem."""
    paths = sorted(directory.glob("*.yml"))
    if not paths:
        raise LexiconError(f"no lexicon files in {directory}")
    entries = [entry for path in paths for entry in _read_file(path)]
    return CompiledLexicon(
        idioms=Dispatch([entry for entry in entries if entry.bucket == "idiom"]),
        matchers=Dispatch([entry for entry in entries if entry.bucket != "idiom"]),
        entries=tuple(entries),
        files=tuple(path.name for path in paths),
    )


@cache
def load_lexicon(directory: Path = LEXICON_DIR) -> CompiledLexicon:
    """The compiled lexicons of `directory`, read once per process."""
    return compile_lexicon(directory)
