"""A scripted run of every menu feature in every language through the real PTB application: the Bot API
stand-in, which refuses what Telegram would refuse, must see zero errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from services.i18n.catalogs import Translator
from services.i18n.locales import SUPPORTED_LOCALES, match_locale
from tests.telegram_standin import BotApiStandIn, TelegramUser

QUIET_SECONDS = 1.3  # longer than the per-chat pacing gap, so a paced burst is not mistaken for its end
SENT = {"sendMessage", "sendVenue", "sendDocument"}


def _sent_to(api: BotApiStandIn, chat_id: int) -> int:
    return sum(1 for call in list(api.calls) if call.method in SENT and int(call.params["chat_id"]) == chat_id)


async def _step(api: BotApiStandIn, user: TelegramUser, act: Callable[[], Any]) -> None:
    """Do one thing as the user, then wait until the bot has answered and gone quiet."""
    before = _sent_to(api, user.user_id)
    act()
    await api.until(lambda calls: _sent_to(api, user.user_id) > before, timeout=30)
    seen, quiet_since = _sent_to(api, user.user_id), time.monotonic()
    while time.monotonic() - quiet_since < QUIET_SECONDS:
        await asyncio.sleep(0.1)
        now = _sent_to(api, user.user_id)
        if now != seen:
            seen, quiet_since = now, time.monotonic()


def _latest_button(user: TelegramUser, prefix: str, nth: int = 0) -> str:
    """The data of the `nth` button starting with `prefix` on the latest message offering one."""
    for message in reversed(user.api.messages_in(user.user_id)):
        markup = message.get("reply_markup") or {"inline_keyboard": []}
        found = [
            str(button["callback_data"])
            for row in markup["inline_keyboard"]
            for button in row
            if button.get("callback_data", "").startswith(prefix)
        ]
        if found:
            return found[min(nth, len(found) - 1)]
    raise AssertionError(f"no button starting with {prefix!r}; the chat shows {user.sees()[-4:]}")


def _script(api: BotApiStandIn, user: TelegramUser, locale: str) -> list[Callable[[], Any]]:
    seat = SUPPORTED_LOCALES.index(locale)  # everyone books the same service at once: each takes another time
    return [
        lambda: user.says("/start"),
        lambda: user.taps(f"lang|{locale}"),
        lambda: user.taps("consent:yes"),
        lambda: user.says("/help"),
        lambda: user.says("/services"),
        lambda: user.taps("cat|medical"),
        lambda: user.taps("country|medical|UZ"),
        lambda: user.taps(_latest_button(user, "map|")),
        lambda: user.taps("countries|medical"),
        lambda: user.taps("country|medical|TJ"),
        lambda: user.says("/book"),
        lambda: user.taps("cat|psychosocial"),
        lambda: user.taps(_latest_button(user, "bk|")),
        lambda: user.taps(_latest_button(user, "bkd|")),
        lambda: user.taps(_latest_button(user, "bkt|", seat)),
        lambda: user.says("<i>note</i> & more"),
        lambda: user.taps("bky"),
        lambda: user.taps("bky"),
        lambda: user.says("/appointments"),
        lambda: user.taps(_latest_button(user, "apm|")),
        lambda: user.taps(_latest_button(user, "bkd|", 1)),
        lambda: user.taps(_latest_button(user, "bkt|", seat)),
        lambda: user.taps("bky"),
        lambda: user.says("/appointments"),
        lambda: user.taps(_latest_button(user, "apc|")),
        lambda: user.taps(_latest_button(user, "apcy|")),
        lambda: user.says("/counselor"),
        lambda: user.taps("sos"),
        lambda: user.sends_location(42.8746, 74.5698),
        lambda: user.taps(_latest_button(user, "near|education|")),
        lambda: user.sends_voice(),
        lambda: user.sends_photo(caption="<b>&"),
        lambda: user.sends_document("scan <1>.pdf"),
        lambda: user.sends_sticker(),
        lambda: user.sends_contact(),
        lambda: user.says("/privacy"),
        lambda: user.says("/nonsense_command"),
        lambda: user.says("/language"),
        lambda: user.taps(f"lang|{locale}"),
        lambda: user.taps("stale|button"),
        lambda: user.says("/my_data"),
        lambda: user.says("/delete_my_data"),
        lambda: user.taps("delete:yes"),
        lambda: user.says("/exit"),
    ]


async def _walk(api: BotApiStandIn, locale: str, user_id: int) -> TelegramUser:
    user = TelegramUser(api, user_id=user_id, language_code=locale.split("_")[0])
    for act in _script(api, user, locale):
        await _step(api, user, act)
    return user


async def test_every_feature_in_every_language_without_a_single_bot_api_error(
    api: BotApiStandIn, running_bot: Any
) -> None:
    walks: list[Awaitable[TelegramUser]] = [
        _walk(api, locale, 6670000 + index) for index, locale in enumerate(SUPPORTED_LOCALES)
    ]
    users = await asyncio.gather(*walks)
    api.assert_no_errors()
    # the erasure clears the chat, then the quick exit clears what the erasure left
    assert len(api.calls_to("deleteMessages")) == 2 * len(SUPPORTED_LOCALES)
    assert len(api.calls_to("sendDocument")) == len(SUPPORTED_LOCALES)
    for user in users:
        # the data is erased by then: the line is in the language Telegram reports for the account
        after_erasure = match_locale(user.language_code) or "ru"
        assert user.sees() == [Translator(after_erasure)("Have a good day.")], "the quick exit left one neutral line"
    venues = api.calls_to("sendVenue")
    assert len(venues) == len(SUPPORTED_LOCALES)
