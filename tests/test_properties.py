"""Property-based tests (hypothesis) of the pure functions hostile input reaches first: Telegram message splitting,
the safety net, callback data, and script folding. Example counts are modest so the suite stays fast."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.dialogue import callbacks as cb
from bot.telegram.rendering import MAX_MESSAGE_LENGTH, split_text, utf16_length
from services.i18n.folding import fold, fold_with_offsets
from services.safety.scanner import scan_message
from services.safety.types import SafetyAssessment

# Text as people (and attackers) type it: any character Telegram can carry (no lone surrogates), with the
# troublemakers over-represented: astral emoji, joiners, bidi controls, C0/C1 controls, Cyrillic and newlines.
TROUBLE = "\n\n \t\u00a0\u200b\u200d\u202e\u2066\u2028\ufeff\x00\x07\x1b\x85😀👨‍👩‍👧🇺🇿ўқғҳӯӣҷəİıßﬁ'‘ʻ<>&"
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)))
trouble_text = st.text(alphabet=st.sampled_from(TROUBLE) | st.characters(exclude_categories=("Cs",)))
texts = any_text | trouble_text


def _visible(text: str) -> str:
    return "".join(char for char in text if not char.isspace())


# --- rendering.split_text --------------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(text=texts, limit=st.integers(min_value=2, max_value=40))
@example(text="\n\n" + "x" * 50, limit=10)
@example(text=" \n" + "y" * 50, limit=10)
@example(text=" " * 50, limit=10)
@example(text="😀" * 30, limit=3)
def test_split_text_keeps_every_piece_within_the_limit_and_loses_nothing(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(utf16_length(piece) <= limit for piece in pieces)
    assert _visible("".join(pieces)) == _visible(text), "nothing lost, nothing added, order kept"
    if text.strip():
        assert all(piece.strip() for piece in pieces), "Telegram refuses an empty or blank message"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    head=st.text(alphabet="ab 😀\n", max_size=20),
    length=st.integers(min_value=MAX_MESSAGE_LENGTH - 3, max_value=MAX_MESSAGE_LENGTH + 3),
    filler=st.sampled_from(["a", "😀", "я", "a b ", "😀\n", "\u202e"]),
)
def test_split_text_at_the_4096_boundary(head: str, length: int, filler: str) -> None:
    text = head + filler * (length // len(filler))
    pieces = split_text(text)
    assert all(utf16_length(piece) <= MAX_MESSAGE_LENGTH for piece in pieces)
    assert _visible("".join(pieces)) == _visible(text)
    if utf16_length(text) <= MAX_MESSAGE_LENGTH:
        assert pieces == [text], "what fits is sent as it is"
    elif utf16_length(text.strip()) > MAX_MESSAGE_LENGTH:  # blank space at the ends is dropped, as Telegram does
        assert len(pieces) >= 2


@pytest.mark.parametrize(
    ("text", "count"),
    [("a" * 4096, 1), ("a" * 4097, 2), ("😀" * 2048, 1), ("😀" * 2048 + "a", 2), ("a" + "😀" * 2048, 2)],
)
def test_exactly_4096_utf16_units_is_one_message_and_4097_is_two(text: str, count: int) -> None:
    assert len(split_text(text)) == count


# --- the safety net ----------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(text=texts, lang=st.none() | st.sampled_from(["en", "ru", "uz", "uz_Cyrl", "kk", "ky", "tg", "xx", ""]))
@example(text="", lang=None)
@example(text="\x00" * 10, lang="uz")
@example(text="\u0307" * 500, lang=None)
def test_the_safety_net_reads_any_text_without_raising(text: str, lang: str | None) -> None:
    assessment = scan_message(text, lang)
    assert isinstance(assessment, SafetyAssessment)
    assert scan_message(text, lang, explain=True).level == assessment.level


# --- callback data -------------------------------------------------------------------------------------------------
part = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="|"), max_size=12)


@settings(max_examples=200)
@given(action=part, args=st.lists(part | st.integers(), max_size=5))
def test_callback_data_round_trips(action: str, args: list[str | int]) -> None:
    parsed = cb.parse(cb.make(action, *args))
    assert parsed == cb.Callback(action=action, args=tuple(str(arg) for arg in args))


@settings(max_examples=200)
@given(data=any_text)
def test_any_callback_data_parses_and_makes_back_the_same(data: str) -> None:
    parsed = cb.parse(data)
    assert cb.make(parsed.action, *parsed.args) == data


# --- folding -----------------------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(text=texts)
@example(text="ß" * 3 + "İ" * 3)  # casefold lengthens these
@example(text="\u0307\u0307kh  zh\u200b")
def test_folding_never_raises_and_its_offsets_stay_consistent(text: str) -> None:
    folded, offsets = fold_with_offsets(text)
    assert fold(text) == folded
    assert len(offsets) == len(text) + 1
    assert offsets[0] == 0 and offsets[-1] == len(folded)
    assert all(earlier <= later for earlier, later in itertools.pairwise(offsets))
    assert folded == folded.strip() and "  " not in folded
