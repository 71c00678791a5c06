"""The safety net: recall and false alarms per locale on the labelled corpus, every lexicon on every message,
folding across scripts, idioms, emoji, the phrase language, and the `yoldosh safety scan` contract."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from collections import Counter
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from services.i18n.locales import SUPPORTED_LOCALES
from services.paths import PROJECT_ROOT
from services.safety import SafetyAssessment, SafetyCategory, SafetyLevel, scan_message
from services.safety.loader import LexiconError, compile_lexicon, load_lexicon
from services.safety.patterns import PREPARE, PatternError, compile_phrase, prefixes, word_keys
from services.safety.scanner import prepare_text

FIXTURES = Path(__file__).parent / "fixtures" / "safety"
LEVELS = {level.value for level in SafetyLevel}


def _corpus(locale: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (FIXTURES / f"{locale}.jsonl").read_text(encoding="utf-8").splitlines()]


def _heldout() -> list[dict[str, str]]:
    return [json.loads(line) for line in (FIXTURES / "heldout.jsonl").read_text(encoding="utf-8").splitlines()]


def _blind(locale: str) -> list[dict[str, str]]:
    path = FIXTURES / "blind" / f"{locale}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _misses(rows: list[dict[str, str]], locale: str, wanted: set[str]) -> list[str]:
    return [row["text"] for row in rows if scan_message(row["text"], locale).level.value not in wanted]


# --- the labelled corpus ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_corpus_is_labelled_and_large_enough(locale: str) -> None:
    rows = _corpus(locale)
    counts = Counter(row["level"] for row in rows)
    assert counts["urgent"] >= 30 and counts["sensitive"] >= 25 and counts["none"] >= 40, counts
    assert {row["level"] for row in rows} <= LEVELS
    for row in rows:
        if row["level"] == "none":
            assert "category" not in row, row
        else:
            assert SafetyCategory(row["category"]).level.value == row["level"], row
    assert len({row["text"] for row in rows}) == len(rows), "duplicate texts"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_urgent_message_is_urgent(locale: str) -> None:
    rows = [row for row in _corpus(locale) if row["level"] == "urgent"]
    assert _misses(rows, locale, {"urgent"}) == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_sensitive_recall_is_at_least_ninety_percent(locale: str) -> None:
    rows = [row for row in _corpus(locale) if row["level"] == "sensitive"]
    missed = _misses(rows, locale, {"sensitive", "urgent"})
    assert 1 - len(missed) / len(rows) >= 0.9, missed


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_no_harmless_message_is_urgent_and_few_are_flagged(locale: str) -> None:
    rows = [row for row in _corpus(locale) if row["level"] == "none"]
    assert _misses(rows, locale, {"none", "sensitive"}) == [], "false urgent"
    flagged = _misses(rows, locale, {"none"})
    assert len(flagged) / len(rows) <= 0.05, flagged


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_labelled_category_is_found_for_most_messages(locale: str) -> None:
    rows = [row for row in _corpus(locale) if row["level"] != "none"]
    agree = [SafetyCategory(row["category"]) in scan_message(row["text"]).categories for row in rows]
    assert sum(agree) / len(agree) >= 0.8


def test_heldout_set_is_labelled_apart_from_the_corpus() -> None:
    rows = _heldout()
    corpus = {row["text"] for locale in SUPPORTED_LOCALES for row in _corpus(locale)}
    assert not {row["text"] for row in rows} & corpus
    counts = Counter(row["locale"] for row in rows)
    assert set(counts) == set(SUPPORTED_LOCALES) and min(counts.values()) >= 12, counts
    for row in rows:
        assert row["level"] in LEVELS and (row["level"] == "none") == ("category" not in row), row


# --- the blind set: written without the lexicons (urgent recall .62-.85), then the development set -------------
# Its misses were studied family by family (all inflections of a verb, subject and harm within a window, a plea
# with a danger cue, medical signs, sensitive follow-ups) rather than sentence by sentence. The thresholds are
# what the lexicons reach on it; the held-out set stays the honest estimate for phrases never seen.
BLIND_URGENT_RECALL = 1.0
BLIND_SENSITIVE_RECALL = 0.95
BLIND_FALSE_ALARMS = 0.025  # at most one harmless line in forty flagged at all, and none urgent


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_blind_set_is_labelled_and_apart_from_the_corpus(locale: str) -> None:
    rows = _blind(locale)
    counts = Counter(row["level"] for row in rows)
    assert counts == {"urgent": 40, "sensitive": 30, "none": 40}, counts
    for row in rows:
        assert row["lang"] == locale and row["level"] in LEVELS, row
        if row["level"] != "none":
            assert SafetyCategory(row["category"]).level.value == row["level"], row
    texts = {row["text"] for row in rows}
    assert len(texts) == len(rows), "duplicate texts"
    assert not texts & {row["text"] for row in _heldout()}
    shared = [row for row in rows if row["text"] in {row["text"] for row in _corpus(locale)}]
    assert all(row["level"] == "none" for row in shared), shared  # only greetings such as "здравствуйте"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_blind_development_set_meets_its_thresholds(locale: str) -> None:
    rows = _blind(locale)
    urgent = [row for row in rows if row["level"] == "urgent"]
    sensitive = [row for row in rows if row["level"] == "sensitive"]
    harmless = [row for row in rows if row["level"] == "none"]
    missed_urgent = _misses(urgent, locale, {"urgent"})
    assert 1 - len(missed_urgent) / len(urgent) >= BLIND_URGENT_RECALL, missed_urgent
    missed_sensitive = _misses(sensitive, locale, {"sensitive", "urgent"})
    assert 1 - len(missed_sensitive) / len(sensitive) >= BLIND_SENSITIVE_RECALL, missed_sensitive
    assert _misses(harmless, locale, {"none", "sensitive"}) == [], "false urgent"
    flagged = _misses(harmless, locale, {"none"})
    assert len(flagged) / len(harmless) <= BLIND_FALSE_ALARMS, flagged


# --- the second development set: phone-typed messages in four rounds, each measured before the lexicons were
# widened for it (sensitive recall .27-.81 on each fresh round before); the thresholds are what they now reach.
DEV_URGENT_RECALL = 1.0
DEV_SENSITIVE_RECALL = 0.97
DEV_FALSE_ALARMS = 0.02


def _dev(locale: str) -> list[dict[str, str]]:
    path = FIXTURES / "dev2" / f"{locale}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_dev_set_is_labelled_and_apart_from_the_other_sets(locale: str) -> None:
    rows = _dev(locale)
    counts = Counter(row["level"] for row in rows)
    assert counts["urgent"] >= 40 and counts["sensitive"] >= 100 and counts["none"] >= 100, counts
    for row in rows:
        assert row["level"] in LEVELS and (row["level"] == "none") == ("category" not in row), row
        if row["level"] != "none":
            assert SafetyCategory(row["category"]).level.value == row["level"], row
    texts = [row["text"] for row in rows]
    assert len(set(texts)) == len(texts), "duplicate texts"
    assert not set(texts) & {row["text"] for row in _heldout()}
    others = {row["text"]: row["level"] for row in _corpus(locale) + _blind(locale)}
    assert all(others[row["text"]] == "none" for row in rows if row["text"] in others)  # greetings only


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_dev_set_meets_its_thresholds(locale: str) -> None:
    rows = _dev(locale)
    urgent = [row for row in rows if row["level"] == "urgent"]
    sensitive = [row for row in rows if row["level"] == "sensitive"]
    harmless = [row for row in rows if row["level"] == "none"]
    missed_urgent = _misses(urgent, locale, {"urgent"})
    assert 1 - len(missed_urgent) / len(urgent) >= DEV_URGENT_RECALL, missed_urgent
    missed_sensitive = _misses(sensitive, locale, {"sensitive", "urgent"})
    assert 1 - len(missed_sensitive) / len(sensitive) >= DEV_SENSITIVE_RECALL, missed_sensitive
    assert _misses(harmless, locale, {"none", "sensitive"}) == [], "false urgent"
    flagged = _misses(harmless, locale, {"none"})
    assert len(flagged) / len(harmless) <= DEV_FALSE_ALARMS, flagged


# --- the third development set and the first held-out set: the held-out set's misses were printed by every
# bench run, so it became a development set; the third set (dev3/) was written for the families it and the
# brief named (summons and detained relatives, gossip and stigma, recruiters writing, camp abuse, touching,
# rent paid "another way", carving into skin, goodbye letters, falls with vomiting) with harmless look-alikes.
DEV3_URGENT_RECALL = 1.0
DEV3_SENSITIVE_RECALL = 0.95
DEV3_FALSE_ALARMS = 0.05


def _dev3(locale: str) -> list[dict[str, str]]:
    path = FIXTURES / "dev3" / f"{locale}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _heldout2() -> list[dict[str, str]]:
    path = FIXTURES / "heldout2.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_third_dev_set_meets_its_thresholds(locale: str) -> None:
    rows = _dev3(locale)
    for row in rows:
        assert row["level"] in LEVELS and (row["level"] == "none") == ("category" not in row), row
    assert not {row["text"] for row in rows} & {row["text"] for row in _heldout() + _heldout2()}
    urgent = [row for row in rows if row["level"] == "urgent"]
    sensitive = [row for row in rows if row["level"] == "sensitive"]
    harmless = [row for row in rows if row["level"] == "none"]
    missed_urgent = _misses(urgent, locale, {"urgent"})
    assert 1 - len(missed_urgent) / len(urgent) >= DEV3_URGENT_RECALL, missed_urgent
    missed_sensitive = _misses(sensitive, locale, {"sensitive", "urgent"})
    assert 1 - len(missed_sensitive) / len(sensitive) >= DEV3_SENSITIVE_RECALL, missed_sensitive
    assert _misses(harmless, locale, {"none", "sensitive"}) == [], "false urgent"
    flagged = _misses(harmless, locale, {"none"})
    assert len(flagged) / len(harmless) <= DEV3_FALSE_ALARMS, flagged


@pytest.mark.parametrize("read_set", ["heldout", "heldout2"])
def test_held_out_sets_now_development_sets_keep_their_level(read_set: str) -> None:
    rows = _heldout() if read_set == "heldout" else _heldout2()
    urgent = [row for row in rows if row["level"] == "urgent"]
    sensitive = [row for row in rows if row["level"] == "sensitive"]
    harmless = [row for row in rows if row["level"] == "none"]
    assert [row["text"] for row in urgent if not scan_message(row["text"], row["locale"]).is_urgent] == []
    missed = [row["text"] for row in sensitive if scan_message(row["text"], row["locale"]).level is SafetyLevel.NONE]
    assert 1 - len(missed) / len(sensitive) >= 0.95, missed
    assert [row["text"] for row in harmless if scan_message(row["text"], row["locale"]).is_urgent] == []


def test_second_heldout_set_is_labelled_apart_from_every_other_set() -> None:
    """Its labels are checked here; since its misses were fixed it is a development set like the others, held to
    what it reached below."""
    rows = _heldout2()
    counts = Counter(row["locale"] for row in rows)
    assert set(counts) == set(SUPPORTED_LOCALES) and min(counts.values()) >= 20, counts
    for row in rows:
        assert row["level"] in LEVELS and (row["level"] == "none") == ("category" not in row), row
        if row["level"] != "none":
            assert SafetyCategory(row["category"]).level.value == row["level"], row
    texts = [row["text"] for row in rows]
    assert len(set(texts)) == len(texts), "duplicate texts"
    others = {row["text"]: row["level"] for row in _heldout()}
    for locale in SUPPORTED_LOCALES:
        others |= {row["text"]: row["level"] for row in _corpus(locale) + _blind(locale) + _dev(locale)}
    shared = [row for row in rows if row["text"] in others]
    assert all(row["level"] == others[row["text"]] == "none" for row in shared), shared  # a common idiom only


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("my 9 year old son is not back from school since this morning and his phone is off", "urgent"),
        ("since this morning my son, 9, is missing", "urgent"),
        ("мой сын не вернулся из школы, с утра его нет", "urgent"),
        ("o'g'lim ertalabdan beri yo'q, telefoni o'chiq", "urgent"),
        ("i'm going to kill my husband if he forgets my birthday again 😂", "none"),
        ("my husband said he is going to kill me if i leave", "urgent"),
        ("i locked my keys in the car, who can open it", "none"),
        ("my son cut himself slightly with a knife while cooking, what cream?", "none"),
        ("is the blood test free for pregnant women?", "none"),
    ],
)
def test_phrases_joined_with_and_hold_in_any_order_and_idioms_still_win(text: str, level: str) -> None:
    assert scan_message(text).level.value == level


def test_an_entry_joined_with_and_is_explained_by_its_own_line() -> None:
    assessment = scan_message("since this morning my son, 9, is missing", explain=True)
    lines = [_lexicon_line(rule) for rule in assessment.rules]
    assert any("&" in line for line in lines), lines


def _lexicon_line(rule: str) -> str:
    name, line = rule.split(":")
    text = (PROJECT_ROOT / "services" / "safety" / "lexicon" / name).read_text(encoding="utf-8")
    return text.splitlines()[int(line) - 1]


# --- the issue's examples, languages and scripts -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level", "category"),
    [
        ("Meni xonaga qamab qo'yishdi", "urgent", "confinement"),
        ("Мени хонага қамаб қўйишди", "urgent", "confinement"),
        ("the exam was murder, is there a tutoring course?", "none", None),
        ("charchab o'ldim, uyga qachon boramiz", "none", None),
        ("mne ploho ya hochu umeret", "urgent", "suicide"),
        ("psixolog kerak, bolam yomon tush ko'radi", "none", None),
        ("medical check-up for my child", "none", None),
        ("убить время", "none", None),
        ("умираю со смеху", "none", None),
        ("I'm dying to see my son", "none", None),
        ("o'lguday xursandman", "none", None),
        ("killer price", "none", None),
    ],
)
def test_examples_from_the_brief(text: str, level: str, category: str | None) -> None:
    assessment = scan_message(text)
    assert assessment.level.value == level
    assert category is None or SafetyCategory(category) in assessment.categories


@pytest.mark.parametrize(
    "variants",
    [
        ["Meni xonaga qamab qo'yishdi", "Meni xonaga qamab qoʻyishdi", "meni xonaga qamab qo`yishdi",
         "MENI XONAGA QAMAB QO‘YISHDI", "Мени хонага қамаб қўйишди", "мени хонага камаб куйишди",
         "Мени хонага камаб қўйишди"],
        ["o'zimni o'ldirmoqchiman", "ozimni oldirmoqchiman", "ўзимни ўлдирмоқчиман", "узимни улдирмокчиман"],
        ["yashagim kelmayapti", "яшагим келмаяпти", "yashagim kelmayaptiii"],
    ],
)  # fmt: skip
def test_uzbek_latin_and_cyrillic_read_the_same(variants: list[str]) -> None:
    verdicts = {(scan_message(text).level, scan_message(text).categories) for text in variants}
    assert len(verdicts) == 1 and next(iter(verdicts))[0] is SafetyLevel.URGENT, verdicts
    assert len({prepare_text(text) for text in variants[:3]}) == 1


def test_folded_letters_of_kazakh_kyrgyz_and_tajik_match_plain_typing() -> None:
    pairs = [
        ("күйеуім мені ұрып жатыр", "куйеуим мени урып жатыр"),
        ("өлгүм келет", "олгум келет"),
        ("ёрии таъҷилӣ ҷеғ занед", "ёрии тачили чег занед"),
        ("шавҳарам маро мезанад", "shavharam maro mezanad"),
    ]
    for proper, plain in pairs:
        assert scan_message(proper).is_urgent and scan_message(plain).is_urgent, (proper, plain)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("худамро мекушам", "ru"),
        ("шавҳарам бо корд аз паси ман давида истодааст", "ru"),
        ("Meni xonaga qamab qo'yishdi", "en"),
        ("күйөөм мени уруп жатат", "kk"),
        ("мне плохо, я хочу умереть", "tg"),
        ("my husband is beating me", "uz_Cyrl"),
        ("menya zaperli v podvale", "uz"),
    ],
)
def test_a_crisis_in_any_language_is_urgent_whatever_the_users_locale(text: str, lang: str) -> None:
    assert scan_message(text, lang).is_urgent


def test_the_locale_never_changes_the_verdict() -> None:
    texts = [row["text"] for locale in SUPPORTED_LOCALES for row in _corpus(locale)][::7]
    for text in texts:
        verdicts = {scan_message(text, lang) for lang in (None, "xx", *SUPPORTED_LOCALES)}
        assert len(verdicts) == 1, text


def test_code_switching_and_mixed_scripts() -> None:
    assert scan_message("pomogite erim pichoq bilan").is_urgent
    assert scan_message("қайнотам болтa билан қувлаяпти").is_urgent  # a Latin "a" inside a Cyrillic word
    assert scan_message("муж избивает прям щас, ёрдам беринг").is_urgent
    assert scan_message("кошмары мучают, жүйкем тозды, нужен психолог").level is SafetyLevel.NONE


# --- idioms, the past, emoji -------------------------------------------------------------------------------------


def test_an_idiom_does_not_hide_a_crisis_in_the_same_message() -> None:
    assert scan_message("charchab o'ldim, erim meni uryapti").is_urgent
    assert scan_message("умираю со смеху, а потом он избил меня").is_urgent
    assert scan_message("this job is killing me and my husband said he will kill me").is_urgent


def test_violence_placed_in_the_past_is_sensitive_unless_it_is_happening_again() -> None:
    assert scan_message("he hit me yesterday").is_urgent
    past = scan_message("he hit me years ago in the camp")
    assert past.level is SafetyLevel.SENSITIVE and past.categories == (SafetyCategory.PAST_ABUSE,)
    assert scan_message("in the camp he hit me, and today he hit me again").is_urgent
    assert scan_message("lagerda erim meni urardi, hozir xavfsizman").level is SafetyLevel.SENSITIVE


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("🆘", "urgent"),
        ("🚑", "urgent"),
        ("🪢", "urgent"),
        ("💊💊💊", "urgent"),
        ("💊 ⚰️", "urgent"),
        ("erim 🔪", "urgent"),
        ("🔪😱", "urgent"),
        ("🔪🩸", "urgent"),
        ("🔥🏠", "urgent"),
        ("💊", "none"),
        ("dorixona qayerda 💊", "none"),
        ("🔪", "none"),
        ("🩸", "none"),
        ("🔥🔥🔥 zo'r", "none"),
        ("💀💀 i can't 😂", "none"),
    ],
)
def test_emoji_policy(text: str, level: str) -> None:
    assert scan_message(text).level.value == level


# --- results, explanations, speed, privacy -----------------------------------------------------------------------


def test_assessment_orders_categories_urgent_first_and_is_frozen() -> None:
    assessment = SafetyAssessment.from_categories(
        [SafetyCategory.TRAUMA, SafetyCategory.SUICIDE, SafetyCategory.TRAUMA]
    )
    assert assessment.level is SafetyLevel.URGENT and assessment.is_urgent and assessment.needs_human
    assert assessment.categories == (SafetyCategory.SUICIDE, SafetyCategory.TRAUMA)
    assert assessment.urgent_categories == (SafetyCategory.SUICIDE,)
    assert SafetyAssessment.from_categories([SafetyCategory.TRAUMA]).is_sensitive
    assert SafetyAssessment.from_categories([]) == SafetyAssessment(SafetyLevel.NONE)
    assert assessment.to_dict() == {"level": "urgent", "categories": ["suicide", "trauma"], "rules": []}
    with pytest.raises(FrozenInstanceError):
        assessment.level = SafetyLevel.NONE  # type: ignore[misc]


def test_explanations_name_lexicon_lines_never_the_text() -> None:
    assessment = scan_message("Meni xonaga qamab qo'yishdi", explain=True)
    assert assessment.rules and all(rule.split(":")[0].endswith(".yml") for rule in assessment.rules)
    line = int(assessment.rules[0].split(":")[1])
    source = (PROJECT_ROOT / "services" / "safety" / "lexicon" / assessment.rules[0].split(":")[0]).read_text()
    assert "qam" in source.splitlines()[line - 1]
    assert scan_message("Meni xonaga qamab qo'yishdi").rules == ()


def test_scanning_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    scan_message("мне плохо, я хочу умереть", "ru", explain=True)
    assert caplog.records == []


def test_a_typical_message_takes_well_under_a_millisecond() -> None:
    load_lexicon().compile_all()
    texts = [row["text"] for locale in SUPPORTED_LOCALES for row in _corpus(locale)]
    started = time.perf_counter()
    for text in texts:
        scan_message(text)
    assert (time.perf_counter() - started) / len(texts) < 0.001


def test_every_lexicon_compiles() -> None:
    lexicon = load_lexicon()
    assert set(lexicon.files) == {f"{locale}.yml" for locale in ("en", "ru", "uz", "kk", "ky", "tg", "emoji")}
    assert lexicon.compile_all() > 100


def test_every_lexicon_says_it_is_a_draft_and_defines_the_categories() -> None:
    for path in (PROJECT_ROOT / "services" / "safety" / "lexicon").glob("*.yml"):
        header = path.read_text(encoding="utf-8").split("\nlanguage:")[0]
        assert "DRAFT" in header and "native-speaker review" in header, path.name
        assert all(category.value in header for category in SafetyCategory), path.name


# --- the phrase language -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "text", "lang", "expected"),
    [
        ("kill* myself", "i'm killing myself", None, True),
        ("kill* myself", "skill myself", None, False),
        ("he .. beat*", "he is always beating", None, True),
        ("he .. beat*", "he is not at all in the mood for beating", None, False),
        ("take my (own )?life", "take my life", None, True),
        ("take my (own )?life", "take my own life", None, True),
        ("^ help $", "help!!!", None, True),
        ("^ help $", "help me find a job", None, False),
        ("took # pills", "took 30 pills", None, True),
        ("o'zimni o'ldir*", "узимни улдираман", "uz", True),
        ("so'roq(qa|da)", "so'roqqa", "uz", True),
        ("убь(е|ё)т", "ubyet", "ru", True),
        ("ҷон", "jon", "tg", True),
        ("💊 💊 💊", "💊💊💊", None, True),
        # a gap before an optional word keeps its words when the optional word is missing
        ("забрал* .. (мой )?паспорт*", "забрали у меня паспорт", "ru", True),
        ("забрал* .. (мой )?паспорт*", "забрали мой паспорт", "ru", True),
        ("забрал* .. (мой )?паспорт*", "забрали у меня мой паспорт", "ru", True),
        ("забрал* .. (мой )?паспорт*", "забрали паспорт", "ru", True),
        ("забрал* .. (мой )?паспорт*", "забрали у него в тот день мой паспорт", "ru", False),
        ("he .. [just] hit* me", "he came home and hit me", None, True),
        ("he .. [just] hit* me", "he came home and just hit me", None, True),
        ("a .. [x] .. b", "a c d x e f b", None, True),
        ("a .. [x] .. b", "a c d e f b", None, True),
        ("son* & (missing|gone)", "missing since the morning, my son", None, True),
        ("son* & (missing|gone)", "my son is home", None, False),
        ("bola* & yolg'iz & (och|ovqat yo'q)", "ovqat yo'q, bolalar uch kundan beri yolg'iz", "uz", True),
    ],
)
def test_phrase_language(entry: str, text: str, lang: str | None, expected: bool, tmp_path: Path) -> None:
    import re

    (tmp_path / "x.yml").write_text('language: x\nidioms: ["zzzz"]\n', encoding="utf-8")
    prepared = prepare_text(text, compile_lexicon(tmp_path))
    pattern = re.compile(r"(?<!\w)(?:" + compile_phrase(entry, {}, PREPARE.get(lang or "")) + ")")
    assert bool(pattern.search(prepared)) is expected


@pytest.mark.parametrize(
    "entry",
    [
        "(unclosed",
        "a |b",
        "..",
        "word ..",
        "word .. [x]",
        "a .. (b|c)?",
        "[x]",
        "{unknown}",
        "a & b & c & d",
        "^ a & b",
        "a & ",
        "a & b $",
    ],
)
def test_bad_phrases_are_refused(entry: str) -> None:
    with pytest.raises(PatternError):
        compile_phrase(entry, {})


def test_a_match_starts_with_a_known_key() -> None:
    assert prefixes(compile_phrase("(he|she) hits", {}), 2) == {"he", "hi", "sh"}  # e may be typed ye, y reads i
    assert prefixes(compile_phrase("[my] son", {}), 2) == {"mi", "so"}


def test_short_words_are_their_own_dispatch_keys() -> None:
    # "i" and "he" end before three letters: they are filed under themselves, not under every first letter
    assert word_keys(compile_phrase("(i|he) hit*", {}), 3) == {"i", "he", "hie"}
    assert word_keys(compile_phrase("kill* myself", {}), 3) == {"kil"}
    assert word_keys(compile_phrase("💊 💊", {}), 3) == {"💊"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('language: x\nurgent:\n  suicide:\n    - "(broken"\n', "x.yml:4"),
        ('language: x\nurgent:\n  trauma: ["a"]\n', "not an urgent category"),
        ('language: x\nsensitive:\n  nonsense: ["a"]\n', "unknown category"),
        ("language: x\nsurprise: []\n", "unknown section"),
        ("urgent: {}\n", "needs `language:`"),
        ('language: x\nurgent:\n  suicide:\n    - "*anything"\n', "begin it with a word"),
    ],
)
def test_lexicon_problems_name_the_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "x.yml").write_text(content, encoding="utf-8")
    with pytest.raises(LexiconError, match=message.replace("`", ".")):
        compile_lexicon(tmp_path)


# --- the command line --------------------------------------------------------------------------------------------


def _yoldosh() -> list[str]:
    script = Path(sys.executable).parent / "yoldosh"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli.main"]


def test_cli_scan_writes_one_line_per_input_and_survives_bad_lines() -> None:
    lines = [
        json.dumps({"text": "Meni xonaga qamab qo'yishdi", "lang": "uz"}, ensure_ascii=False),
        json.dumps({"text": "where is the nearest school"}),
        "this is not json",
        "",
        json.dumps([1, 2]),
        json.dumps({"text": 5}),
        json.dumps({"text": "my husband controls all the money", "lang": None}),
        json.dumps({"text": "худамро мекушам", "lang": "ru"}, ensure_ascii=False),
    ]
    result = subprocess.run(
        [*_yoldosh(), "safety", "scan"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=PROJECT_ROOT,
        timeout=120,
        check=True,
    )
    output = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(output) == len(lines)
    assert output[0] == {"level": "urgent", "categories": ["confinement"]}
    assert output[1] == {"level": "none", "categories": []}
    assert [set(item) for item in output[2:6]] == [{"error"}] * 4
    assert output[6] == {"level": "sensitive", "categories": ["domestic_conflict"]}
    assert output[7]["level"] == "urgent" and "suicide" in output[7]["categories"]
    assert "this is not json" not in result.stdout + result.stderr


def test_cli_check_compiles_the_lexicons() -> None:
    result = subprocess.run(
        [*_yoldosh(), "safety", "check"], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120, check=True
    )
    assert result.stdout.startswith("safety lexicons OK")
