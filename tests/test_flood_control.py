"""Flood control: the per-chat token bucket on its own (a fake clock), then end to end through the real PTB
application and the Bot API stand-in: one calm slow-down message, the flood dropped, other chats untouched, and
nothing that may be a cry for help (urgent text, the quick exit) ever dropped."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from telegram import Update

from bot.dialogue.flood_screens import slow_down
from bot.dialogue.screens import free_text_fallback
from bot.telegram.flood import FLOOD_BURST, FloodGuard, Verdict, guarded_chat, must_answer
from services.i18n.catalogs import Translator
from services.safety.loader import load_lexicon
from tests.telegram_standin import ApiCall, BotApiStandIn, TelegramUser

DANGER = "If you or someone near you is in danger right now, please call:"
URGENT_EN = "help me please, he is beating me right now"


@pytest.fixture(scope="module", autouse=True)
def _safety_net_compiled() -> None:
    """As `yoldosh run` does before serving: compiled once, not by the first messages all at once."""
    load_lexicon().compile_all()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the bucket ------------------------------------------------------------------------------------------------
def test_a_burst_is_admitted_then_one_warning_then_silence() -> None:
    clock = FakeClock()
    guard = FloodGuard(rate=1.0, burst=10, clock=clock)
    verdicts = [guard.check(7, update_id) for update_id in range(30)]
    assert verdicts[:10] == [Verdict.ADMIT] * 10
    assert verdicts[10] is Verdict.WARN
    assert verdicts[11:] == [Verdict.DROP] * 19
    assert guard.take_warning(7, 10) and not guard.take_warning(7, 10), "the warning goes out once"


def test_the_sustained_rate_is_answered_and_no_second_warning_until_the_bucket_refills() -> None:
    clock = FakeClock()
    guard = FloodGuard(rate=1.0, burst=4, clock=clock)
    assert [guard.check(1) for _ in range(6)] == [Verdict.ADMIT] * 4 + [Verdict.WARN, Verdict.DROP]
    clock.now += 1.0
    assert [guard.check(1) for _ in range(3)] == [Verdict.ADMIT, Verdict.DROP, Verdict.DROP]
    clock.now += 3.5  # not yet full again: still the same flood
    assert [guard.check(1) for _ in range(4)] == [Verdict.ADMIT] * 3 + [Verdict.DROP]
    clock.now += 4.0  # quiet until full: a new flood gets a new warning
    assert [guard.check(1) for _ in range(5)] == [Verdict.ADMIT] * 4 + [Verdict.WARN]


def test_an_exempt_message_goes_through_a_flood_and_chats_are_independent() -> None:
    guard = FloodGuard(rate=1.0, burst=2, clock=FakeClock())
    assert [guard.check(1) for _ in range(3)] == [Verdict.ADMIT, Verdict.ADMIT, Verdict.WARN]
    assert guard.check(1, exempt=True) is Verdict.ADMIT
    assert guard.check(1) is Verdict.DROP
    assert [guard.check(2) for _ in range(2)] == [Verdict.ADMIT, Verdict.ADMIT], "another chat has its own bucket"


def test_memory_is_bounded_by_forgetting_the_least_recently_active_chats() -> None:
    guard = FloodGuard(rate=1.0, burst=1, max_chats=3, clock=FakeClock())
    for chat in (1, 2, 3):
        guard.check(chat)
    guard.check(1)  # chat 1 is active again: chat 2 is now the oldest
    guard.check(4)
    assert len(guard) == 3
    assert guard.check(2) is Verdict.ADMIT, "a forgotten chat starts with a full bucket"
    assert guard.check(1) is Verdict.DROP, "a remembered chat keeps its state (already warned above)"
    assert len(FloodGuard(max_chats=10)) == 0
    with pytest.raises(ValueError):
        FloodGuard(rate=0)


def _update(**content: Any) -> Update:
    chat = {"id": 55, "type": "private", "first_name": "T"}
    user = {"id": 55, "is_bot": False, "first_name": "T"}
    if "data" in content:
        message = {"message_id": 1, "date": 0, "chat": chat, "text": "…"}
        query = {"id": "q1", "from": user, "chat_instance": "ci", "data": content["data"], "message": message}
        return Update.de_json({"update_id": 1, "callback_query": query}, None)
    message = {"message_id": 1, "date": 0, "chat": chat, "from": user, **content}
    return Update.de_json({"update_id": 1, "message": message}, None)


@pytest.mark.parametrize(
    ("content", "answered"),
    [
        ({"text": "hello, I need a school"}, False),
        ({"text": URGENT_EN}, True),
        ({"text": "помогите он меня убьет"}, True),
        ({"photo": [], "caption": "meni xonaga qamab qo'yishdi, yordam bering"}, True),
        ({"text": "/exit"}, True),
        ({"text": "/EXIT@YoldoshBot"}, True),
        ({"text": "/help"}, False),
        ({"data": "exit"}, True),
        ({"data": "sos"}, True),
        ({"data": "menu"}, False),
    ],
)
def test_what_is_never_dropped(content: dict[str, Any], answered: bool) -> None:
    assert must_answer(_update(**content)) is answered


def test_only_private_messages_and_buttons_are_counted() -> None:
    assert guarded_chat(_update(text="hi")) == 55
    assert guarded_chat(_update(data="menu")) == 55
    group = Update.de_json(
        {
            "update_id": 2,
            "message": {"message_id": 1, "date": 0, "chat": {"id": -100123, "type": "supergroup"}, "text": "hi"},
        },
        None,
    )
    assert guarded_chat(group) is None
    assert guarded_chat(object()) is None


# --- end to end ------------------------------------------------------------------------------------------------
def _to_chat(calls: list[ApiCall], chat_id: int) -> list[str]:
    return [
        call.params.get("text", "")
        for call in calls
        if call.method == "sendMessage" and int(call.params["chat_id"]) == chat_id
    ]


async def _consented(api: BotApiStandIn, *users: TelegramUser) -> None:
    for user in users:
        user.says("/start")
        user.taps("lang|en")
        user.taps("consent:yes")
    for user in users:
        await api.until(lambda calls, user=user: len(_to_chat(calls, user.user_id)) >= 3)


async def _until_quiet(api: BotApiStandIn, quiet: float = 2.0, timeout: float = 60.0) -> None:
    """Wait until the bot has sent nothing for `quiet` seconds."""
    deadline, seen, since = time.monotonic() + timeout, len(api.calls), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the bot never went quiet"
        await asyncio.sleep(0.1)
        if len(api.calls) != seen:
            seen, since = len(api.calls), time.monotonic()


async def test_a_hundred_messages_in_ten_seconds_get_one_slow_down_while_another_user_gets_every_answer(
    api: BotApiStandIn, running_bot: Any
) -> None:
    flooder = TelegramUser(api, user_id=6667001, language_code="en")
    neighbour = TelegramUser(api, user_id=6667002, language_code="en")
    await _consented(api, flooder, neighbour)
    english = Translator("en")
    asked: list[float] = []
    answered: list[float] = []
    started = time.monotonic()
    for n in range(100):
        flooder.says(URGENT_EN if n == 60 else f"message number {n}")
        if n % 10 == 5:
            neighbour.says(f"a question of my own, {n}")
            asked.append(time.monotonic())
        await asyncio.sleep(max(0.0, started + (n + 1) / 10 - time.monotonic()))  # 100 messages in 10 s
        answered += [time.monotonic()] * (len(_to_chat(api.calls, neighbour.user_id)) - 3 - len(answered))
    assert time.monotonic() - started < 11
    await _until_quiet(api)

    flooded = _to_chat(api.calls, flooder.user_id)[3:]
    assert flooded.count(slow_down(english).text) == 1
    assert len(flooded) <= 40, f"far fewer than 100 replies, got {len(flooded)}"
    assert sum(text.startswith(english(DANGER)) for text in flooded) == 1, "the urgent message was answered"
    fallback = free_text_fallback(english, consented=True).text
    assert _to_chat(api.calls, neighbour.user_id)[3:] == [fallback] * 10, "the other user got every answer"
    delays = [answer - question for question, answer in zip(asked, answered, strict=False)]
    assert len(delays) >= 9 and max(delays) < 1.0, f"the other user waited {delays}"
    print(f"flooder: {len(flooded)} replies to 100 messages; neighbour's delays {[round(d, 2) for d in delays]}")
    api.assert_no_errors()


async def test_buttons_the_quick_exit_and_danger_still_get_through_a_flood(
    api: BotApiStandIn, running_bot: Any
) -> None:
    user = TelegramUser(api, user_id=6667003, language_code="en")
    await _consented(api, user)
    answered_before = len(api.calls_to("answerCallbackQuery"))
    for n in range(3 * FLOOD_BURST):
        user.says(f"hello {n}")
    for _tap in range(5):
        user.taps("menu")
    user.sends_photo(caption=URGENT_EN)
    await api.until(lambda calls: any(text.startswith(DANGER) for text in _to_chat(calls, user.user_id)), timeout=30)
    await api.until(lambda calls: len(api.calls_to("answerCallbackQuery")) >= answered_before + 5)
    texts = _to_chat(api.calls, user.user_id)[3:]
    assert texts.count(slow_down(Translator("en")).text) == 1
    assert len(texts) < 2 * FLOOD_BURST

    for n in range(2 * FLOOD_BURST):
        user.says(f"and again {n}")
    user.says("/exit")  # over the limit again: the quick exit is never dropped, and clears the dropped ones too
    await api.until(lambda calls: any(call.method == "deleteMessages" for call in calls), timeout=30)
    await _until_quiet(api, quiet=1.0)
    assert [message.get("text") for message in api.messages_in(user.user_id)] == [Translator("en")("Have a good day.")]
    api.assert_no_errors()
