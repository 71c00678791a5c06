"""Late answers (bot layer): every few seconds, while questions kept during a Rasa outage wait, ask Rasa again and
send each person the answer, marked as late; several workers never answer the same question (claims)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application

from bot.dialogue.flow import Dialogue, Sender
from bot.dialogue.replies import Reply
from bot.failures import describe_failure
from bot.telegram.context import DIALOGUE_KEY, RECENT_KEY
from bot.telegram.outbox_worker import new_worker_id
from bot.telegram.quick_exit import RecentMessages
from bot.telegram.rendering import telegram_messages
from services.deferred import service as deferred
from services.deferred.service import WaitingQuestion
from services.storage.database import transaction

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 5.0
BATCH_SIZE = 20
JOB_NAME = "late answers"


class LateAnswers:
    """Claims waiting questions, asks Rasa, sends the answers; gives the batch back while Rasa is still away."""

    def __init__(self, sessions: sessionmaker[Session], dialogue: Dialogue, recent: RecentMessages) -> None:
        self._sessions = sessions
        self._dialogue = dialogue
        self._recent = recent
        self._worker = new_worker_id()
        self._running = asyncio.Lock()

    def _claim(self) -> list[WaitingQuestion]:
        with transaction(self._sessions) as session:
            return deferred.claim_waiting(session, worker=self._worker, limit=BATCH_SIZE)

    def _answered(self, question_id: int) -> None:
        with transaction(self._sessions) as session:
            deferred.answered(session, question_id=question_id)

    def _release(self, question_ids: list[int]) -> None:
        with transaction(self._sessions) as session:
            deferred.release(session, question_ids=question_ids)

    async def run_once(self, bot: Bot) -> int:
        """Answer what Rasa can answer now; returns how many questions were answered."""
        async with self._running:
            questions = await asyncio.to_thread(self._claim)
            done = 0
            for position, question in enumerate(questions):
                replies = await asyncio.to_thread(self._dialogue.answer_deferred, question)
                if replies is None:  # Rasa is still away: try this and the rest later
                    await asyncio.to_thread(self._release, [q.id for q in questions[position:]])
                    break
                try:
                    await self._send(bot, question.chat_id, replies)
                except Forbidden:
                    log.info("late answer not delivered: the person blocked the bot")
                except TelegramError as error:  # flood limits, network: the claim times out and it is tried again
                    log.warning("late answer not sent now (%s); will retry", type(error).__name__)
                    continue
                await asyncio.to_thread(self._answered, question.id)
                done += 1
            if done:
                log.info("%d questions kept during a Rasa outage answered", done)
            return done

    async def _send(self, bot: Bot, chat_id: int, replies: list[Reply]) -> None:
        sent: list[int] = []
        for reply in replies:
            for text, markup in telegram_messages(reply) if reply.text else []:
                message = await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
                sent.append(message.message_id)
        if sent:
            self._recent.add(chat_id, sent)
            sender = Sender(channel="telegram", external_id=chat_id, chat_id=chat_id)
            await asyncio.to_thread(self._dialogue.remember_messages, sender, sent)


def register(
    application: Application[Any, Any, Any, Any, Any, Any],
    sessions: sessionmaker[Session],
    *,
    interval: float = INTERVAL_SECONDS,
) -> LateAnswers:
    """Look for questions kept during a Rasa outage every `interval` seconds."""
    if application.job_queue is None:
        raise RuntimeError("late answers need python-telegram-bot[job-queue]")
    late = LateAnswers(sessions, application.bot_data[DIALOGUE_KEY], application.bot_data[RECENT_KEY])

    async def look(context: Any) -> None:
        try:
            await late.run_once(context.bot)
        except Exception as error:  # the next run tries again; the bot keeps serving
            log.error("late answers run failed: %s", describe_failure(error))

    application.job_queue.run_repeating(look, interval=interval, first=interval, name=JOB_NAME)
    return late
