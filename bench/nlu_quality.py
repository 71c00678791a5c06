"""NLU benchmark (runs in .venv-rasa): per-locale intent macro-F1 and crisis recall on held-out data,
against a char n-gram TF-IDF + logistic regression baseline trained on the same training data.

Usage: .venv-rasa/bin/python bench/nlu_quality.py MODEL.tar.gz [--json OUT.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, recall_score

NLU_DIR = Path(__file__).resolve().parent.parent / "nlu"
LOCALES = ("en", "ru", "uz", "uz_Cyrl", "kk", "ky", "tg")


def _examples(paths: list[Path]) -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    pairs: list[tuple[str, str]] = []
    for path in paths:
        data = RasaYAMLReader().read(str(path))
        pairs.extend((example.get("text"), example.get("intent")) for example in data.intent_examples)
    return pairs


def _scores(gold: list[str], predicted: list[str]) -> dict[str, float]:
    labels = sorted(set(gold))
    crisis = [1 if g == "crisis" else 0 for g in gold]
    crisis_hits = [1 if p == "crisis" else 0 for p in predicted]
    return {
        "macro_f1": float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)),
        "crisis_recall": float(recall_score(crisis, crisis_hits, zero_division=0)) if any(crisis) else 1.0,
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold),
        "n": len(gold),
    }


async def _predict(model: Path, texts: list[str]) -> list[str]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    predicted = []
    for text in texts:
        parsed = await agent.parse_message(text)
        predicted.append(parsed["intent"]["name"])
    return predicted


def evaluate(model: Path) -> dict[str, dict[str, dict[str, float]]]:
    """Scores of the model and of the baseline, per locale."""
    train = _examples(sorted((NLU_DIR / "data" / "nlu").glob("*/*.yml")))
    baseline = LogisticRegression(max_iter=2000, C=10.0)
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True, sublinear_tf=True)
    baseline.fit(vectorizer.fit_transform([t for t, _ in train]), [i for _, i in train])
    results: dict[str, dict[str, dict[str, float]]] = {}
    for locale in LOCALES:
        heldout = _examples([NLU_DIR / "tests" / "heldout" / f"{locale}.yml"])
        texts, gold = [t for t, _ in heldout], [i for _, i in heldout]
        diet = asyncio.run(_predict(model, texts))
        simple = list(baseline.predict(vectorizer.transform(texts)))
        results[locale] = {"diet": _scores(gold, diet), "baseline": _scores(gold, simple)}
    return results


def main() -> int:
    """Print the per-locale table; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path)
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    logging.disable(logging.WARNING)
    results = evaluate(arguments.model)
    print(f"{'locale':8} {'n':>4} {'DIET F1':>8} {'crisis R':>9} {'baseline F1':>12} {'base crisis R':>14}")
    for locale, scores in results.items():
        diet, base = scores["diet"], scores["baseline"]
        print(
            f"{locale:8} {diet['n']:>4} {diet['macro_f1']:>8.3f} {diet['crisis_recall']:>9.3f}"
            f" {base['macro_f1']:>12.3f} {base['crisis_recall']:>14.3f}"
        )
    if arguments.json:
        arguments.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
