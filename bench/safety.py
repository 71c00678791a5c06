"""Safety-net benchmark: recall and false alarms per locale on the labelled corpus, the blind development set
and the held-out set, and how fast a message is scanned.

The blind set (tests/fixtures/safety/blind/<locale>.jsonl) was written without looking at the lexicons and
then used to widen them family by family (a development set, not an estimate any more). So was, later, the
first held-out set (tests/fixtures/safety/heldout.jsonl): its misses were printed by every run and its families
widened. The second held-out set (tests/fixtures/safety/heldout2.jsonl) was written before that round and gave
the last honest estimate (urgent 0.948, sensitive 0.982); its misses were then fixed, so it is a development set
too, and the next round needs a third held-out set.
Usage: python -m bench.safety [--json OUT.json] [--misses] [--heldout2-misses]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from services.i18n.locales import SUPPORTED_LOCALES
from services.paths import PROJECT_ROOT
from services.safety.loader import compile_lexicon
from services.safety.scanner import scan_message
from services.safety.types import SafetyCategory, SafetyLevel

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "safety"


def _read(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def score(rows: list[dict[str, str]]) -> dict[str, Any]:
    """Urgent recall, sensitive recall (flagged at all), exact sensitive level, false urgent and false alarms."""
    counts: dict[str, int] = defaultdict(int)
    misses: list[str] = []
    for row in rows:
        assessment = scan_message(row["text"], row.get("locale") or row.get("lang"))
        level, expected = assessment.level, SafetyLevel(row["level"])
        counts[expected.value] += 1
        if expected is SafetyLevel.URGENT:
            counts["urgent_hit"] += level is SafetyLevel.URGENT
        elif expected is SafetyLevel.SENSITIVE:
            counts["sensitive_hit"] += level is not SafetyLevel.NONE
            counts["sensitive_exact"] += level is SafetyLevel.SENSITIVE
        else:
            counts["false_urgent"] += level is SafetyLevel.URGENT
            counts["false_alarm"] += level is not SafetyLevel.NONE
        if expected is not SafetyLevel.NONE:
            counts["category_hit"] += SafetyCategory(row["category"]) in assessment.categories
        wrong = (expected is SafetyLevel.URGENT and level is not SafetyLevel.URGENT) or (
            expected is not SafetyLevel.URGENT and (level is SafetyLevel.NONE) != (expected is SafetyLevel.NONE)
        )
        if wrong:
            misses.append(f"{expected.value} -> {level.value}: {row['text']}")
    return {
        "n": len(rows),
        "urgent_recall": _ratio(counts["urgent_hit"], counts["urgent"]),
        "sensitive_recall": _ratio(counts["sensitive_hit"], counts["sensitive"]),
        "sensitive_exact": _ratio(counts["sensitive_exact"], counts["sensitive"]),
        "false_urgent_rate": _ratio(counts["false_urgent"], counts["none"]),
        "false_alarm_rate": _ratio(counts["false_alarm"], counts["none"]),
        "category_agreement": _ratio(counts["category_hit"], counts["urgent"] + counts["sensitive"]),
        "counts": {level.value: counts[level.value] for level in SafetyLevel},
        "misses": misses,
    }


def nlu_examples(locale: str) -> tuple[list[str], list[str]]:
    """(crisis examples, examples of every other intent) from the NLU training data of one locale: a second,
    independent check written by the NLU's authors (crisis should be urgent; the rest mostly none)."""
    crisis: list[str] = []
    other: list[str] = []
    for path in sorted((PROJECT_ROOT / "nlu" / "data" / "nlu" / locale).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu", []):
            if "intent" not in item:
                continue
            examples = [line.strip()[2:] for line in str(item.get("examples", "")).splitlines()]
            examples = [
                re.sub(r"\[([^\]]*)\]\{[^}]*\}|\[([^\]]*)\]\([^)]*\)", r"\1\2", text) for text in examples if text
            ]
            (crisis if item["intent"] == "crisis" else other).extend(examples)
    return crisis, other


def score_nlu(locale: str) -> dict[str, Any]:
    """Urgent recall on the crisis intent, urgent and flagged rates on the other intents."""
    crisis, other = nlu_examples(locale)
    levels = [scan_message(text, locale).level for text in other]
    return {
        "crisis_n": len(crisis),
        "crisis_urgent_recall": _ratio(sum(scan_message(text, locale).is_urgent for text in crisis), len(crisis)),
        "other_n": len(other),
        "other_urgent_rate": _ratio(sum(level is SafetyLevel.URGENT for level in levels), len(other)),
        "other_flagged_rate": _ratio(sum(level is not SafetyLevel.NONE for level in levels), len(other)),
    }


def speed(texts: list[str], rounds: int = 5) -> dict[str, float]:
    """Lexicon load and full compile time, then scans per second and per-message latency over `texts`."""
    started = time.perf_counter()
    lexicon = compile_lexicon(PROJECT_ROOT / "services" / "safety" / "lexicon")
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    lexicon.compile_all()
    compile_s = time.perf_counter() - started
    for text in texts:  # warm the process-wide lexicon the scanner uses
        scan_message(text)
    samples = []
    for _ in range(rounds):
        for text in texts:
            begin = time.perf_counter()
            scan_message(text)
            samples.append(time.perf_counter() - begin)
    ordered = sorted(samples)
    return {
        "lexicon_load_s": round(load_s, 2),
        "compile_all_s": round(compile_s, 2),
        "scans_per_s": round(len(samples) / sum(samples)),
        "mean_us": round(statistics.fmean(samples) * 1e6, 1),
        "p50_us": round(ordered[len(ordered) // 2] * 1e6, 1),
        "p95_us": round(ordered[int(0.95 * (len(ordered) - 1))] * 1e6, 1),
        "max_us": round(ordered[-1] * 1e6, 1),
        "mean_chars": round(statistics.fmean(len(text) for text in texts), 1),
    }


def run() -> dict[str, Any]:
    """Every number of the benchmark, by set and locale."""
    corpus = {locale: _read(FIXTURES / f"{locale}.jsonl") for locale in SUPPORTED_LOCALES}
    heldout_rows = _read(FIXTURES / "heldout.jsonl")
    heldout = {locale: [row for row in heldout_rows if row["locale"] == locale] for locale in SUPPORTED_LOCALES}
    heldout2_rows = _read(FIXTURES / "heldout2.jsonl")
    heldout2 = {locale: [row for row in heldout2_rows if row["locale"] == locale] for locale in SUPPORTED_LOCALES}
    blind = {locale: _read(FIXTURES / "blind" / f"{locale}.jsonl") for locale in SUPPORTED_LOCALES}
    dev2 = {locale: _read(FIXTURES / "dev2" / f"{locale}.jsonl") for locale in SUPPORTED_LOCALES}
    dev3 = {locale: _read(FIXTURES / "dev3" / f"{locale}.jsonl") for locale in SUPPORTED_LOCALES}
    texts = [row["text"] for rows in corpus.values() for row in rows] + [row["text"] for row in heldout_rows]
    texts += [row["text"] for rows in blind.values() for row in rows]
    return {
        "corpus": {locale: score(rows) for locale, rows in corpus.items()},
        "corpus_all": score([row for rows in corpus.values() for row in rows]),
        "blind": {locale: score(rows) for locale, rows in blind.items()},
        "blind_all": score([row for rows in blind.values() for row in rows]),
        "dev2": {locale: score(rows) for locale, rows in dev2.items()},
        "dev2_all": score([row for rows in dev2.values() for row in rows]),
        "dev3": {locale: score(rows) for locale, rows in dev3.items()},
        "dev3_all": score([row for rows in dev3.values() for row in rows]),
        "heldout": {locale: score(rows) for locale, rows in heldout.items()},
        "heldout_all": score(heldout_rows),
        "heldout2": {locale: score(rows) for locale, rows in heldout2.items()},
        "heldout2_all": score(heldout2_rows),
        "nlu": {locale: score_nlu(locale) for locale in SUPPORTED_LOCALES},
        "speed": speed(texts),
    }


def _print_table(title: str, per_locale: dict[str, dict[str, Any]], total: dict[str, Any]) -> None:
    print(f"\n{title}")
    header = f"{'locale':8} {'n':>4} {'urgent rec':>10} {'sens rec':>8} {'sens exact':>10} {'false urg':>9}"
    print(header + f" {'false alarm':>11} {'category':>8}")
    for name, row in [*per_locale.items(), ("all", total)]:
        cells = [row[key] for key in ("urgent_recall", "sensitive_recall", "sensitive_exact", "false_urgent_rate")]
        text = " ".join(
            f"{'-' if cell is None else cell:>{width}}" for cell, width in zip(cells, (10, 8, 10, 9), strict=True)
        )
        alarm, category = row["false_alarm_rate"], row["category_agreement"]
        print(f"{name:8} {row['n']:>4} {text} {'-' if alarm is None else alarm:>11} {category:>8}")


def main() -> None:
    """Print the tables (and write JSON with --json)."""
    parser = argparse.ArgumentParser(prog="python -m bench.safety", description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--misses", action="store_true", help="also list the development sets' misses")
    parser.add_argument("--heldout2-misses", action="store_true", help="also list the held-out-2 misses")
    arguments = parser.parse_args()
    results = run()
    _print_table("corpus (tests/fixtures/safety/<locale>.jsonl; the lexicons were tuned on it)", results["corpus"],
                 results["corpus_all"])  # fmt: skip
    _print_table("blind (tests/fixtures/safety/blind/<locale>.jsonl; written blind, then the development set)",
                 results["blind"], results["blind_all"])  # fmt: skip
    _print_table("dev2 (tests/fixtures/safety/dev2/<locale>.jsonl; the second development set)", results["dev2"],
                 results["dev2_all"])  # fmt: skip
    _print_table("dev3 (tests/fixtures/safety/dev3/<locale>.jsonl; the third development set)", results["dev3"],
                 results["dev3_all"])  # fmt: skip
    _print_table("held-out 1 (tests/fixtures/safety/heldout.jsonl; written after the lexicons, now a development set)",
                 results["heldout"], results["heldout_all"])  # fmt: skip
    _print_table("held-out 2 (tests/fixtures/safety/heldout2.jsonl; read and tuned on since: a development set now)",
                 results["heldout2"], results["heldout2_all"])  # fmt: skip
    print("\nNLU training examples (nlu/data/nlu/<locale>; crisis should be urgent, the other intents mostly none)")
    print(f"{'locale':8} {'crisis':>6} {'urgent rec':>10} {'other':>6} {'urgent':>7} {'flagged':>8}")
    for locale, row in results["nlu"].items():
        print(
            f"{locale:8} {row['crisis_n']:>6} {row['crisis_urgent_recall']:>10} {row['other_n']:>6}"
            f" {row['other_urgent_rate']:>7} {row['other_flagged_rate']:>8}"
        )
    sets = ("corpus_all", "blind_all", "dev2_all", "dev3_all", "heldout_all") if arguments.misses else ("heldout_all",)
    if arguments.heldout2_misses:  # only to read the final estimate: tuning on them would spoil the set
        sets += ("heldout2_all",)
    for name in sets:
        misses = results[name]["misses"]
        print(f"\n{name.removesuffix('_all')} misses ({len(misses)}):" + "".join(f"\n  {miss}" for miss in misses))
    print("\nspeed: " + ", ".join(f"{key} {value}" for key, value in results["speed"].items()))
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
