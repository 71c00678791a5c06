"""The day a booking request names in words, in any of Yoldosh's languages (services layer, pure).

"ertaga psixologga yozilmoqchiman", "запишите на четверг", "бүрсігүні", "рӯзи панҷшанбе", "12.12", "12-dekabr",
"December 12". The message is folded first (services/i18n/folding.py), so scripts, apostrophes and simplified
letters (о/ө, к/қ, х/ҳ, ч/ҷ) need no word lists of their own; the lists below are written in folded spelling
(Latin, lower case, no apostrophes, w as v, x as h, q as k: "tomorrow" is "tomorrov").

Precision comes before recall: a word read wrongly sends the user to the wrong day, a word missed only shows the
day picker. So words are matched whole (zavtrak, "breakfast", is not zavtra), words with a second everyday meaning
count only in the context that makes them a day, and a message naming two different days names none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from services.i18n.folding import fold

# Year-less dates further ahead than this are taken for a past date written by mistake, not for next year's.
YEARLESS_HORIZON_DAYS = 183

# Endings a Turkic or Tajik day word takes: for, on, from, until, of ("payshanbaga", "бейсенбіге", "шанбеи").
_ENDING = r"(?:ga|ge|go|gu|ka|ke|ko|da|de|do|ta|te|to|dan|den|don|gacha|gache|ni|nu|si|su|i|ro|kuni)?"

# Days from today. Kyrgyz "эртең менен" (in the morning) and Russian "после завтра" are handled in `_day_words`.
_RELATIVE: tuple[tuple[int, str], ...] = (
    (0, r"today|2day|segodnya|segodnia|sevodnya|sednya|syodnya|bugun|bugunga|bugin|buginge|bugungo|imruz|imruza"),
    (
        1,
        r"tom+or+ov|tom+or+v|tmrv|tmr|2mor+ov|zavtra|zavtrashn\w*|ertaga|ertangi"
        r"|erten|ertenge|ertenki|fardo|pagoh",
    ),
    (2, r"poslezavtra|indin|indinga|burs[iu]gun(?:i|u|ge|go|gu)?|pasfardo"),
)

# Weekday names, Monday first: English, Russian (its case forms), Uzbek, Kazakh, Kyrgyz, Tajik. Russian "среды"
# and "среде" are left out ("среди", among; "в среде", in the environment); Tajik "душанбе" is also the capital
# and counts only as "рӯзи душанбе" or "душанбеи ..." (see `_day_words`).
_WEEKDAYS: tuple[str, ...] = (
    rf"mondays?|ponedelnik\w*|dusha[nm]ba{_ENDING}|duysenbi{_ENDING}|duyshombu{_ENDING}|dushanbei",
    rf"tu?esdays?|tuseday|vtornik\w*|sesha[nm]b[ae]{_ENDING}|seysenbi{_ENDING}|sheyshembi{_ENDING}",
    rf"ved+n?e?sdays?|vensdays?|vendesday|sred[au]|chorsha[nm]b[ae]{_ENDING}|sarsenbi{_ENDING}"
    rf"|sharshembi{_ENDING}",
    rf"thursdays?|thurdays?|thrusday|thusday|thirsday|thersday|tursday|chetverg\w*|paysha[nm]ba{_ENDING}"
    rf"|panchshanbe{_ENDING}|panjshanbe{_ENDING}|beysenbi{_ENDING}|beyshembi{_ENDING}",
    rf"fr[iy]days?|firday|p[iy]atni(?:ts|c)[aiue]|juma(?:ga|kuni|ni)?|chuma{_ENDING}",
    rf"sat[ue]?rdays?|satarday|sub+ot[aiue]|sub+otoy|sha[nm]b[ae]{_ENDING}|senbi{_ENDING}|ishembi{_ENDING}",
    rf"sundays?|voskresen\w*|yaksha[nm]b[ae]{_ENDING}|jeksenbi{_ENDING}|jekshembi{_ENDING}",
)
_MONDAY_TAJIK = "dushanbe"
# Kyrgyz "жума" is also "week": "кийинки жума" (next week), "ушул жумада" (this week), "эки жума" (two weeks).
_WEEK_BEFORE_JUMA = frozenset({"kiyinki", "ushul", "bul", "otkon", "bir", "eki", "uch", "tort", "ar"})

# Month names with a day number beside them. Uzbek "marta" (times: "2 marta") keeps Russian "8 марта" out.
_MONTHS: tuple[str, ...] = (
    r"january|jan|yanvar\w*|kantar\w*",
    r"february|feb|fevral\w*|akpan\w*",
    r"march|mar|mart|martda|martga|martning|nauriz\w*",
    r"april|apr|aprel\w*|sauir\w*",
    r"may|maya|mayda|mayga|mayning|mamir\w*",
    r"june|jun|iyun\w*|mausim\w*",
    r"july|jul|iyul\w*|shilde\w*",
    r"august|aug|avgust\w*|tamiz\w*",
    r"september|sept?|sent[y]?abr\w*|kirkuyek\w*",
    r"october|oct|okt[y]?abr\w*|kazan\w*",
    r"november|nov|noyabr\w*|karasha\w*",
    r"december|dec|dekabr\w*|jeltoksan\w*",
)
_WORD_PATTERNS = (
    [(re.compile(rf"(?:{words})"), ("offset", days)) for days, words in _RELATIVE]
    + [(re.compile(rf"(?:{words})"), ("weekday", weekday)) for weekday, words in enumerate(_WEEKDAYS)]
    + [(re.compile(_MONDAY_TAJIK), ("tajik_monday", 0))]
)
_MONTH = "|".join(rf"(?P<m{number}>{words})" for number, words in enumerate(_MONTHS, start=1))
# Ordinal endings after the day number: 12th, 12-го, 12-chi, 12-нчи, 12-уми.
_ORDINAL = r"(?:st|nd|rd|th|go|e|chi|nchi|inchi|si|umi|um|i)?"
_DAY_MONTH = re.compile(
    rf"(?<![\w.,/:])(?P<day>\d{{1,2}})-?{_ORDINAL}[\s-]*(?:of\s+)?(?:{_MONTH})\b(?:[\s,]*(?P<year>\d{{4}})\b)?"
)
_MONTH_DAY = re.compile(
    rf"(?<!\w)(?:{_MONTH})[\s,-]*(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?![\w.:/])(?:[\s,]*(?P<year>\d{{4}})\b)?"
)
_NUMERIC = re.compile(
    r"(?<![\w.,/:])(?P<day>\d{1,2})[./](?P<month>\d{1,2})(?:[./](?P<year>\d{4}|\d{2}))?(?!\w|[.,/:]\d)"
    r"(?!\s*(?:(?:mln|million|mlrd|ming|som|sum|tenge|rub\w*|dollar\w*|kg|km|litr\w*)\b|[$%]))"
)
# A number after these is a clock time or an amount, not a date ("soat 10.11", "в 12.05").
_TIME_BEFORE = re.compile(r"(?:\b(?:soat|soati|saat|sagat|chas|v|at|k|ko|s|do|by|around|okolo)\s*)$")


@dataclass(frozen=True)
class _DayWords:
    """What the words of a message say: days from today and weekday numbers (Monday 0)."""

    offsets: frozenset[int]
    weekdays: frozenset[int]


def _month_of(match: re.Match[str]) -> int:
    return next(int(name[1:]) for name, value in match.groupdict().items() if name.startswith("m") and value)


def _calendar_date(day: int, month: int, year: str | None, today: date) -> date | None:
    """The date written, never before today: a past year names nothing, a year-less date is its next occurrence."""
    if year is not None:
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        try:
            written = date(full_year, month, day)
        except ValueError:
            return None
        return written if written >= today else None
    for candidate_year in (today.year, today.year + 1):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate if (candidate - today).days <= YEARLESS_HORIZON_DAYS else None
    return None


def _written_dates(folded: str, today: date) -> list[date | None]:
    """Dates written with numbers; None for one that names no day ahead (a past date, 31.02)."""
    found: list[date | None] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_DAY_MONTH, _MONTH_DAY, _NUMERIC):
        for match in pattern.finditer(folded):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            if pattern is _NUMERIC:
                month = int(match["month"])
                if not 1 <= month <= 12 or _TIME_BEFORE.search(folded[: match.start()]):
                    continue  # "10.30", "soat 10.11": a clock time
            else:
                month = _month_of(match)
            taken.append(match.span())
            found.append(_calendar_date(int(match["day"]), month, match["year"], today))
    return found


def _word_meaning(token: str) -> tuple[str, int] | None:
    for pattern, meaning in _WORD_PATTERNS:
        if pattern.fullmatch(token):
            return meaning
    return None


def _day_words(tokens: list[str]) -> _DayWords:
    """Day words among the folded tokens, with the context rules for words that mean something else too."""
    offsets: set[int] = set()
    weekdays: set[int] = set()
    for index, token in enumerate(tokens):
        meaning = _word_meaning(token)
        if meaning is None:
            continue
        kind, value = meaning
        before = tokens[index - 1] if index > 0 else ""
        after = tokens[index + 1] if index + 1 < len(tokens) else ""
        if kind == "tajik_monday":
            if before not in {"ruzi", "ruz"}:
                continue  # "дар Душанбе" is the city
            kind = "weekday"
        if kind == "offset" and value == 1:
            if token == "erten" and after == "menen":
                continue  # Kyrgyz "эртең менен": in the morning
            if before in {"posle", "after"} or (before == "az" and index > 1 and tokens[index - 2] == "pas"):
                value = 2  # "после завтра", "day after tomorrow", "пас аз фардо"
        if kind == "weekday" and token.startswith("juma") and (before in _WEEK_BEFORE_JUMA or before.isdigit()):
            continue
        (offsets if kind == "offset" else weekdays).add(value)
    return _DayWords(frozenset(offsets), frozenset(weekdays))


def find_day(text: str, *, today: date) -> date | None:
    """The day a message asks for, relative to `today` (the provider's local date); None when it names none.

    Never a past day: today, tomorrow and the day after count from `today`; a weekday name is its next date
    after today (today itself only when the message also says "today"); a date without a year is its next
    occurrence within about six months. Two different days in one message name none.
    """
    folded = fold(text)
    dates = _written_dates(folded, today)
    if None in dates:
        return None
    words = _day_words(re.findall(r"\w+", re.sub(r"\d+[./-]\d+(?:[./-]\d+)?", " ", folded)))
    named = {day for day in dates if day is not None} | {today + timedelta(days=n) for n in words.offsets}
    if named and words.weekdays:
        # A day named twice, by date or relative word and by weekday ("завтра, в четверг"): both must agree.
        return named.pop() if len(named) == 1 and words.weekdays == {next(iter(named)).weekday()} else None
    named |= {today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1) for weekday in words.weekdays}
    return named.pop() if len(named) == 1 else None
