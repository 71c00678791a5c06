"""Training data contract: every intent in every locale with enough examples, no conflicting labels, held-out
data kept apart from training data (compared on folded text, as the model sees it)."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
import yaml

from services.i18n.folding import fold
from services.i18n.locales import SUPPORTED_LOCALES
from services.paths import NLU_DIR

CONTRACT_INTENTS = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "help",
    "change_language",
    "ask_education",
    "ask_medical",
    "ask_psychosocial",
    "ask_social_benefits",
    "ask_housing",
    "ask_employment",
    "ask_legal_documents",
    "ask_repatriation",
    "book_appointment",
    "my_appointments",
    "cancel_appointment",
    "request_counselor",
    "crisis",
    "ask_privacy",
    "out_of_scope",
}
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]+\)|\{[^}]+\})")


def _examples(paths: list[Path]) -> list[tuple[str, str]]:
    pairs = []
    for path in paths:
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block.get("examples", "").splitlines():
                if line.strip().startswith("- "):
                    pairs.append((block["intent"], ANNOTATION.sub(r"\1", line.strip()[2:])))
    return pairs


@cache
def _training(locale: str) -> tuple[tuple[str, str], ...]:
    return tuple(_examples(sorted((NLU_DIR / "data" / "nlu" / locale).glob("*.yml"))))


def test_the_domain_declares_every_contract_intent() -> None:
    domain = yaml.safe_load((NLU_DIR / "domain" / "intents.yml").read_text(encoding="utf-8"))
    assert set(domain["intents"]) >= CONTRACT_INTENTS


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_intent_has_at_least_30_training_examples(locale: str) -> None:
    counts: dict[str, int] = defaultdict(int)
    for intent, _text in _training(locale):
        counts[intent] += 1
    assert {intent: counts[intent] for intent in CONTRACT_INTENTS if counts[intent] < 30} == {}


def test_no_text_is_labelled_with_two_intents() -> None:
    labels: dict[str, set[str]] = defaultdict(set)
    for locale in SUPPORTED_LOCALES:
        for intent, text in _training(locale):
            labels[fold(text)].add(intent)
    assert {text: sorted(intents) for text, intents in labels.items() if len(intents) > 1} == {}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_held_out_examples_are_not_in_training(locale: str) -> None:
    training = {fold(text) for other in SUPPORTED_LOCALES for _intent, text in _training(other)}
    heldout = _examples([NLU_DIR / "tests" / "heldout" / f"{locale}.yml"])
    assert len({intent for intent, _ in heldout}) >= len(CONTRACT_INTENTS)
    assert sorted(text for _intent, text in heldout if fold(text) in training) == []
