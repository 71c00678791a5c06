"""Telegram update handlers (bot layer): read the update, ask the dialogue, send what it answers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.dialogue.flow import Sender
from bot.dialogue.replies import Reply
from bot.failures import describe_failure
from bot.telegram.context import YoldoshContext
from bot.telegram.rendering import telegram_messages

log = logging.getLogger(__name__)


def sender_of(update: Update) -> Sender:
    """The update's sender as the dialogue knows them."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    return Sender(channel="telegram", external_id=user.id, chat_id=chat.id, language_code=user.language_code)


async def send_replies(update: Update, context: YoldoshContext, replies: list[Reply]) -> None:
    """Send each reply to the update's chat, in order."""
    chat = update.effective_chat
    assert chat is not None
    for reply in replies:
        for text, markup in telegram_messages(reply):
            await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def on_text(update: Update, context: YoldoshContext) -> None:
    """A text message or command."""
    assert update.effective_message is not None
    text = update.effective_message.text or ""
    replies = await asyncio.to_thread(context.dialogue.say, sender_of(update), text)
    await send_replies(update, context, replies)


async def on_button(update: Update, context: YoldoshContext) -> None:
    """A tapped inline button."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    replies = await asyncio.to_thread(context.dialogue.press, sender_of(update), query.data or "")
    await send_replies(update, context, replies)


async def on_other_content(update: Update, context: YoldoshContext) -> None:
    """Stickers, photos, voice notes, files, locations: a kind answer in the user's language."""
    replies = await asyncio.to_thread(context.dialogue.unsupported, sender_of(update))
    await send_replies(update, context, replies)


async def on_error(update: object, context: YoldoshContext) -> None:
    """One handler for every failure: apologise to the user, log the error type only (no user data)."""
    error = context.error
    log.error("update handling failed: %s", describe_failure(error) if error else "unknown")
    if not isinstance(update, Update) or update.effective_chat is None or update.effective_user is None:
        return
    try:
        replies = await asyncio.to_thread(context.dialogue.apology, sender_of(update))
        await send_replies(update, context, replies)
    except Exception as apology_error:  # the apology must never raise out of the error handler
        log.error("could not apologise: %s", type(apology_error).__name__)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Attach every handler to the application, private chats only."""
    private = filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(private & filters.TEXT, on_text))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_other_content))
    application.add_error_handler(on_error)
