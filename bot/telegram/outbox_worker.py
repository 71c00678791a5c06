"""Deliver the transactional outbox to Telegram (bot layer): a JobQueue job claims due notifications, renders them
from the catalogs and sends them, then reports each one sent, skipped or failed.

Each run claims a batch in one short transaction (the claim names this process's worker id, so concurrent workers
and restarts never take the same entry), sends, and reports every entry in its own transaction. A reminder whose
appointment was cancelled or has started is skipped, not sent. Telegram refusing for good (the user blocked the bot,
the chat is gone) fails the entry at once; flood limits and network failures put it back to be retried later.
Counselor follow-ups are not claimed here: they wait for the escalation desk. Nothing here logs a chat id or text.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, CallbackContext
from telegram.warnings import PTBDeprecationWarning

from bot.dialogue.attendance_screens import attendance_question
from bot.dialogue.reminder_screens import provider_notice, reminder
from bot.dialogue.replies import Reply
from bot.telegram.rendering import telegram_messages
from services.booking.models import AppointmentStatus
from services.booking.notifications import PROVIDER_ATTENDANCE, PROVIDER_BOOKED, PROVIDER_CANCELLED, REMINDER
from services.booking.service import get_appointment
from services.directory.service import ProviderNotFoundError, get_provider_card, provider_chat_id
from services.i18n.catalogs import Translator
from services.i18n.locales import SUPPORTED_LOCALES
from services.outbox import service as outbox
from services.outbox.models import OutboxStatus
from services.outbox.types import OutboxItem
from services.storage.base import utcnow
from services.storage.database import transaction
from services.trail.service import remember_delivered
from services.users.service import delivery_chat_id

log = logging.getLogger(__name__)

# What this worker delivers; `counselor_follow_up` is left pending for the escalation desk.
KINDS = (REMINDER, PROVIDER_BOOKED, PROVIDER_CANCELLED, PROVIDER_ATTENDANCE)
INTERVAL_SECONDS = 15
FIRST_RUN_AFTER_SECONDS = 2
BATCH_SIZE = 50
MAX_BATCHES_PER_RUN = 20
WORKER_KEY = "outbox_worker"
JOB_NAME = "outbox delivery"

Outcome = Literal["sent", "skipped", "failed", "retrying"]


def new_worker_id() -> str:
    """A claim owner unique to this process (host, pid and a random part: a restarted process is a new worker)."""
    return f"telegram:{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Outgoing:
    """A rendered notification: where it goes and what it says; `user_id` when the recipient is a user."""

    chat_id: int
    reply: Reply
    user_id: int | None


@dataclass(frozen=True)
class NotSent:
    """Why an entry is not sent: `skip` when there is nothing left to say, else it failed for good."""

    reason: str
    skip: bool


@dataclass
class RunReport:
    """What one run did with the entries it claimed."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retrying: int = 0

    @property
    def claimed(self) -> int:
        """Entries this run claimed."""
        return self.sent + self.skipped + self.failed + self.retrying

    def count(self, outcome: Outcome) -> None:
        """Count one entry's outcome."""
        setattr(self, outcome, getattr(self, outcome) + 1)


def _locale(value: object, default: str) -> str:
    return value if isinstance(value, str) and value in SUPPORTED_LOCALES else default


def _retry_after(error: RetryAfter) -> timedelta:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


class OutboxWorker:
    """Claims, renders, sends and reports outbox entries for Telegram; `clock` is injectable (tests, replays)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        default_locale: str,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.sessions = sessions
        self.default_locale = default_locale
        self.worker_id = worker_id or new_worker_id()
        self.clock = clock
        self.batch_size = batch_size
        self._running = asyncio.Lock()

    async def job(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        """The JobQueue callback: one run; a failure is logged and the next run tries again."""
        try:
            await self.run_once(context.bot)
        except Exception:
            log.exception("outbox delivery run failed")

    async def run_once(self, bot: Bot, *, now: datetime | None = None) -> RunReport:
        """Deliver every due entry (up to MAX_BATCHES_PER_RUN batches) as of `now` (default: the clock)."""
        report = RunReport()
        async with self._running:  # the repeating job and a direct call never overlap in one process
            moment = now or self.clock()
            for _batch in range(MAX_BATCHES_PER_RUN):
                items = await asyncio.to_thread(self._claim, moment)
                if not items:
                    break
                prepared = await asyncio.to_thread(self._prepare, items, moment)
                for outcome in await self._deliver_batch(bot, list(zip(items, prepared, strict=True)), moment):
                    report.count(outcome)
                if len(items) < self.batch_size:
                    break
        if report.claimed:
            log.info(
                "outbox: %d sent, %d skipped, %d failed, %d to retry",
                report.sent,
                report.skipped,
                report.failed,
                report.retrying,
            )
        return report

    # --- database side (threads) --------------------------------------------------------------------------------
    def _claim(self, now: datetime) -> tuple[OutboxItem, ...]:
        with transaction(self.sessions) as session:
            return outbox.claim_due_messages(
                session, now=now, limit=self.batch_size, worker_id=self.worker_id, kinds=KINDS
            )

    def _prepare(self, items: tuple[OutboxItem, ...], now: datetime) -> list[Outgoing | NotSent | Exception]:
        prepared: list[Outgoing | NotSent | Exception] = []
        with self.sessions() as session:
            for item in items:
                try:
                    prepared.append(self._render(session, item, now))
                except Exception as error:  # a bug or bad payload must not stop the batch
                    log.exception("outbox entry %d could not be rendered", item.id)
                    prepared.append(error)
        return prepared

    def _render(self, session: Session, item: OutboxItem, now: datetime) -> Outgoing | NotSent:
        appointment = get_appointment(session, appointment_id=int(item.payload["appointment_id"]))
        if appointment is None:
            return NotSent("appointment erased", skip=True)
        if item.kind == REMINDER:
            if appointment.status is not AppointmentStatus.BOOKED:
                return NotSent(f"appointment {appointment.status.value}", skip=True)
            if appointment.starts_at <= now:
                return NotSent("appointment already started", skip=True)
            chat_id = delivery_chat_id(session, user_id=item.user_id) if item.user_id is not None else None
            if chat_id is None:
                return NotSent("no chat to deliver to", skip=False)
            _ = Translator(_locale(item.payload.get("locale"), self.default_locale))
            try:
                card = get_provider_card(session, provider_id=appointment.provider_id, locale=_.locale)
            except ProviderNotFoundError:
                return NotSent("provider no longer listed", skip=False)
            lead = str(item.payload.get("lead", ""))
            return Outgoing(chat_id, reminder(_, card=card, appointment=appointment, lead=lead, now=now), item.user_id)
        if item.kind in (PROVIDER_BOOKED, PROVIDER_CANCELLED):
            chat_id = provider_chat_id(session, provider_id=appointment.provider_id)
            if chat_id is None:
                return NotSent("provider has no chat", skip=False)
            _ = Translator(self.default_locale)
            card = get_provider_card(session, provider_id=appointment.provider_id, locale=_.locale)
            cancelled = item.kind == PROVIDER_CANCELLED
            return Outgoing(chat_id, provider_notice(_, card=card, appointment=appointment, cancelled=cancelled), None)
        if item.kind == PROVIDER_ATTENDANCE:  # once the slot is over: did the visitor come?
            if appointment.status is not AppointmentStatus.BOOKED:
                return NotSent(f"appointment {appointment.status.value}", skip=True)
            chat_id = provider_chat_id(session, provider_id=appointment.provider_id)
            if chat_id is None:
                return NotSent("provider has no chat", skip=False)
            _ = Translator(self.default_locale)
            card = get_provider_card(session, provider_id=appointment.provider_id, locale=_.locale)
            return Outgoing(chat_id, attendance_question(_, card=card, appointment=appointment), None)
        return NotSent(f"no renderer for {item.kind}", skip=False)

    def _report_sent(self, item: OutboxItem, user_id: int | None, message_ids: list[int], now: datetime) -> bool:
        with transaction(self.sessions) as session:
            outcome = outbox.mark_sent(session, message_id=item.id, worker_id=self.worker_id, now=now)
            if user_id is not None:  # the quick exit erases reminders too
                remember_delivered(session, user_id=user_id, message_ids=message_ids, now=now)
            return outcome.owned

    def _report_skipped(self, item: OutboxItem, reason: str) -> bool:
        with transaction(self.sessions) as session:
            return outbox.mark_skipped(session, message_id=item.id, worker_id=self.worker_id, reason=reason).owned

    def _report_failed(
        self, item: OutboxItem, error: str, now: datetime, *, permanent: bool, retry_after: timedelta | None = None
    ) -> Outcome:
        with transaction(self.sessions) as session:
            outcome = outbox.mark_failed(
                session,
                message_id=item.id,
                worker_id=self.worker_id,
                now=now,
                error=error,
                retry_after=retry_after,
                permanent=permanent,
            )
        return "retrying" if outcome.status is OutboxStatus.PENDING else "failed"

    # --- Telegram side ------------------------------------------------------------------------------------------
    async def _deliver_batch(
        self, bot: Bot, batch: list[tuple[OutboxItem, Outgoing | NotSent | Exception]], now: datetime
    ) -> list[Outcome]:
        """Deliver a batch: chats side by side (the rate limiter paces them), each chat's entries in claim order."""
        by_chat: dict[object, list[tuple[OutboxItem, Outgoing | NotSent | Exception]]] = {}
        for item, ready in batch:
            key = ready.chat_id if isinstance(ready, Outgoing) else ("entry", item.id)
            by_chat.setdefault(key, []).append((item, ready))

        async def in_order(entries: list[tuple[OutboxItem, Outgoing | NotSent | Exception]]) -> list[Outcome]:
            return [await self._deliver(bot, item, ready, now) for item, ready in entries]

        chats = await asyncio.gather(*(in_order(entries) for entries in by_chat.values()))
        return [outcome for chat in chats for outcome in chat]

    async def _deliver(
        self, bot: Bot, item: OutboxItem, ready: Outgoing | NotSent | Exception, now: datetime
    ) -> Outcome:
        """Send one prepared entry and report it; returns the RunReport field to count it under."""
        if isinstance(ready, Exception):
            return await asyncio.to_thread(
                self._report_failed, item, f"render: {type(ready).__name__}", now, permanent=False
            )
        if isinstance(ready, NotSent):
            if ready.skip:
                await asyncio.to_thread(self._report_skipped, item, ready.reason)
                return "skipped"
            return await asyncio.to_thread(self._report_failed, item, ready.reason, now, permanent=True)
        try:
            message_ids = await self._send(bot, ready)
        except (Forbidden, BadRequest, ChatMigrated) as error:  # blocked, chat gone or moved: retrying cannot help
            log.warning("outbox entry %d (%s) refused for good: %s", item.id, item.kind, type(error).__name__)
            # Telegram's description ("Forbidden: bot was blocked by the user"); a migration's names a chat: not kept.
            kind, detail = type(error).__name__, "" if isinstance(error, ChatMigrated) else error.message
            error_text = detail if detail.startswith(kind) else f"{kind}: {detail}".rstrip(": ")
            return await asyncio.to_thread(self._report_failed, item, error_text, now, permanent=True)
        except RetryAfter as error:
            return await asyncio.to_thread(
                self._report_failed, item, "RetryAfter", now, permanent=False, retry_after=_retry_after(error)
            )
        except (NetworkError, TelegramError) as error:
            log.warning("outbox entry %d (%s) not sent: %s", item.id, item.kind, type(error).__name__)
            return await asyncio.to_thread(self._report_failed, item, type(error).__name__, now, permanent=False)
        except Exception as error:
            log.exception("outbox entry %d (%s) not sent", item.id, item.kind)
            return await asyncio.to_thread(self._report_failed, item, type(error).__name__, now, permanent=False)
        if not await asyncio.to_thread(self._report_sent, item, ready.user_id, message_ids, now):
            log.warning("outbox entry %d was sent after its claim had been taken over", item.id)
        return "sent"

    @staticmethod
    async def _send(bot: Bot, outgoing: Outgoing) -> list[int]:
        ids: list[int] = []
        for text, markup in telegram_messages(outgoing.reply):
            message = await bot.send_message(outgoing.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
            ids.append(message.message_id)
        return ids


def register(
    application: Application[Any, Any, Any, Any, Any, Any],
    sessions: sessionmaker[Session],
    *,
    default_locale: str,
    interval: float = INTERVAL_SECONDS,
    first: float = FIRST_RUN_AFTER_SECONDS,
) -> OutboxWorker:
    """Run an outbox worker every `interval` seconds (first soon after start); it is kept in bot_data[WORKER_KEY]."""
    if application.job_queue is None:
        raise RuntimeError("the outbox worker needs python-telegram-bot[job-queue]")
    worker = OutboxWorker(sessions, default_locale=default_locale)
    application.bot_data[WORKER_KEY] = worker
    application.job_queue.run_repeating(worker.job, interval=interval, first=first, name=JOB_NAME)
    return worker
