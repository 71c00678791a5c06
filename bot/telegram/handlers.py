"""Telegram update handlers (bot layer): read the update, ask the dialogue, send what it answers."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import metrics
from bot.dialogue.flow import Sender
from bot.dialogue.media_screens import MediaKind
from bot.dialogue.replies import Reply
from bot.failures import describe_failure
from bot.telegram.context import YoldoshContext
from bot.telegram.patience import off_the_loop
from bot.telegram.quick_exit import delete_chat_messages
from bot.telegram.rendering import keyboard, telegram_messages

log = logging.getLogger(__name__)

TYPING_AFTER_SECONDS = 0.4  # answers faster than this need no typing indicator
TYPING_REPEAT_SECONDS = 4.5  # Telegram shows "typing…" for about 5 seconds


def sender_of(update: Update) -> Sender:
    """The update's sender as the dialogue knows them."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    return Sender(channel="telegram", external_id=user.id, chat_id=chat.id, language_code=user.language_code)


def _incoming_ids(update: Update) -> list[int]:
    """The user's own message in this update (not the bot message under a tapped button)."""
    if update.callback_query is None and update.effective_message is not None:
        return [update.effective_message.message_id]
    return []


async def _clear_chat(update: Update, context: YoldoshContext, known_ids: tuple[int, ...] = ()) -> None:
    chat = update.effective_chat
    assert chat is not None
    trail = await context.take_trail(sender_of(update), chat.id)
    count = await delete_chat_messages(context.bot, chat.id, [*trail, *known_ids, *_incoming_ids(update)])
    log.info("quick exit: %d messages deleted", count)


async def _send_document(context: YoldoshContext, chat_id: int, reply: Reply) -> Message:
    """A file with the reply's text as its caption (and its buttons)."""
    assert reply.document is not None
    caption = html.escape(reply.text, quote=False) if reply.text else None
    return await context.bot.send_document(
        chat_id,
        reply.document.content,
        filename=reply.document.filename,
        caption=caption,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(reply),
    )


@metrics.timed("send")
async def send_replies(update: Update, context: YoldoshContext, replies: list[Reply]) -> None:
    """Send each reply to the update's chat, in order; remember both sides' messages for the quick exit."""
    chat = update.effective_chat
    assert chat is not None
    sent: list[Message] = []
    cleared, kept_from = False, 0
    for reply in replies:
        if reply.clear_chat:
            await _clear_chat(update, context, reply.clear_message_ids)
            cleared, kept_from = True, len(sent)
        if reply.document is not None:
            sent.append(await _send_document(context, chat.id, reply))
            continue
        pieces = telegram_messages(reply) if reply.text else []
        for text, markup in pieces:
            sent.append(await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup))
        if reply.venue is not None:
            venue = reply.venue
            sent.append(
                await context.bot.send_venue(
                    chat.id, venue.latitude, venue.longitude, title=venue.title, address=venue.address
                )
            )
    # What a clear left on the screen (its one line, the erasure's answer) is for the next quick exit to remove.
    ids = [*([] if cleared else _incoming_ids(update)), *(message.message_id for message in sent[kept_from:])]
    await context.remember_trail(sender_of(update), chat.id, ids)


async def _typing_while(context: YoldoshContext, chat_id: int, work: Awaitable[list[Reply]]) -> list[Reply]:
    """Await `work`; if it takes a moment, show "typing…" until it is done."""

    async def keep_typing() -> None:
        await asyncio.sleep(TYPING_AFTER_SECONDS)
        while True:
            with contextlib.suppress(Exception):
                await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
            await asyncio.sleep(TYPING_REPEAT_SECONDS)

    typing = asyncio.create_task(keep_typing())
    try:
        return await work
    finally:
        typing.cancel()


async def on_text(update: Update, context: YoldoshContext) -> None:
    """A text message or command."""
    message = update.effective_message
    assert message is not None and update.effective_chat is not None
    work = off_the_loop(context.dialogue.say, sender_of(update), message.text or "")
    replies = await _typing_while(context, update.effective_chat.id, work)
    await send_replies(update, context, replies)


async def on_button(update: Update, context: YoldoshContext) -> None:
    """A tapped inline button; a double tap is answered like a single one."""
    query = update.callback_query
    assert query is not None
    with contextlib.suppress(Exception):  # an expired query id must not stop the answer itself
        await query.answer()
    replies = await off_the_loop(context.dialogue.press, sender_of(update), query.data or "")
    await send_replies(update, context, replies)


async def on_location(update: Update, context: YoldoshContext) -> None:
    """A shared location (not a live one being updated): the nearest services."""
    message = update.effective_message
    assert message is not None and message.location is not None
    location = message.location
    replies = await off_the_loop(
        context.dialogue.location, sender_of(update), location.latitude, location.longitude, message.message_id
    )
    await send_replies(update, context, replies)


def media_kind(message: Message) -> MediaKind:
    """What kind of non-text message this is."""
    if message.voice or message.audio or message.video_note:
        return MediaKind.VOICE
    if message.photo or message.video or message.animation:
        return MediaKind.PICTURE
    if message.document:
        return MediaKind.DOCUMENT
    if message.sticker:
        return MediaKind.STICKER
    if message.contact:
        return MediaKind.CONTACT
    return MediaKind.OTHER


async def on_media(update: Update, context: YoldoshContext) -> None:
    """Voice notes, pictures, files, stickers, contacts: a kind answer in the user's language."""
    message = update.effective_message
    assert message is not None
    replies = await off_the_loop(
        context.dialogue.media, sender_of(update), media_kind(message), message.caption or "", message.message_id
    )
    await send_replies(update, context, replies)


async def on_error(update: object, context: YoldoshContext) -> None:
    """One handler for every failure: apologise to the user, log the error type only (no user data)."""
    error = context.error
    log.error("update handling failed: %s", describe_failure(error) if error else "unknown")
    if not isinstance(update, Update) or update.effective_chat is None or update.effective_user is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:  # the counselors' group: logged, no apology to a user there
        return
    try:
        replies = await asyncio.to_thread(context.dialogue.apology, sender_of(update))
        await send_replies(update, context, replies)
    except Exception as apology_error:  # the apology must never raise out of the error handler
        log.error("could not apologise: %s", type(apology_error).__name__)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Attach every handler to the application, private chats only."""
    private = filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED
    application.add_handler(MessageHandler(private & filters.TEXT, on_text))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(private & filters.LOCATION, on_location))
    application.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_media))
    application.add_error_handler(on_error)
