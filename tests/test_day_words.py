"""The day a booking request names in words: every locale, misspellings and simplified letters, weekday
rollover, month and year boundaries, written dates, and the everyday words that must not be read as days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.booking.day_words import find_day
from services.i18n.folding import fold
from services.i18n.formatting import format_day
from services.i18n.locales import SUPPORTED_LOCALES

THURSDAY = date(2026, 11, 26)
# Per locale: today, tomorrow, the day after tomorrow, then Monday to Sunday.
WORDS = {
    "en": ("today", "tomorrow", "the day after tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday",
           "saturday", "sunday"),
    "ru": ("сегодня", "завтра", "послезавтра", "понедельник", "вторник", "среду", "четверг", "пятницу", "субботу",
           "воскресенье"),
    "uz": ("bugun", "ertaga", "indinga", "dushanba", "seshanba", "chorshanba", "payshanba", "juma", "shanba",
           "yakshanba"),
    "uz_Cyrl": ("бугун", "эртага", "индинга", "душанба", "сешанба", "чоршанба", "пайшанба", "жума", "шанба",
                "якшанба"),
    "kk": ("бүгін", "ертең", "бүрсігүні", "дүйсенбі", "сейсенбі", "сәрсенбі", "бейсенбі", "жұма", "сенбі",
           "жексенбі"),
    "ky": ("бүгүн", "эртең", "бүрсүгүнү", "дүйшөмбү", "шейшемби", "шаршемби", "бейшемби", "жума", "ишемби",
           "жекшемби"),
    "tg": ("имрӯз", "фардо", "пасфардо", "рӯзи душанбе", "сешанбе", "чоршанбе", "панҷшанбе", "ҷумъа", "шанбе",
           "якшанбе"),
}  # fmt: skip
# From Thursday 26 November: the next Monday to Sunday; Thursday itself is a week ahead.
WEEK_AHEAD = (4, 5, 6, 7, 1, 2, 3)


@pytest.mark.parametrize("locale", sorted(WORDS))
def test_relative_days_and_weekdays_in_every_locale(locale: str) -> None:
    today, tomorrow, after, *weekdays = WORDS[locale]
    assert find_day(today, today=THURSDAY) == THURSDAY
    assert find_day(tomorrow, today=THURSDAY) == date(2026, 11, 27)
    assert find_day(after, today=THURSDAY) == date(2026, 11, 28)
    for weekday, ahead in zip(weekdays, WEEK_AHEAD, strict=True):
        assert find_day(weekday, today=THURSDAY) == THURSDAY + timedelta(days=ahead), weekday


TYPED = [
    ("ertaga psixologga yozilmoqchiman", date(2026, 11, 27)),
    ("ERTAGA PSIXOLOGGA", date(2026, 11, 27)),
    ("эртага психологга ёзилмоқчиман", date(2026, 11, 27)),
    ("payshamba kuni bo‘sh vaqt bormi", date(2026, 12, 3)),
    ("dushanbaga yozib qo'ying", date(2026, 11, 30)),
    ("shanba kuni boʻlsa", date(2026, 11, 28)),
    ("пайшанба кунига ёзиб қўйинг", date(2026, 12, 3)),
    ("бейсенбиге жазылуға бола ма", date(2026, 12, 3)),  # і typed as и
    ("жұмаға дәрігерге", date(2026, 11, 27)),
    ("бугин", THURSDAY),
    ("дуйшомбуго травма психологуна жазылам", date(2026, 11, 30)),  # ү, ө typed as у, о
    ("эртең эртең менен келсем болобу", date(2026, 11, 27)),
    ("рузи панчшанбе вакти холи хаст?", date(2026, 12, 3)),  # ӯ, ҷ, ҳ typed as у, ч, х
    ("пас аз фардо", date(2026, 11, 28)),
    ("пагоҳ омада метавонам", date(2026, 11, 27)),
    ("чумъа", date(2026, 11, 27)),
    ("после завтра можно?", date(2026, 11, 28)),
    ("zavtra k psihologu", date(2026, 11, 27)),
    ("na zavtrashniy den", date(2026, 11, 27)),
    ("v chetverg", date(2026, 12, 3)),
    ("есть окошко на среду?", date(2026, 12, 2)),
    ("can i come tommorow", date(2026, 11, 27)),
    ("on wensday", date(2026, 12, 2)),
    ("today, thursday", THURSDAY),  # a weekday is today only when the message says so
    ("завтра в пятницу", date(2026, 11, 27)),
]


@pytest.mark.parametrize(("text", "expected"), TYPED)
def test_day_words_as_people_type_them(text: str, expected: date) -> None:
    assert find_day(text, today=THURSDAY) == expected


def test_the_folded_text_that_rasa_passes_to_actions_reads_the_same() -> None:
    for text, expected in TYPED:
        assert find_day(fold(text), today=THURSDAY) == expected, fold(text)
    assert find_day(fold("12-го декабря"), today=THURSDAY) == date(2026, 12, 12)
    assert find_day(fold("завтрак"), today=THURSDAY) is None


@pytest.mark.parametrize(
    "text",
    [
        "12.12",
        "12/12",
        "на 12.12.",
        "12.12.2026",
        "12.12.26",
        "12 декабря",
        "12-го декабря",
        "12-dekabr",
        "12 dekabrga yozing",
        "dekabrning 12-sanasi",
        "December 12",
        "december 12th, 2026",
        "the 12th of December",
        "12 желтоқсан",
        "12-декабрь",
        "12 декабр",
        "12-уми декабр",
    ],
)
def test_written_dates(text: str) -> None:
    assert find_day(text, today=THURSDAY) == date(2026, 12, 12)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_each_locales_own_way_of_writing_a_day_is_read_back(locale: str) -> None:
    for ahead in range(14):
        day = THURSDAY + timedelta(days=ahead)
        assert find_day(format_day(day, locale), today=THURSDAY) == day, format_day(day, locale)


def test_month_and_year_boundaries() -> None:
    assert find_day("ertaga", today=date(2026, 11, 30)) == date(2026, 12, 1)
    assert find_day("послезавтра", today=date(2026, 11, 30)) == date(2026, 12, 2)
    new_years_eve = date(2026, 12, 31)
    assert find_day("tomorrow", today=new_years_eve) == date(2027, 1, 1)
    assert find_day("бүрсігүні", today=new_years_eve) == date(2027, 1, 2)
    assert find_day("yakshanba", today=new_years_eve) == date(2027, 1, 3)
    assert find_day("2.01", today=new_years_eve) == date(2027, 1, 2)
    assert find_day("3 января", today=new_years_eve) == date(2027, 1, 3)
    assert find_day("завтра", today=date(2028, 2, 28)) == date(2028, 2, 29)
    assert find_day("29.02", today=date(2028, 2, 1)) == date(2028, 2, 29)


def test_never_a_past_day() -> None:
    assert find_day("25.11", today=THURSDAY) is None, "yesterday, not next November"
    assert find_day("20.11.2026", today=THURSDAY) is None
    assert find_day("31.02", today=THURSDAY) is None
    assert find_day("29.02", today=date(2027, 2, 27)) is None, "no 29 February in 2027, and 2028 is a year away"
    assert find_day("12.06", today=THURSDAY) is None, "more than half a year ahead: a mistake, not a plan"
    assert find_day("12.05", today=THURSDAY) == date(2027, 5, 12)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "psixologga yozilmoqchiman",
        "завтрак",
        "что дать ребёнку на завтрак",
        "завтракать не хочет",
        "субботник",
        "среди людей мне страшно",
        "дар Душанбе ба равоншинос нависед",  # the capital, not Monday
        "записаться к психологу в Душанбе",
        "Dushanbeda vrach bormi",
        "ertalab kelsam bo'ladimi",
        "erta tongda",
        "эртең менен келем",  # Kyrgyz: in the morning
        "таңертең келемін",  # Kazakh: in the morning
        "ертеңгі сағат 9-да",  # Kazakh: at 9 in the morning
        "кийинки жумага жазылсам",  # Kyrgyz: next week
        "2 marta keldim",  # Uzbek: twice
        "soat 10.30 da",
        "soat 10.11 da",
        "в 12.05 приду",
        "1.5 mln so'm qarzim bor",
        "+998 90 123 45 67",
        "tomorrow or monday",
        "завтра в субботу",  # tomorrow is a Friday: the message contradicts itself
        "12.12 или 13.12",
    ],
)
def test_words_that_are_not_a_requested_day(text: str) -> None:
    assert find_day(text, today=THURSDAY) is None
