"""`yoldosh safety …` (bot layer): scan JSON lines with the safety net, check the lexicons."""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

from services.safety.loader import LexiconError, load_lexicon
from services.safety.scanner import scan_message


def _verdict(line: bytes, explain: bool) -> dict[str, object]:
    """The output object for one input line; errors never quote the input, which may be a user's message."""
    try:
        text = line.decode("utf-8").strip()
    except UnicodeDecodeError:
        return {"error": "line is not UTF-8"}
    if not text:
        return {"error": "empty line"}
    try:
        item = json.loads(text)
    except json.JSONDecodeError as error:
        return {"error": f"invalid JSON at column {error.colno}"}
    if not isinstance(item, dict):
        return {"error": "expected a JSON object"}
    message, lang = item.get("text"), item.get("lang")
    if not isinstance(message, str):
        return {"error": '"text" must be a string'}
    if lang is not None and not isinstance(lang, str):
        return {"error": '"lang" must be a string or missing'}
    assessment = scan_message(message, lang, explain=explain)
    result: dict[str, object] = {
        "level": assessment.level.value,
        "categories": [category.value for category in assessment.categories],
    }
    if explain:
        result["rules"] = list(assessment.rules)
    return result


def scan_stream(source: IO[bytes], sink: IO[bytes], *, explain: bool = False) -> int:
    """Write one JSON line per input line; returns how many lines were read."""
    count = 0
    for line in source:
        sink.write(json.dumps(_verdict(line, explain), ensure_ascii=False).encode("utf-8") + b"\n")
        sink.flush()
        count += 1
    return count


def _scan(arguments: argparse.Namespace) -> int:
    try:
        load_lexicon()
    except LexiconError as error:
        print(f"yoldosh: safety lexicon: {error}", file=sys.stderr)
        return 1
    scan_stream(sys.stdin.buffer, sys.stdout.buffer, explain=arguments.explain)
    return 0


def _check(_arguments: argparse.Namespace) -> int:
    try:
        lexicon = load_lexicon()
        patterns = lexicon.compile_all()
    except LexiconError as error:
        print(f"yoldosh: safety lexicon: {error}", file=sys.stderr)
        return 1
    print(
        f"safety lexicons OK: {len(lexicon.entries)} entries in {len(lexicon.files)} files "
        f"({', '.join(lexicon.files)}), {patterns} compiled patterns"
    )
    return 0


def register(commands: Any) -> None:
    """Add `safety scan` and `safety check`."""
    safety = commands.add_parser("safety", help="the safety net", description="The deterministic safety net.")
    actions = safety.add_subparsers(dest="safety_command", required=True, metavar="ACTION")
    scan = actions.add_parser(
        "scan",
        help="scan JSON lines from stdin",
        description=(
            'Read JSON lines {"text": ..., "lang": ...} ("lang" optional) from stdin; write one JSON line per '
            'input with "level" (urgent, sensitive, none) and "categories", or "error" for a bad line.'
        ),
    )
    scan.add_argument("--explain", action="store_true", help='add "rules": the lexicon lines that fired')
    scan.set_defaults(handler=_scan)
    check = actions.add_parser(
        "check", help="compile every lexicon", description="Compile every safety lexicon; exit 1 on a problem."
    )
    check.set_defaults(handler=_check)
