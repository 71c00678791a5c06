"""Tests for Uzbek Latin ↔ Cyrillic transliteration (services.i18n.translit)."""

from __future__ import annotations

import pytest

from services.i18n.translit import (
    OKINA,
    TUTUQ,
    cyrillic_to_latin,
    detect_uzbek_script,
    latin_to_cyrillic,
    normalize_apostrophes,
    to_script,
)

# (Latin, Cyrillic) pairs that must convert both ways; Latin spellings use assorted apostrophes, and the
# Cyrillic → Latin direction is compared with the normalised Latin (ʻ for o‘/g‘, ʼ for the tutuq).
ROUND_TRIPS: list[tuple[str, str]] = [
    ("Toshkent", "Тошкент"),
    ("o‘zbek", "ўзбек"),
    ("G‘afur", "Ғафур"),
    ("shahar", "шаҳар"),
    ("choy", "чой"),
    ("yo‘l", "йўл"),
    ("Yo'ldosh", "Йўлдош"),
    ("yangi", "янги"),
    ("ertaga", "эртага"),
    ("yetti", "етти"),
    ("maktab", "мактаб"),
    ("psixolog", "психолог"),
    ("bolamni maktabga yozdirmoqchiman", "боламни мактабга ёздирмоқчиман"),
    ("ma’lumot", "маълумот"),
    ("ma'no", "маъно"),
    ("san'at", "санъат"),
    ("e'lon", "эълон"),
    ("she'r", "шеър"),
    ("Qur'on", "Қуръон"),
    ("oila", "оила"),
    ("Andijon", "Андижон"),
    ("Farg‘ona", "Фарғона"),
    ("qo‘ng‘iroq", "қўнғироқ"),
    ("sog‘liq", "соғлиқ"),
    ("Is'hoq", "Исҳоқ"),
    ("SHAHAR", "ШАҲАР"),
    ("Shifokor", "Шифокор"),
    ("mening ismim", "менинг исмим"),
    ("Yevropa", "Европа"),
    ("ekin", "экин"),
    ("O‘zbekiston", "Ўзбекистон"),
    ("O‘ZBEKISTON", "ЎЗБЕКИСТОН"),
    ("YO‘L", "ЙЎЛ"),
    ("TOSHKENT", "ТОШКЕНТ"),
    ("Samarqand", "Самарқанд"),
    ("Xorazm", "Хоразм"),
    ("Namangan", "Наманган"),
    ("Qashqadaryo", "Қашқадарё"),
    ("Buxoro", "Бухоро"),
    ("Shahrisabz", "Шаҳрисабз"),
    ("Mirzo Ulug‘bek", "Мирзо Улуғбек"),
    ("yordam", "ёрдам"),
    ("yurak", "юрак"),
    ("Yunus", "Юнус"),
    ("tayyor", "тайёр"),
    ("ayol", "аёл"),
    ("dunyo", "дунё"),
    ("o‘g‘il", "ўғил"),
    ("bog‘", "боғ"),
    ("tog'", "тоғ"),
    ("yig‘lamoq", "йиғламоқ"),
    ("bo‘lim", "бўлим"),
    ("o`qituvchi", "ўқитувчи"),
    ("rahmat", "раҳмат"),
    ("hujjat", "ҳужжат"),
    ("ruhiy yordam", "руҳий ёрдам"),
    ("shoshilinch", "шошилинч"),
    ("kecha", "кеча"),
    ("telefon", "телефон"),
    ("pasport", "паспорт"),
    ("ming", "минг"),
    ("Chorshanba", "Чоршанба"),
    ("iyun", "июн"),
    ("aeroport", "аэропорт"),
    ("poeziya", "поэзия"),
    ("obʼyekt", "объект"),
    ("Assalomu alaykum", "Ассалому алайкум"),
    ("Men Rossiyadan qaytdim.", "Мен Россиядан қайтдим."),
    ("Menga yordam kerak!", "Менга ёрдам керак!"),
    ("Qachon kelasiz?", "Қачон келасиз?"),
    ("Farzandim bilan O‘zbekistonga qaytdik.", "Фарзандим билан Ўзбекистонга қайтдик."),
    ("2024-yil 5-mart", "2024-йил 5-март"),
]


@pytest.mark.parametrize(("latin", "cyrillic"), ROUND_TRIPS)
def test_latin_to_cyrillic(latin: str, cyrillic: str) -> None:
    assert latin_to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize(("latin", "cyrillic"), ROUND_TRIPS)
def test_cyrillic_to_latin(latin: str, cyrillic: str) -> None:
    assert cyrillic_to_latin(cyrillic) == normalize_apostrophes(latin)


@pytest.mark.parametrize(("latin", "cyrillic"), ROUND_TRIPS)
def test_round_trip(latin: str, cyrillic: str) -> None:
    assert latin_to_cyrillic(cyrillic_to_latin(cyrillic)) == cyrillic
    assert cyrillic_to_latin(latin_to_cyrillic(latin)) == normalize_apostrophes(latin)


APOSTROPHE_VARIANTS = ["'", "`", "\u2018", "\u2019", "\u02bb", "\u02bc", "\u00b4"]


@pytest.mark.parametrize("mark", APOSTROPHE_VARIANTS)
def test_every_apostrophe_variant_after_o_and_g(mark: str) -> None:
    assert latin_to_cyrillic(f"o{mark}zbek") == "ўзбек"
    assert latin_to_cyrillic(f"O{mark}zbekiston") == "Ўзбекистон"
    assert latin_to_cyrillic(f"g{mark}alaba") == "ғалаба"
    assert latin_to_cyrillic(f"G{mark}AFUR") == "ҒАФУР"
    assert normalize_apostrophes(f"qo{mark}ng{mark}iroq") == f"qo{OKINA}ng{OKINA}iroq"


@pytest.mark.parametrize("mark", APOSTROPHE_VARIANTS)
def test_every_apostrophe_variant_as_tutuq(mark: str) -> None:
    assert latin_to_cyrillic(f"ma{mark}no") == "маъно"
    assert latin_to_cyrillic(f"Is{mark}hoq") == "Исҳоқ"
    assert normalize_apostrophes(f"san{mark}at") == f"san{TUTUQ}at"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("o'zbek", "oʻzbek"),
        ("O`zbekiston", "Oʻzbekiston"),
        ("g’alaba", "gʻalaba"),
        ("ma'no", "maʼno"),
        ("san‘at", "sanʼat"),
        ("mo''jiza", "moʻʼjiza"),
        ("bog'", "bogʻ"),
        ("o'", "oʻ"),
        ("'salom'", "'salom'"),
        ("'Dunyo'", "'Dunyo'"),
        ("‘Toshkent’", "‘Toshkent’"),
        ("'bog''", "'bogʻ'"),
        ("U ' dedi", "U ' dedi"),
        ("ko'cha 'katta'", "koʻcha 'katta'"),
        ("oʻzbek maʼno", "oʻzbek maʼno"),
        ("Тошкент'", "Тошкент'"),
        ("", ""),
    ],
)
def test_normalize_apostrophes(text: str, expected: str) -> None:
    assert normalize_apostrophes(text) == expected


def test_normalize_apostrophes_is_idempotent() -> None:
    text = "O'zbekiston, g`alaba, ma’no, 'Dunyo', Is'hoq"
    once = normalize_apostrophes(text)
    assert normalize_apostrophes(once) == once


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("SH", "Ш"),
        ("Sh", "Ш"),
        ("sh", "ш"),
        ("CH", "Ч"),
        ("Ch", "Ч"),
        ("SHAHAR", "ШАҲАР"),
        ("Shahar", "Шаҳар"),
        ("CHOY", "ЧОЙ"),
        ("YETTI", "ЕТТИ"),
        ("Yetti", "Етти"),
        ("ERTAGA", "ЭРТАГА"),
        ("MA'NO", "МАЪНО"),
        ("YANGI YO'L", "ЯНГИ ЙЎЛ"),
    ],
)
def test_latin_to_cyrillic_case(latin: str, cyrillic: str) -> None:
    assert latin_to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Ш", "Sh"),
        ("ШАҲАР", "SHAHAR"),
        ("Шаҳар", "Shahar"),
        ("ТОШ", "TOSH"),
        ("Чой", "Choy"),
        ("ЧОЙ", "CHOY"),
        ("Ёрдам", "Yordam"),
        ("ЁРДАМ", "YORDAM"),
        ("Ўзбек", "Oʻzbek"),
        ("ЎЗБЕК", "OʻZBEK"),
        ("Ғафур", "Gʻafur"),
        ("ЕТТИ", "YETTI"),
        ("ИСҲОҚ", "ISʼHOQ"),
        ("ЯНГИ ЙЎЛ", "YANGI YOʻL"),
    ],
)
def test_cyrillic_to_latin_case(cyrillic: str, latin: str) -> None:
    assert cyrillic_to_latin(cyrillic) == latin


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("yetti", "етти"),  # ye at word start
        ("Kiyev", "Киев"),  # ye after a vowel
        ("ekin", "экин"),  # e at word start
        ("kecha", "кеча"),  # e after a consonant
        ("duel", "дуэл"),  # e after a vowel
        ("Vyetnam", "Вьетнам"),  # ye after a consonant: a Russian ье loanword
        ("kontsert", "контсерт"),  # ts stays тс, never ц
        ("ming tong", "минг тонг"),  # ng stays нг
        ("yoʻl yoz", "йўл ёз"),  # y + o‘ is й + ў, yo otherwise ё
        ("Ishoq", "Ишоқ"),  # without the separator, sh is ш
        ("moʻʼjiza", "мўъжиза"),  # o‘ followed by a tutuq
        ("mo''jiza", "мўъжиза"),
        ("Wi-Fi cafe", "Wи-Фи cафе"),  # c and w are not Uzbek letters and pass through
    ],
)
def test_latin_to_cyrillic_rules(latin: str, cyrillic: str) -> None:
    assert latin_to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Европа", "Yevropa"),
        ("оилаемиз", "oilayemiz"),  # е after a vowel
        ("объект", "obʼyekt"),  # е after ъ
        ("концерт", "kontsert"),  # ц → ts
        ("медаль", "medal"),  # ь dropped
        ("бульон", "bulyon"),  # ьо → yo
        ("мўъжиза", "moʻʼjiza"),
        ("Исҳоқ", "Isʼhoq"),  # сҳ keeps its separator so it does not read back as ш
        ("эълон", "eʼlon"),
        ("Поэзия", "Poeziya"),
    ],
)
def test_cyrillic_to_latin_rules(cyrillic: str, latin: str) -> None:
    assert cyrillic_to_latin(cyrillic) == latin


@pytest.mark.parametrize(
    "text",
    ["", "123", "2024", "👋", "🇺🇿 ❤️ 👨‍👩‍👧", '!?.,;:()[]-—«»"', "+998 71 123 45 67", "   \n\t"],
)
def test_non_letters_pass_through(text: str) -> None:
    assert latin_to_cyrillic(text) == text
    assert cyrillic_to_latin(text) == text
    assert normalize_apostrophes(text) == text


def test_emoji_and_digits_inside_text() -> None:
    assert latin_to_cyrillic("Salom 👋 soat 10:30 da!") == "Салом 👋 соат 10:30 да!"
    assert cyrillic_to_latin("Салом 👋 соат 10:30 да!") == "Salom 👋 soat 10:30 da!"


def test_mixed_script() -> None:
    assert latin_to_cyrillic("Salom, Тошкент!") == "Салом, Тошкент!"
    assert cyrillic_to_latin("Salom, Тошкент!") == "Salom, Toshkent!"
    assert latin_to_cyrillic("Ўзбекистон va Qozog‘iston") == "Ўзбекистон ва Қозоғистон"


def test_each_direction_leaves_its_target_script_alone() -> None:
    cyrillic = "Менга ёрдам керак, илтимос."
    latin = "Menga yordam kerak, iltimos. Oʻzbek maʼno."
    assert latin_to_cyrillic(cyrillic) == cyrillic
    assert cyrillic_to_latin(latin) == latin


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("{name}, salom!", "{name}, салом!"),
        ("%(count)s ta xabar", "%(count)s та хабар"),
        ("<b>Rahmat</b> &amp; xayr", "<b>Раҳмат</b> &amp; хайр"),
        ('<a href="https://yoldosh.uz/help">Yordam</a>', '<a href="https://yoldosh.uz/help">Ёрдам</a>'),
        ("Sayt: https://t.me/yoldosh_bot", "Сайт: https://t.me/yoldosh_bot"),
        ("Pochta: help@yoldosh.uz", "Почта: help@yoldosh.uz"),
        ("/start ni bosing, @yoldosh_bot", "/start ни босинг, @yoldosh_bot"),
        ("50%dan ortiq", "50%дан ортиқ"),
    ],
)
def test_protected_spans_are_not_transliterated(latin: str, cyrillic: str) -> None:
    assert latin_to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("Тошкент", "uz", "Toshkent"),
        ("Toshkent", "uz", "Toshkent"),
        ("Toshkent", "uz_Cyrl", "Тошкент"),
        ("Тошкент", "uz_Cyrl", "Тошкент"),
        ("Toshkent", "ru", "Toshkent"),
        ("Тошкент", "en", "Тошкент"),
        ("Тошкент", "kk", "Тошкент"),
        ("Toshkent", "tg", "Toshkent"),
    ],
)
def test_to_script(text: str, locale: str, expected: str) -> None:
    assert to_script(text, locale) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Salom, qalaysiz?", "latin"),
        ("oʻzbek", "latin"),
        ("Салом, қалайсиз?", "cyrillic"),
        ("Привет", "cyrillic"),
        ("Salom, Тошкентдан келдим", "cyrillic"),
        ("Тошкент, salom do‘stlar", "latin"),
        ("Ёрдам https://yoldosh.uz/help", "cyrillic"),
        ("", None),
        ("12345 👋 !", None),
        ("ab аб", None),
    ],
)
def test_detect_uzbek_script(text: str, expected: str | None) -> None:
    assert detect_uzbek_script(text) == expected
