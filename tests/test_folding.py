"""Folding: every script and spelling of one word meets in one skeleton; spans map back correctly."""

from __future__ import annotations

import pytest

from services.i18n.folding import fold, fold_with_offsets


@pytest.mark.parametrize(
    "variants",
    [
        ["o‘qishga", "o'qishga", "oʻqishga", "o`qishga", "oqishga", "ўқишга", "ЎҚИШГА"],
        ["psixolog", "psiholog", "психолог", "ПСИХОЛОГ"],
        ["mne nuzhen vrach", "мне нужен врач", "Мне   нужен  врач"],
        ["xona", "hona", "хона", "ҳона"],
        ["қазақ", "казак", "qazaq", "kazak"],
        ["өмір", "омир"],
        ["ҷавоб", "чавоб"],
        ["кӯмак", "кумак"],
        ["kerakkk", "kerak", "KERAK"],
    ],
)
def test_spellings_fold_together(variants: list[str]) -> None:
    assert len({fold(variant) for variant in variants}) == 1, {variant: fold(variant) for variant in variants}


def test_doubles_that_belong_to_the_word_stay() -> None:
    assert fold("tayyor") == "tayyor" and fold("Ассалому") == "assalomu"


def test_emoji_become_their_own_tokens_and_controls_disappear() -> None:
    assert fold("врач🙏") == "vrach 🙏"
    assert fold("a\u200bb\u202ec\td") == "abc d"


@pytest.mark.parametrize(
    ("text", "start", "end", "expected"),
    [
        ("Men Andijonda yashayman", 4, 13, "andijonda"),
        ("в Андижане нужна школа", 2, 10, "andijane"),
        ("Qo‘qonda ish bormi", 0, 8, "kokonda"),
        ("ertaga психологга", 7, 17, "psihologga"),
    ],
)
def test_entity_spans_move_onto_the_folded_text(text: str, start: int, end: int, expected: str) -> None:
    folded, offsets = fold_with_offsets(text)
    assert folded[offsets[start] : offsets[end]] == expected
    assert len(offsets) == len(text) + 1 and offsets == sorted(offsets)


def test_empty_and_blank_text() -> None:
    assert fold_with_offsets("") == ("", [0])
    assert fold("   ") == ""
