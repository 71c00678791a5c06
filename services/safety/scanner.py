"""The safety net (services layer): one deterministic scan of a message against every language's lexicon.

Runs before the NLU model on every incoming message, so it must not depend on Rasa, a database or knowing
the language. It never logs or stores the text it reads.
"""

from __future__ import annotations

import re

from services.i18n.folding import fold
from services.safety.loader import CompiledLexicon, load_lexicon
from services.safety.patterns import skeleton
from services.safety.types import SafetyAssessment, SafetyCategory

# What a `recent` entry ("he hit me", "избил", "meni urdi") means when the message places it in the past
# ("in the camp", "years ago", "раньше", "lagerda") and says nothing about now ("today", "again", "щас").
PAST_READING: dict[SafetyCategory, SafetyCategory] = {
    SafetyCategory.VIOLENCE: SafetyCategory.PAST_ABUSE,
    SafetyCategory.CONFINEMENT: SafetyCategory.PAST_ABUSE,
    SafetyCategory.SUICIDE: SafetyCategory.TRAUMA,
    SafetyCategory.SELF_HARM: SafetyCategory.TRAUMA,
    SafetyCategory.THREAT_TO_LIFE: SafetyCategory.TRAUMA,
    SafetyCategory.MEDICAL_EMERGENCY: SafetyCategory.TRAUMA,
    SafetyCategory.CHILD_DANGER: SafetyCategory.TRAUMA,
}
_IDIOM_GAP = " \u2022 "
_LEADING_PUNCTUATION = re.compile(
    r"^[\s!-/:-@\[-`{-~\u2022\u00a1\u00bf\u00ab\u00bb\u201c\u201d\u201e\u2026\u2013\u2014]+"
)


def prepare_text(text: str, lexicon: CompiledLexicon | None = None) -> str:
    """The text the lexicon reads: folded, reduced to the matching skeleton, harmless idioms cut out."""
    prepared = _LEADING_PUNCTUATION.sub("", skeleton(fold(text)))
    lexicon = lexicon or load_lexicon()
    spans = list(lexicon.idioms.spans(prepared))
    held = lexicon.idiom_parts({bucket for bucket, _start, _end in spans}) | {"idiom"}
    cut: list[tuple[int, int]] = []
    for bucket, start, end in spans:
        if bucket not in held:
            continue
        if cut and start < cut[-1][1]:
            cut[-1] = (cut[-1][0], max(end, cut[-1][1]))
        else:
            cut.append((start, end))
    if not cut:
        return prepared
    pieces, position = [], 0
    for start, end in cut:
        pieces.append(prepared[position:start])
        position = end
    pieces.append(prepared[position:])
    return _IDIOM_GAP.join(pieces)  # kept in front: after a cut idiom the rest is not a whole message ("^ help $")


def scan_message(text: str, lang: str | None = None, *, explain: bool = False) -> SafetyAssessment:
    """Assess one message: urgent, sensitive or none, with categories.

    Every language's lexicon is applied whatever `lang` says (people switch languages in crisis, and language
    identification is unreliable for Uzbek Cyrillic); `lang` is accepted as the user's locale and does not
    change the verdict. With `explain`, the assessment lists the lexicon rules ("uz.yml:57") that fired.
    """
    del lang  # a hint only; every lexicon runs on every message
    lexicon = load_lexicon()
    prepared = prepare_text(text, lexicon)
    buckets = {bucket for bucket, _start, _end in lexicon.matchers.spans(prepared)}
    buckets |= lexicon.joined(buckets)  # `a & b` entries whose phrases all matched
    found = {SafetyCategory(bucket) for bucket in buckets if bucket in _CATEGORY_NAMES}
    recent = [SafetyCategory(bucket.removeprefix("recent_")) for bucket in buckets if bucket.startswith("recent_")]
    in_the_past = bool(recent) and "past_marker" in buckets and "now_marker" not in buckets
    found.update(PAST_READING[category] if in_the_past else category for category in recent)
    rules: list[str] = []
    if explain:
        fired = {bucket for bucket in buckets - {"now_marker", "past_marker"} if not bucket.startswith("part_")}
        fired |= {"past_marker"} if in_the_past else set()
        for bucket in sorted(fired):
            rules.extend(lexicon.rules_for(bucket, prepared))
    return SafetyAssessment.from_categories(found, rules)


_CATEGORY_NAMES = frozenset(category.value for category in SafetyCategory)
