"""Buttons in a provider's Telegram chat (bot layer): the staff say whether a visitor came.

Provider chats are groups, or private chats of staff, that are not users of the helpline. These buttons are matched
by their data, before the users' handlers, in any chat; the services honour them only in the chat of the
appointment's own provider. Nothing here logs a chat id or a visit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler

from bot.dialogue import attendance_screens
from bot.dialogue import callbacks as cb
from bot.dialogue.replies import Reply
from bot.telegram.context import YoldoshContext
from bot.telegram.rendering import telegram_messages
from services.booking.attendance import NotTheProvidersChatError, record_attendance_from_chat
from services.booking.errors import AppointmentNotFoundError, AppointmentStateError
from services.directory.service import get_provider_card
from services.i18n.catalogs import Translator
from services.storage.base import utcnow
from services.storage.database import transaction

log = logging.getLogger(__name__)

PROVIDER_CHATS_KEY = "provider_chats"
PATTERN = rf"^{cb.VISIT_PREFIX}[cm]\|\d{{1,12}}$"


@dataclass
class ProviderChats:
    """What the provider buttons need: the database, the language of provider chats and a clock (tests set it)."""

    sessions: sessionmaker[Session]
    locale: str
    clock: Callable[[], datetime] = utcnow

    def record(self, *, appointment_id: int, chat_id: int, attended: bool) -> Reply:
        """Record the answer and render what was recorded (from a worker thread)."""
        _ = Translator(self.locale)
        with transaction(self.sessions) as session:
            appointment = record_attendance_from_chat(
                session, appointment_id=appointment_id, chat_id=chat_id, attended=attended, now=self.clock()
            )
            card = get_provider_card(session, provider_id=appointment.provider_id, locale=_.locale)
        return attendance_screens.attendance_recorded(_, card=card, appointment=appointment)


async def on_visit_button(update: Update, context: YoldoshContext) -> None:
    """Came / Did not come, tapped under an attendance question."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None
    chats: ProviderChats = context.application.bot_data[PROVIDER_CHATS_KEY]
    _ = Translator(chats.locale)
    callback = cb.parse(query.data or "")
    notice: str | None = None
    try:
        if chat is None:
            raise NotTheProvidersChatError(callback.args[0])
        recorded = await asyncio.to_thread(
            chats.record,
            appointment_id=int(callback.args[0]),
            chat_id=chat.id,
            attended=callback.action == cb.VISIT_CAME,
        )
    except (NotTheProvidersChatError, AppointmentNotFoundError):
        log.info("attendance button refused: not the provider's chat")
        notice = attendance_screens.attendance_refused(_, None)
    except AppointmentStateError as error:
        notice = attendance_screens.attendance_refused(_, error.problem)
    else:
        (text, _markup), *_rest = telegram_messages(recorded)
        answered = isinstance(query.message, Message) and query.message.reply_markup is None
        with contextlib.suppress(TelegramError):  # too old to edit, or a double tap got there first: it is recorded
            if not answered:
                await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=None)
    with contextlib.suppress(TelegramError):
        await query.answer(notice)


def register(
    application: Application[Any, Any, Any, Any, Any, Any], sessions: sessionmaker[Session], *, locale: str
) -> None:
    """Attach the provider buttons' handler; call before the users' handlers, whose button handler takes any data."""
    application.bot_data[PROVIDER_CHATS_KEY] = ProviderChats(sessions=sessions, locale=locale)
    application.add_handler(CallbackQueryHandler(on_visit_button, pattern=PATTERN))
