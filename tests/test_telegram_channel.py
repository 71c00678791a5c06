"""The Telegram channel end to end (real PTB application, Bot API stand-in over HTTP): webhook secret, each
update once, order per chat, quick exit, non-text messages, nearby services, the safety net, retries."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from bot.dialogue import screens
from bot.dialogue.flow import Dialogue
from bot.dialogue.media_screens import MEDIA_ANSWERS, MediaKind
from bot.rasa.client import RasaClient
from bot.telegram.application import build_application
from services.i18n.catalogs import Translator
from tests.conftest import TEST_SECRET, bot_settings, free_port, serving_bot
from tests.telegram_standin import ApiCall, BotApiStandIn, TelegramUser

WEBHOOK_SECRET = "webhook-secret-for-tests-0123456789"
DANGER = "If you or someone near you is in danger right now, please call:"


def _texts(calls: list[ApiCall]) -> list[str]:
    return [call.params.get("text", "") for call in calls if call.method == "sendMessage"]


def _to_chat(calls: list[ApiCall], chat_id: int) -> list[ApiCall]:
    return [call for call in calls if call.method == "sendMessage" and int(call.params["chat_id"]) == chat_id]


def _buttons(call: ApiCall) -> list[str]:
    markup = call.json("reply_markup") or {"inline_keyboard": []}
    return [button["callback_data"] for row in markup["inline_keyboard"] for button in row]


async def _replies_to(api: BotApiStandIn, user: TelegramUser, count: int, timeout: float = 10.0) -> list[ApiCall]:
    calls = await api.until(lambda calls: len(_to_chat(calls, user.user_id)) >= count, timeout=timeout)
    return _to_chat(calls, user.user_id)


async def _consented(api: BotApiStandIn, user: TelegramUser, locale: str) -> int:
    """Walk through /start, language and consent; returns how many messages the bot has sent this user."""
    user.says("/start")
    user.taps(f"lang|{locale}")
    user.taps("consent:yes")
    await _replies_to(api, user, 3)
    return 3


# --- webhook -------------------------------------------------------------------------------------------------
@pytest.fixture
async def webhook_bot(
    api: BotApiStandIn, dialogue: Dialogue, served_database_url: str, served_sessions: sessionmaker[Session]
) -> AsyncIterator[str]:
    """The application in webhook mode, as `yoldosh run --webhook` serves it; yields the webhook URL."""
    settings = bot_settings(api, served_database_url, webhook_secret=WEBHOOK_SECRET)
    application = build_application(settings, dialogue, served_sessions, sole_poller=False)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    await application.initialize()
    await application.post_init(application)  # type: ignore[misc]
    await application.start()
    assert application.updater is not None
    await application.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="telegram",
        webhook_url=url,
        secret_token=settings.webhook_secret_token(),
    )
    yield url
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


def _update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    chat = {"id": user_id, "type": "private", "first_name": "Test"}
    sender = {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "en"}
    message = {"message_id": update_id, "date": int(time.time()), "chat": chat, "from": sender, "text": text}
    message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}] if text.startswith("/") else []
    return {"update_id": update_id, "message": message}


async def test_webhook_refuses_requests_without_the_secret(api: BotApiStandIn, webhook_bot: str) -> None:
    api.known_chat(6661001)
    update = _update(880001, 6661001, "/start")
    async with httpx.AsyncClient() as client:
        missing = await client.post(webhook_bot, json=update)
        wrong = await client.post(
            webhook_bot, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "not-the-secret-0000"}
        )
        right = await client.post(webhook_bot, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    assert (missing.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
    calls = await api.until(lambda calls: len(_to_chat(calls, 6661001)) >= 1)
    assert len(_to_chat(calls, 6661001)) == 1, "only the authenticated update was handled"
    (registered,) = api.calls_to("setWebhook")
    assert registered.params["secret_token"] == WEBHOOK_SECRET


async def test_a_redelivered_update_is_answered_once(api: BotApiStandIn, webhook_bot: str) -> None:
    api.known_chat(6661002)
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    async with httpx.AsyncClient() as client:
        for _attempt in range(3):  # Telegram retries when it did not see our 200 in time
            assert (await client.post(webhook_bot, json=_update(880002, 6661002, "/help"), headers=headers)).is_success
        await client.post(webhook_bot, json=_update(880003, 6661002, "/start"), headers=headers)
    calls = await api.until(lambda calls: len(_to_chat(calls, 6661002)) >= 2)
    await asyncio.sleep(0.3)
    assert len(_to_chat(api.calls, 6661002)) == 2, _texts(calls)


# --- ordering and concurrency ---------------------------------------------------------------------------------
async def test_one_chat_in_order_while_other_chats_run_alongside(api: BotApiStandIn, running_bot: Any) -> None:
    api.latency(0.15)
    users = [TelegramUser(api, user_id=6662000 + n, language_code="en") for n in range(6)]
    for user in users:
        user.says("/start")
        user.taps("lang|en")
        user.taps("consent:yes")
    for user in users:
        for command in ("/help", "/services", "/privacy", "/book", "/appointments"):
            user.says(command)
    for user in users:
        await _replies_to(api, user, 8, timeout=30)
    english = Translator("en")
    for user in users:
        texts = _texts(_to_chat(api.calls, user.user_id))
        menu, categories, privacy, book, appointments = texts[3:8]
        assert menu.startswith(english("I can help you find schools"))
        assert categories == english("What kind of help are you looking for?")
        assert privacy.startswith(english("Yoldosh does not ask for your name."))
        assert book == english("To book a visit, choose the kind of help, then tap “Book” under a service.")
        assert appointments == english("You have no upcoming appointments.")
    assert api.max_concurrent("sendMessage") > 1, "different chats are answered concurrently"


# --- quick exit -----------------------------------------------------------------------------------------------
async def test_exit_deletes_the_conversation_and_leaves_one_neutral_line(api: BotApiStandIn, running_bot: Any) -> None:
    user = TelegramUser(api, user_id=6663001, language_code="ru")
    await _consented(api, user, "ru")
    user.says("/privacy")
    user.says("/services")
    await _replies_to(api, user, 5)
    assert len(api.messages_in(user.user_id)) >= 6
    user.says("/exit")
    await api.until(lambda calls: any(call.method == "deleteMessages" for call in calls))
    await _replies_to(api, user, 6)
    remaining = api.messages_in(user.user_id)
    assert [message.get("text") for message in remaining] == [Translator("ru")("Have a good day.")]


async def test_quick_exit_button_on_a_sensitive_screen(api: BotApiStandIn, running_bot: Any) -> None:
    user = TelegramUser(api, user_id=6663002, language_code="uz")
    await _consented(api, user, "uz")
    user.says("/privacy")
    privacy = (await _replies_to(api, user, 4))[-1]
    assert _buttons(privacy)[0] == "exit"
    user.taps("exit")
    await _replies_to(api, user, 5)
    assert [message.get("text") for message in api.messages_in(user.user_id)] == [Translator("uz")("Have a good day.")]


async def test_quick_exit_before_consent_still_clears_the_chat(api: BotApiStandIn, running_bot: Any) -> None:
    user = TelegramUser(api, user_id=6663003, language_code="kk")
    user.says("/start")
    user.taps("lang|kk")
    await _replies_to(api, user, 2)
    user.says("/exit")
    await _replies_to(api, user, 3)
    assert [message.get("text") for message in api.messages_in(user.user_id)] == [Translator("kk")("Have a good day.")]


# --- not text -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("send", "kind"),
    [
        (lambda user: user.sends_voice(), MediaKind.VOICE),
        (lambda user: user.sends_photo(), MediaKind.PICTURE),
        (lambda user: user.sends_document("passport.pdf"), MediaKind.DOCUMENT),
        (lambda user: user.sends_sticker(), MediaKind.STICKER),
        (lambda user: user.sends_contact(), MediaKind.CONTACT),
    ],
)
async def test_each_kind_of_non_text_gets_its_own_kind_answer(
    api: BotApiStandIn, running_bot: Any, send: Any, kind: MediaKind
) -> None:
    user = TelegramUser(api, user_id=6664000 + list(MediaKind).index(kind), language_code="ky")
    await _consented(api, user, "ky")
    send(user)
    answer = (await _replies_to(api, user, 4))[-1]
    assert answer.params["text"] == Translator("ky")(MEDIA_ANSWERS[kind])
    assert "services" in _buttons(answer)


async def test_a_caption_passes_the_safety_net(api: BotApiStandIn, running_bot: Any) -> None:
    user = TelegramUser(api, user_id=6664101, language_code="ru")
    await _consented(api, user, "ru")
    user.sends_photo(caption="помогите он меня убьет")
    answer = (await _replies_to(api, user, 4))[-1]
    assert answer.params["text"].startswith(Translator("ru")(DANGER))


async def test_a_shared_location_finds_the_nearest_services_and_shows_one_on_the_map(
    api: BotApiStandIn, running_bot: Any
) -> None:
    user = TelegramUser(api, user_id=6664201, language_code="en")
    await _consented(api, user, "en")
    user.sends_location(41.3111, 69.2797)  # central Tashkent
    footer = "Looking for one kind of help near you? Choose it:"
    calls = await api.until(lambda calls: footer in _texts(_to_chat(calls, user.user_id)))
    texts = _texts(_to_chat(calls, user.user_id))
    assert "I have not kept your location" in texts[3]
    cards = texts[4:9]
    assert all("+998 " in card for card in cards), "the nearest services are in Tashkent"
    distances = [card.rsplit("About ", 1)[1] for card in cards]
    assert all(distance.endswith(("m from you", "km from you")) for distance in distances)
    near_buttons = _buttons(_to_chat(calls, user.user_id)[9])
    assert "near|medical|41.311|69.280" in near_buttons

    book_button, map_button = _buttons(_to_chat(calls, user.user_id)[4])
    assert book_button.startswith("bk|") and map_button.startswith("map|")
    user.taps(map_button)
    (venue,) = (await api.until(lambda calls: any(c.method == "sendVenue" for c in calls)))[-1:]
    assert venue.method == "sendVenue" and 41 < float(venue.params["latitude"]) < 42

    user.taps("near|psychosocial|41.311|69.280")
    calls = await api.until(lambda calls: _texts(_to_chat(calls, user.user_id)).count(footer) == 2)


# --- safety net before everything -----------------------------------------------------------------------------
async def test_a_cry_for_help_before_any_choice_gets_emergency_numbers_first(
    api: BotApiStandIn, running_bot: Any
) -> None:
    user = TelegramUser(api, user_id=6665001, language_code="uz")
    user.says("meni xonaga qamab qo'yishdi, yordam bering")
    emergency, picker = await _replies_to(api, user, 2)
    assert emergency.params["text"].startswith(Translator("uz")(DANGER))
    assert "exit" in _buttons(emergency)
    assert "lang|uz" in _buttons(picker)


# --- never silent: Telegram's limits and failures -------------------------------------------------------------
async def test_retry_after_and_server_errors_are_retried_until_the_message_lands(
    api: BotApiStandIn, running_bot: Any
) -> None:
    user = TelegramUser(api, user_id=6666001, language_code="en")
    retry = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {}}
    retry["parameters"] = {"retry_after": 1}
    api.fail_next("sendMessage", 429, retry)
    api.fail_next("sendMessage", 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    user.says("/start")
    (picker,) = await _replies_to(api, user, 1, timeout=15)
    assert "lang|en" in _buttons(picker)
    assert not api.errors


# --- Rasa slow or down ----------------------------------------------------------------------------------------
@pytest.fixture
def slow_rasa() -> Iterator[tuple[str, list[float]]]:
    """A stand-in for Rasa's REST channel that answers after a delay the test sets (first item of the list)."""
    delay = [1.0]
    loop = asyncio.new_event_loop()

    async def webhook(request: web.Request) -> web.Response:
        await asyncio.sleep(delay[0])
        return web.json_response([{"recipient_id": "x", "text": "Hello from Rasa"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    port = free_port()
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", delay
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)


@pytest.fixture
async def bot_with_slow_rasa(
    api: BotApiStandIn,
    slow_rasa: tuple[str, list[float]],
    served_database_url: str,
    served_sessions: sessionmaker[Session],
) -> AsyncIterator[list[float]]:
    url, delay = slow_rasa
    client = RasaClient(url)
    talking = Dialogue(
        sessions=served_sessions, secret_key=TEST_SECRET, default_locale="ru", retention_days=180, nlu=client
    )
    async with serving_bot(api, talking, served_sessions, served_database_url):
        yield delay
    client.close()


async def test_typing_is_shown_while_rasa_thinks(api: BotApiStandIn, bot_with_slow_rasa: list[float]) -> None:
    user = TelegramUser(api, user_id=6667001, language_code="en")
    await _consented(api, user, "en")
    user.says("I need a school for my son")
    answer = (await _replies_to(api, user, 4))[-1]
    assert answer.params["text"] == "Hello from Rasa"
    typing = [call for call in api.calls_to("sendChatAction") if int(call.params["chat_id"]) == user.user_id]
    assert typing and typing[0].params["action"] == "typing"


async def test_rasa_slower_than_five_seconds_gets_the_fallback_menu(
    api: BotApiStandIn, bot_with_slow_rasa: list[float]
) -> None:
    bot_with_slow_rasa[0] = 8.0
    user = TelegramUser(api, user_id=6667002, language_code="tg")
    await _consented(api, user, "tg")
    started = time.monotonic()
    user.says("ба ман духтур лозим")
    answer = (await _replies_to(api, user, 4, timeout=15))[-1]
    assert time.monotonic() - started < 7
    tajik = Translator("tg")
    assert answer.params["text"] == screens.nlu_unavailable(tajik, kept=True).text, "the menu, and the text is kept"
    assert {"services", "counselor", "sos"} <= set(_buttons(answer))
