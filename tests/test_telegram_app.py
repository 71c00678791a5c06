"""The real PTB application against a local Bot API stand-in: first contact, consent, menu, odd input."""

from __future__ import annotations

from typing import Any

import pytest

from bot.dialogue.media_screens import MEDIA_ANSWERS, MediaKind
from bot.telegram.rendering import split_text, utf16_length
from services.i18n.catalogs import Translator
from tests.telegram_standin import ApiCall, BotApiStandIn, TelegramUser


async def _sent(api: BotApiStandIn, count: int) -> list[ApiCall]:
    await api.until(lambda calls: len([c for c in calls if c.method == "sendMessage"]) >= count)
    return api.calls_to("sendMessage")


def _buttons(call: ApiCall) -> list[tuple[str, str]]:
    markup = call.json("reply_markup") or {"inline_keyboard": []}
    return [(button["text"], button["callback_data"]) for row in markup["inline_keyboard"] for button in row]


async def test_commands_are_registered_in_every_language(api: BotApiStandIn, running_bot: Any) -> None:
    calls = api.calls_to("setMyCommands")
    by_language = {call.params.get("language_code"): call.json("commands") for call in calls}
    assert set(by_language) == {None, "en", "ru", "uz", "kk", "ky", "tg"}
    russian = {command["command"]: command["description"] for command in by_language["ru"]}
    assert russian["language"] == Translator("ru")("Change language")
    expected = ["start", "help", "services", "book", "appointments", "counselor", "language", "privacy"]
    assert list(russian) == [*expected, "my_data", "delete_my_data", "exit"]


async def test_first_contact_language_consent_and_menu(api: BotApiStandIn, running_bot: Any) -> None:
    user = TelegramUser(api, user_id=5551001, language_code="ru")
    user.says("/start")
    picker = (await _sent(api, 1))[-1]
    labels = [label for label, _data in _buttons(picker)]
    assert labels == ["O‘zbekcha", "Ўзбекча", "✓ Русский", "Қазақша", "Кыргызча", "Тоҷикӣ", "English"]
    greeting = "Hello! I am Yoldosh, a helpline for families who have come home and for their relatives."
    assert picker.params["text"].startswith(Translator("ru")(greeting))

    user.taps("lang|uz")
    consent = (await _sent(api, 2))[-1]
    uzbek = Translator("uz")
    assert uzbek("Before we talk, please read how Yoldosh keeps your information.") in consent.params["text"]
    assert [label for label, _ in _buttons(consent)] == [uzbek("I agree"), uzbek("No, thank you")]
    assert api.calls_to("answerCallbackQuery"), "every tap is acknowledged so the button stops spinning"

    user.taps("consent:yes")
    menu = (await _sent(api, 3))[-1]
    assert uzbek("Find a service") in [label for label, _ in _buttons(menu)]


async def test_services_browsing_shows_provider_cards(api: BotApiStandIn, running_bot: Any) -> None:
    user = TelegramUser(api, user_id=5551002, language_code="kk")
    user.says("/start")
    user.taps("lang|kk")
    user.taps("consent:yes")
    user.taps("services")
    categories = (await _sent(api, 4))[-1]
    kazakh = Translator("kk")
    assert (kazakh("Health and doctors"), "cat|medical") in _buttons(categories) and len(_buttons(categories)) == 8
    user.taps("cat|medical")
    countries = (await _sent(api, 5))[-1]
    assert ("Қазақстан", "country|medical|KZ") in _buttons(countries)
    user.taps("country|medical|KZ")

    def page_footer_sent(calls: list[ApiCall]) -> bool:
        messages = [c for c in calls if c.method == "sendMessage"][5:]
        return any("menu" in [data for _label, data in _buttons(c)] for c in messages)

    sent = await api.until(page_footer_sent)
    cards = [c for c in sent if c.method == "sendMessage" and "+7 " in c.params.get("text", "")]
    assert cards, "at least one Kazakh medical provider card with its phone number"
    assert "<" not in cards[0].params["text"].replace("&lt;", "")


async def test_sticker_gets_a_kind_answer_in_the_users_language(api: BotApiStandIn, running_bot: Any) -> None:
    user = TelegramUser(api, user_id=5551003, language_code="tg")
    user.says("/start")
    user.taps("lang|tg")
    sticker = {
        "file_id": "s1",
        "file_unique_id": "u1",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    user.sends(sticker=sticker)
    reply = (await _sent(api, 3))[-1]
    assert reply.params["text"] == Translator("tg")(MEDIA_ANSWERS[MediaKind.STICKER])


async def test_a_failed_send_is_followed_by_an_apology(api: BotApiStandIn, running_bot: Any) -> None:
    user = TelegramUser(api, user_id=5551004, language_code="en")
    api.fail_next("sendMessage", 400, {"ok": False, "error_code": 400, "description": "Bad Request: test"})
    user.says("/start")
    apology = (await _sent(api, 2))[-1]
    assert apology.params["text"] == "Sorry, something went wrong on my side. Please try again in a moment."


def test_long_text_is_split_at_paragraphs_within_the_limit() -> None:
    paragraphs = [("word " * 150).strip() for _ in range(12)]
    text = "\n\n".join(paragraphs)
    pieces = split_text(text)
    assert all(len(piece) <= 4096 for piece in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")
    assert all(piece.endswith("word") for piece in pieces)


@pytest.mark.parametrize("length", [4095, 4096, 4097, 9000])
def test_split_boundaries_without_spaces(length: int) -> None:
    pieces = split_text("x" * length)
    assert all(len(piece) <= 4096 for piece in pieces)
    assert sum(len(piece) for piece in pieces) == length
    assert len(pieces) == (length + 4095) // 4096


def test_split_counts_emoji_as_telegram_does() -> None:
    text = "😀" * 3000  # 6,000 UTF-16 units: Telegram refuses it in one message
    pieces = split_text(text)
    assert [utf16_length(piece) for piece in pieces] == [4096, 6000 - 4096]
    assert "".join(pieces) == text
