"""The Bot API stand-in itself, driven by a real PTB Bot: it accepts what Telegram accepts and refuses the rest."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any

import aiohttp
import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, EndPointNotFound, InvalidToken, RetryAfter
from telegram.ext import Application, MessageHandler, filters

from tests.telegram_standin import TOKEN, BotApiStandIn, TelegramUser, parse_html

GROUP = -1001234567890


@pytest.fixture
def api() -> Iterator[BotApiStandIn]:
    standin = BotApiStandIn()
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
async def bot(api: BotApiStandIn) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url) as telegram_bot:
        yield telegram_bot


@pytest.fixture
def user(api: BotApiStandIn) -> TelegramUser:
    return TelegramUser(api, user_id=9001, language_code="uz")


def _keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"button {n}", callback_data=d)] for n, d in enumerate(data)])


async def _refused(api: BotApiStandIn, request: Awaitable[Any], description: str) -> None:
    """The request fails with the BadRequest PTB raises for Telegram's `description`, and is recorded as an error."""
    errors_before = len(api.errors)
    with pytest.raises(BadRequest) as raised:
        await request
    assert raised.value.message == BadRequest(description).message
    assert len(api.errors) == errors_before + 1
    assert (api.errors[-1].status, api.errors[-1].description) == (400, description)


# --- sending text -----------------------------------------------------------------------------------------------
async def test_a_valid_message_comes_back_as_telegram_renders_it(
    api: BotApiStandIn, bot: Bot, user: TelegramUser
) -> None:
    html = '<b>Salom</b> &amp; 👋 <a href="https://example.org">link</a>'
    message = await bot.send_message(user.user_id, html, parse_mode=ParseMode.HTML, reply_markup=_keyboard("ok"))
    assert message.text == "Salom & 👋 link"
    bold, link = message.entities
    assert (bold.type, bold.offset, bold.length) == ("bold", 0, 5)
    assert (link.type, link.offset, link.length, link.url) == ("text_link", 11, 4, "https://example.org")
    assert message.reply_markup is not None and message.reply_markup.inline_keyboard[0][0].callback_data == "ok"
    assert message.chat.id == user.user_id and message.from_user is not None and message.from_user.is_bot
    assert user.sees() == ["Salom & 👋 link"]
    api.assert_no_errors()


@pytest.mark.parametrize(("text", "parse_mode"), [("", None), ("  \n ", None), ("<b></b>", ParseMode.HTML)])
async def test_empty_text_is_refused(
    api: BotApiStandIn, bot: Bot, user: TelegramUser, text: str, parse_mode: str | None
) -> None:
    await _refused(
        api, bot.send_message(user.user_id, text, parse_mode=parse_mode), "Bad Request: message text is empty"
    )


@pytest.mark.parametrize(
    ("text", "parse_mode"),
    [
        ("x" * 4096, None),
        ("😀" * 2048, None),  # 4096 UTF-16 code units
        ("<b>" + "x" * 4096 + "</b>", ParseMode.HTML),  # the tags do not count
        ("&amp;" * 4096, ParseMode.HTML),  # an entity is one character
    ],
)
async def test_up_to_4096_utf16_units_after_parsing_are_accepted(
    api: BotApiStandIn, bot: Bot, user: TelegramUser, text: str, parse_mode: str | None
) -> None:
    await bot.send_message(user.user_id, text, parse_mode=parse_mode)
    api.assert_no_errors()


@pytest.mark.parametrize("text", ["x" * 4097, "😀" * 2049, "ж" * 4097])
async def test_longer_text_is_refused(api: BotApiStandIn, bot: Bot, user: TelegramUser, text: str) -> None:
    await _refused(api, bot.send_message(user.user_id, text), "Bad Request: message is too long")


async def test_a_caption_is_limited_to_1024_units(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    await bot.send_photo(user.user_id, b"\x89PNG", caption="c" * 1024)
    request = bot.send_photo(user.user_id, b"\x89PNG", caption="c" * 1025)
    await _refused(api, request, "Bad Request: message caption is too long")


# --- HTML parse mode --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("🏟 <i>a</em>", 'Unmatched end tag at byte offset 9, expected "</i>", found "</em>"'),  # bytes, not characters
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
        ("&#12345678;", 'Unescaped "&" at byte offset 0'),
    ],
)
async def test_html_that_telegram_cannot_parse_is_refused(
    api: BotApiStandIn, bot: Bot, user: TelegramUser, html: str, reason: str
) -> None:
    request = bot.send_message(user.user_id, html, parse_mode=ParseMode.HTML)
    await _refused(api, request, f"Bad Request: can't parse entities: {reason}")


async def test_every_supported_tag_and_entity_is_accepted(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>"
        '<span class="tg-spoiler">p</span><tg-spoiler>t</tg-spoiler><a href="https://t.me">a</a><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre><blockquote expandable>q</blockquote>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> &lt;&gt;&quot;&#39;&#x41;'
    )
    message = await bot.send_message(user.user_id, html, parse_mode=ParseMode.HTML)
    assert message.text == "bsieunskdptacx = 1q👍 <>\"'A"
    types = [entity.type for entity in message.entities]
    assert types.count("bold") == 2 and "spoiler" in types and "expandable_blockquote" in types
    (pre,) = [entity for entity in message.entities if entity.type == "pre"]
    assert pre.language == "python"
    api.assert_no_errors()


def test_bare_ampersands_pass_when_strictness_is_off() -> None:
    assert parse_html("Tom & Jerry", strict_ampersands=False) == ("Tom & Jerry", [])
    with pytest.raises(ValueError, match="Unescaped"):
        parse_html("Tom & Jerry")


# --- inline keyboards -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("data", ["x" * 64, "ж" * 32, "a"])
async def test_callback_data_of_1_to_64_bytes_is_accepted(
    api: BotApiStandIn, bot: Bot, user: TelegramUser, data: str
) -> None:
    await bot.send_message(user.user_id, "choose", reply_markup=_keyboard(data))
    api.assert_no_errors()


@pytest.mark.parametrize("data", ["x" * 65, "ж" * 33])  # 33 characters, 66 bytes
async def test_longer_callback_data_is_refused(api: BotApiStandIn, bot: Bot, user: TelegramUser, data: str) -> None:
    request = bot.send_message(user.user_id, "choose", reply_markup=_keyboard(data))
    await _refused(api, request, "Bad Request: BUTTON_DATA_INVALID")


async def test_a_button_needs_text_and_an_action(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    no_text = InlineKeyboardMarkup([[InlineKeyboardButton("", callback_data="a")]])
    await _refused(api, bot.send_message(user.user_id, "x", reply_markup=no_text), "Bad Request: BUTTON_TEXT_INVALID")
    text_only = InlineKeyboardMarkup([[InlineKeyboardButton("label")]])
    await _refused(
        api,
        bot.send_message(user.user_id, "x", reply_markup=text_only),
        "Bad Request: can't parse InlineKeyboardButton: Text buttons are not allowed in the inline keyboard",
    )


# --- chats ------------------------------------------------------------------------------------------------------
async def test_a_chat_the_bot_has_never_seen_is_not_found(api: BotApiStandIn, bot: Bot) -> None:
    await _refused(api, bot.send_message(424242, "hello"), "Bad Request: chat not found")
    await _refused(api, bot.send_message(GROUP, "hello"), "Bad Request: chat not found")
    api.known_chat(424242)
    api.add_supergroup(GROUP)
    await bot.send_message(424242, "hello")
    await bot.send_message(GROUP, "hello")
    assert len(api.errors) == 2


async def test_a_chat_seen_in_an_update_is_known(api: BotApiStandIn, bot: Bot) -> None:
    chat = {"id": 515151, "type": "private", "first_name": "Aziza"}
    sender = {"id": 515151, "is_bot": False, "first_name": "Aziza"}
    api.push_update(
        {"message": {"message_id": 7, "date": int(time.time()), "chat": chat, "from": sender, "text": "hi"}}
    )
    message = await bot.send_message(515151, "hello")
    assert message.chat.first_name == "Aziza" and message.message_id == 8, "ids go on from the user's message"


# --- deleting ---------------------------------------------------------------------------------------------------
async def test_deleting_the_bots_and_the_users_messages(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    user.says("hello")
    first = await bot.send_message(user.user_id, "one")
    second = await bot.send_message(user.user_id, "two")
    assert [message["message_id"] for message in api.messages_in(user.user_id)] == [1, 2, 3]
    assert await bot.delete_message(user.user_id, 1)
    await _refused(api, bot.delete_message(user.user_id, 1), "Bad Request: message to delete not found")
    await _refused(api, bot.delete_message(user.user_id, 999), "Bad Request: message to delete not found")
    assert user.sees() == ["one", "two"]
    assert await bot.delete_messages(user.user_id, [first.message_id, second.message_id, 999]), "999 is skipped"
    assert api.messages_in(user.user_id) == [] and user.sees() == []
    assert api.deleted[user.user_id] == {1, 2, 3}


async def test_delete_messages_takes_1_to_100_ids(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    request = bot.delete_messages(user.user_id, list(range(1, 102)))
    await _refused(api, request, "Bad Request: too many message identifiers specified")
    await _refused(api, bot.delete_messages(user.user_id, []), "Bad Request: message identifiers are not specified")
    assert await bot.delete_messages(user.user_id, list(range(1, 101)))


async def test_messages_older_than_48_hours_cannot_be_deleted(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    old = await bot.send_message(user.user_id, "old")
    api.advance_clock(48 * 3600)
    fresh = await bot.send_message(user.user_id, "fresh")
    request = bot.delete_message(user.user_id, old.message_id)
    await _refused(api, request, "Bad Request: message can't be deleted for everyone")
    assert await bot.delete_message(user.user_id, fresh.message_id)
    assert user.sees() == ["old"]


# --- editing ----------------------------------------------------------------------------------------------------
async def test_editing_text_and_keyboards(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    sent = await bot.send_message(user.user_id, "one", reply_markup=_keyboard("a"))
    not_modified = (
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same "
        "as a current content and reply markup of the message"
    )
    same = bot.edit_message_text("one", user.user_id, sent.message_id, reply_markup=_keyboard("a"))
    await _refused(api, same, not_modified)
    edited = await bot.edit_message_text("two", user.user_id, sent.message_id, reply_markup=_keyboard("a"))
    assert not isinstance(edited, bool) and edited.text == "two" and edited.edit_date is not None
    assert user.sees() == ["two"]
    await _refused(
        api, bot.edit_message_reply_markup(user.user_id, sent.message_id, reply_markup=_keyboard("a")), not_modified
    )
    await bot.edit_message_reply_markup(user.user_id, sent.message_id, reply_markup=_keyboard("b"))
    await bot.edit_message_text("two", user.user_id, sent.message_id)  # no markup: the keyboard goes
    assert "reply_markup" not in api.messages_in(user.user_id)[0]
    await _refused(api, bot.edit_message_text("x", user.user_id, 999), "Bad Request: message to edit not found")
    user.says("mine")
    await _refused(api, bot.edit_message_text("x", user.user_id, 2), "Bad Request: message can't be edited")


# --- callback queries -------------------------------------------------------------------------------------------
async def test_a_callback_query_is_answered_once(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    first = await bot.send_message(user.user_id, "first", reply_markup=_keyboard("pick|1"))
    await bot.send_message(user.user_id, "second", reply_markup=_keyboard("pick|2"))
    user.taps("pick|1")
    query = Update.de_json(api.updates[-1], bot).callback_query
    assert query is not None and query.message is not None
    assert query.message.message_id == first.message_id, "the tap lands on the message offering the button"
    assert await bot.answer_callback_query(query.id)
    invalid = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    await _refused(api, bot.answer_callback_query(query.id), invalid)
    await _refused(api, bot.answer_callback_query("123"), invalid)


# --- flood limits and injected failures -------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB 22.2+ on an int retry_after
async def test_per_chat_flood_limit_answers_429(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    api.known_chat(9002)
    api.limit_per_chat(per_second=20, burst=2)
    await bot.send_message(user.user_id, "1")
    await bot.send_message(user.user_id, "2")
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(user.user_id, "3")
    assert raised.value.retry_after in (1, dt.timedelta(seconds=1))
    (flood,) = api.errors
    assert flood.rate_limited and flood.status == 429 and flood.retry_after == 1
    assert flood.description == "Too Many Requests: retry after 1"
    await bot.send_message(9002, "another chat is not limited")
    await asyncio.sleep(0.1)
    await bot.send_message(user.user_id, "3")
    assert [error for error in api.errors if not error.rate_limited] == []
    api.assert_no_errors(allow_rate_limits=True)


async def test_a_chats_first_message_is_within_a_one_message_burst(
    api: BotApiStandIn, bot: Bot, user: TelegramUser
) -> None:
    api.limit_per_chat(per_second=1, burst=1)
    await bot.send_message(user.user_id, "first")
    api.assert_no_errors()


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_overall_flood_limit_answers_429(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    api.known_chat(9002)
    api.limit_overall(per_second=1)
    await bot.send_message(user.user_id, "1")
    with pytest.raises(RetryAfter):
        await bot.send_message(9002, "2")
    assert [error.rate_limited for error in api.errors] == [True]


async def test_injected_failures_are_not_counted_as_errors(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    api.fail_next("sendMessage", 400, {"ok": False, "error_code": 400, "description": "Bad Request: injected"})
    with pytest.raises(BadRequest, match="Injected"):
        await bot.send_message(user.user_id, "x")
    assert api.errors == [] and [call.method for call in api.calls_to("sendMessage")] == ["sendMessage"]
    await bot.send_message(user.user_id, "x")


# --- latency ----------------------------------------------------------------------------------------------------
async def test_latency_delays_each_answer_without_holding_up_the_others(
    api: BotApiStandIn, bot: Bot, user: TelegramUser
) -> None:
    api.latency(0.3)
    started = time.monotonic()
    await asyncio.gather(*(bot.send_message(user.user_id, str(n)) for n in range(3)))
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 0.8, f"{elapsed:.2f} s: one after another would take 0.9 s"
    assert api.max_concurrent("sendMessage") == 3
    user.says("hello")
    started = time.monotonic()
    assert len(await bot.get_updates(timeout=1)) == 1
    assert time.monotonic() - started < 0.3, "getUpdates is not delayed"


# --- the HTTP surface -------------------------------------------------------------------------------------------
async def test_unknown_methods_and_tokens(api: BotApiStandIn, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendSmokeSignal")
    assert (api.errors[-1].call.method, api.errors[-1].status) == ("sendSmokeSignal", 404)
    with pytest.raises(InvalidToken):
        await Bot("1:not-the-token", base_url=api.base_url).get_me()
    not_found = {"ok": False, "error_code": 404, "description": "Not Found"}
    async with aiohttp.ClientSession() as session, session.get(api.base_url.removesuffix("/bot") + "/x") as answer:
        assert answer.status == 404 and await answer.json() == not_found


async def test_multipart_and_json_bodies(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    document = await bot.send_document(
        user.user_id, b"%PDF-1.4", filename="leaflet.pdf", caption="<b>Leaflet</b>", parse_mode=ParseMode.HTML
    )
    assert document.document is not None and document.document.file_name == "leaflet.pdf"
    assert document.caption == "Leaflet" and document.caption_entities[0].type == "bold"
    assert api.calls_to("sendDocument")[-1].params["document"]["bytes"] == b"%PDF-1.4"
    voice = await bot.send_voice(user.user_id, b"OggS", duration=4)
    assert voice.voice is not None and voice.voice.mime_type == "audio/ogg"
    photo = await bot.send_photo(user.user_id, document.document.file_id)
    assert photo.photo and photo.photo[-1].width == 1280
    async with aiohttp.ClientSession() as session:
        url = f"{api.base_url}{TOKEN}/sendMessage"
        async with session.post(
            url, json={"chat_id": user.user_id, "text": "<i>json</i>", "parse_mode": "HTML"}
        ) as answer:
            body = await answer.json()
    assert body["ok"] and body["result"]["text"] == "json"
    assert user.sees() == ["Leaflet", "json"], "the voice note and the photo carry no text"
    api.assert_no_errors()


async def test_locations_venues_and_chat_actions(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    location = await bot.send_location(user.user_id, 41.3111, 69.2797)
    assert location.location is not None and location.location.latitude == 41.3111
    venue = await bot.send_venue(user.user_id, 41.3111, 69.2797, "Clinic", "Amir Temur 1")
    assert venue.venue is not None and venue.venue.title == "Clinic"
    assert await bot.send_chat_action(user.user_id, "typing")
    await _refused(api, bot.send_chat_action(user.user_id, "dancing"), "Bad Request: wrong parameter action in request")


# --- updates: polling and webhook -------------------------------------------------------------------------------
async def test_get_updates_long_polls_and_forgets_confirmed_updates(
    api: BotApiStandIn, bot: Bot, user: TelegramUser
) -> None:
    user.says("one")
    user.says("two")
    updates = await bot.get_updates()
    assert [update.message.text for update in updates if update.message] == ["one", "two"]
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == ()
    assert api.updates == []
    threading.Timer(0.2, user.says, ["late"]).start()
    started = time.monotonic()
    (late,) = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1)
    assert late.message is not None and late.message.text == "late" and time.monotonic() - started < 0.9


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_delivery_carries_the_secret(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    received: list[str] = []

    async def remember(update: Update, context: Any) -> None:
        assert update.message is not None
        received.append(update.message.text or "")

    application = Application.builder().token(TOKEN).base_url(api.base_url).build()
    application.add_handler(MessageHandler(filters.TEXT, remember))
    port = _free_port()
    url = f"http://127.0.0.1:{port}/hook"
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="hook", webhook_url=url, secret_token="s3cret-token"
        )
        assert api.webhook == {"url": url, "secret_token": "s3cret-token"}
        with pytest.raises(Conflict):
            await bot.get_updates()
        update_id = user.says("pushed while a webhook is set")
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
        assert received == ["pushed while a webhook is set"] and api.deliveries == [(update_id, 200)]
        message = {"message_id": 50, "date": 0, "chat": user.chat, "text": "delivered"}
        assert await api.deliver({"message": message}, secret_token="wrong") == 403
        assert await api.deliver({"message": message}, secret_token=None) == 403
        assert await api.deliver({"message": message}) == 200
        await application.updater.stop()
        await application.stop()
    assert received[-1] == "delivered"


# --- forum topics, copies and forwards --------------------------------------------------------------------------
async def test_copying_a_users_photo_into_a_forum_topic(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    api.add_supergroup(GROUP)
    topic = await bot.create_forum_topic(GROUP, "Case 17")
    user.sends_photo(caption="my document")
    (photo,) = api.messages_in(user.user_id)
    copied = await bot.copy_message(GROUP, user.user_id, photo["message_id"], message_thread_id=topic.message_thread_id)
    forwarded = await bot.forward_message(
        GROUP, user.user_id, photo["message_id"], message_thread_id=topic.message_thread_id
    )
    assert forwarded.forward_origin is not None and forwarded.caption == "my document"
    created, copy, forward = api.messages_in(GROUP)
    assert created["forum_topic_created"]["name"] == "Case 17"
    assert copy["message_id"] == copied.message_id and copy["caption"] == "my document" and copy["photo"]
    assert copy["message_thread_id"] == topic.message_thread_id == forward["message_thread_id"]
    api.assert_no_errors()
    missing = bot.copy_message(GROUP, user.user_id, 999, message_thread_id=topic.message_thread_id)
    await _refused(api, missing, "Bad Request: message to copy not found")
    await _refused(api, bot.send_message(GROUP, "x", message_thread_id=999), "Bad Request: message thread not found")
    await _refused(api, bot.create_forum_topic(user.user_id, "x"), "Bad Request: the chat is not a forum")
    await _refused(
        api, bot.edit_forum_topic(GROUP, topic.message_thread_id, "Case 17"), "Bad Request: TOPIC_NOT_MODIFIED"
    )
    assert await bot.edit_forum_topic(GROUP, topic.message_thread_id, "Case 17 (closed)")
    assert await bot.close_forum_topic(GROUP, topic.message_thread_id)
    await _refused(api, bot.close_forum_topic(GROUP, topic.message_thread_id), "Bad Request: TOPIC_NOT_MODIFIED")


# --- the user ---------------------------------------------------------------------------------------------------
async def test_what_a_user_sends_parses_and_can_be_deleted(api: BotApiStandIn, bot: Bot, user: TelegramUser) -> None:
    user.sends_location(41.3111, 69.2797)
    user.sends_contact("+998901234567")
    user.sends_voice()
    user.sends_sticker()
    user.sends_photo(caption="a photo")
    user.sends_document("passport.pdf", caption="a file")
    messages = [update.message for update in await bot.get_updates() if update.message]
    assert messages[0].location is not None and messages[0].location.longitude == 69.2797
    assert messages[1].contact is not None and messages[1].contact.user_id == user.user_id
    assert messages[2].voice is not None and messages[3].sticker is not None
    assert messages[4].photo and messages[4].caption == "a photo"
    assert messages[5].document is not None and messages[5].document.file_name == "passport.pdf"
    assert [message["message_id"] for message in api.messages_in(user.user_id)] == [1, 2, 3, 4, 5, 6]
    assert await bot.delete_messages(user.user_id, [1, 2, 3, 4, 5, 6])
    assert api.messages_in(user.user_id) == []


# --- plain (blocking) tests -------------------------------------------------------------------------------------
def test_wait_for_blocks_a_plain_test_until_the_call_arrives(api: BotApiStandIn, user: TelegramUser) -> None:
    def send_later() -> None:
        time.sleep(0.1)
        httpx.post(f"{api.base_url}{TOKEN}/sendMessage", data={"chat_id": user.user_id, "text": "later"})

    threading.Thread(target=send_later).start()
    calls = api.wait_for(lambda calls: any(call.method == "sendMessage" for call in calls), timeout=5)
    assert calls[-1].params == {"chat_id": str(user.user_id), "text": "later"}
    assert user.sees() == ["later"]


def test_assert_no_errors_names_each_refusal(api: BotApiStandIn) -> None:
    httpx.post(f"{api.base_url}{TOKEN}/sendMessage", data={"chat_id": 1, "text": "x"})
    with pytest.raises(AssertionError, match="sendMessage: Bad Request: chat not found"):
        api.assert_no_errors()


def test_stop_closes_the_port() -> None:
    standin = BotApiStandIn()
    standin.start()
    url = f"{standin.base_url}{TOKEN}/getMe"
    assert httpx.get(url).json()["result"]["is_bot"]
    standin.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)
