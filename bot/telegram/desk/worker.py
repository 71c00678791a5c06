"""The desk worker (bot layer): puts cases on the counselors' forum and relays the users' messages into them.

Everything it sends waits in the outbox first (written with its cause), so nothing is lost when a process dies.
The dialogue wakes the worker as soon as something is queued; it also looks every few seconds (other processes may
have queued) and re-alerts unclaimed cases. One case's entries are handled in order; a case's topic is created by
one worker only (reserved in the database), and its card shows the messages so far in one message: the group
takes about 20 messages a minute, so a new case costs two calls (the topic, whose creation the forum shows to
every member, and the card) and the user's texts are batched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot import metrics
from bot.dialogue import desk_screens
from bot.dialogue.replies import Reply
from bot.telegram.outbox_worker import new_worker_id
from bot.telegram.rendering import telegram_messages
from services.booking.notifications import COUNSELOR_FOLLOW_UP
from services.escalation import desk, hours
from services.escalation.counselors import on_call_telegram_ids
from services.escalation.intake import (
    DESK_CASE_ERASED,
    DESK_CASE_OPENED,
    DESK_CASE_RAISED,
    DESK_USER_MESSAGE,
    open_follow_up,
)
from services.escalation.models import CasePriority
from services.escalation.service import case_queue, cases_to_alert_again
from services.escalation.types import CaseEntry, CaseView
from services.i18n.catalogs import Translator
from services.outbox import service as outbox
from services.outbox.types import OutboxItem
from services.storage.base import utcnow
from services.storage.database import transaction

log = logging.getLogger(__name__)

KINDS = (DESK_CASE_OPENED, DESK_CASE_RAISED, DESK_USER_MESSAGE, DESK_CASE_ERASED, COUNSELOR_FOLLOW_UP)
LOOK_EVERY_SECONDS = 2.0
REALERT_EVERY_SECONDS = 20.0
BATCH_SIZE = 100
WAIT_FOR_OTHER_WORKER = timedelta(seconds=3)


@dataclass(frozen=True)
class DeskPlace:
    """Where and how the desk works: the forum group, its language and its clock."""

    chat_id: int
    locale: str
    timezone: str


class DeskWorker:
    """Claims the desk's outbox entries and brings them to the forum; `clock` is injectable for tests."""

    def __init__(
        self, sessions: sessionmaker[Session], place: DeskPlace, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.sessions = sessions
        self.place = place
        self.clock = clock
        self.worker_id = new_worker_id()
        self._ = Translator(place.locale)
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running = asyncio.Lock()

    # --- running ------------------------------------------------------------------------------------------------
    def wake(self) -> None:
        """Ask for a run now; safe from any thread (the dialogue runs in worker threads)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def serve(self, bot: Bot) -> None:
        """Run until cancelled: whenever woken, every few seconds anyway, re-alerts now and then."""
        self._loop = asyncio.get_running_loop()
        last_realert = 0.0
        while True:
            self._wake.clear()
            try:
                await self.run_once(bot)
                if self._loop.time() - last_realert >= REALERT_EVERY_SECONDS:
                    last_realert = self._loop.time()
                    await self.realert(bot)
            except Exception:  # the desk must outlive any one failure
                log.exception("desk run failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), LOOK_EVERY_SECONDS)

    async def run_once(self, bot: Bot) -> int:
        """Handle every due desk entry; returns how many were claimed."""
        claimed = 0
        async with self._running:
            while True:
                now = self.clock()
                items = await asyncio.to_thread(self._claim, now)
                claimed += len(items)
                by_case: dict[int, list[OutboxItem]] = {}
                for item in items:
                    if item.kind == COUNSELOR_FOLLOW_UP:
                        await asyncio.to_thread(self._open_follow_up, item, now)
                        continue
                    by_case.setdefault(int(item.payload["case_id"]), []).append(item)
                await asyncio.gather(*(self._serve_case(bot, case_id, entries) for case_id, entries in by_case.items()))
                if len(items) < BATCH_SIZE:
                    return claimed

    async def realert(self, bot: Bot) -> int:
        """Remind the desk of every unclaimed case waiting longer than its priority allows."""
        now = self.clock()
        due = await asyncio.to_thread(self._due_alerts, now)
        for case in due:
            with contextlib.suppress(TelegramError):
                await self._post(bot, desk_screens.alert(self._, case, now=now), case.topic_id, case_id=case.id)
        return len(due)

    # --- one case -----------------------------------------------------------------------------------------------
    async def _serve_case(self, bot: Bot, case_id: int, items: list[OutboxItem]) -> None:
        now = self.clock()
        topic = await asyncio.to_thread(self._topic, case_id)
        if topic is None and all(item.kind == DESK_CASE_ERASED for item in items):
            await asyncio.to_thread(self._skipped, items, "never on the desk")  # no topic opened just for this
            return
        if topic is None:
            if not await asyncio.to_thread(self._reserve, case_id, now):
                await asyncio.to_thread(self._postpone, items, now + WAIT_FOR_OTHER_WORKER)
                return
            try:
                topic = await self._open_topic(bot, case_id, now)
            except TelegramError as error:
                log.warning("case %d: desk topic not created: %s", case_id, type(error).__name__)
                await asyncio.to_thread(self._release, case_id)
                await asyncio.to_thread(self._failed, items, type(error).__name__, now, _retry_after(error))
                return
        await self._relay(bot, case_id, topic, items, now)

    async def _open_topic(self, bot: Bot, case_id: int, now: datetime) -> int:
        card = await asyncio.to_thread(self._card, case_id, now)
        created = await bot.create_forum_topic(self.place.chat_id, desk_screens.topic_title(self._, card.case))
        topic = created.message_thread_id
        sent = await self._post(bot, desk_screens.case_card(self._, card, timezone=self.place.timezone, now=now), topic)
        await asyncio.to_thread(self._attach, case_id, topic, sent, card.through_message_id, now)
        if card.case.priority is CasePriority.URGENT:
            await self._alert_on_call(bot, card.case, now)
        log.info("case %d is on the desk (%s)", case_id, card.case.priority.value)
        return topic

    async def _alert_on_call(self, bot: Bot, case: CaseView, now: datetime) -> None:
        """Outside working hours an urgent case also reaches the on-call counselors in their private chats."""
        if hours.desk_is_open(None, now):
            return
        for telegram_id in await asyncio.to_thread(self._on_call):
            try:
                await self._post(bot, desk_screens.on_call_alert(self._, case), None, chat_id=telegram_id)
            except TelegramError as error:  # never started the bot, or blocked it
                log.warning("on-call alert not delivered: %s", type(error).__name__)

    async def _relay(self, bot: Bot, case_id: int, topic: int, items: list[OutboxItem], now: datetime) -> None:
        texts: list[tuple[OutboxItem, CaseEntry]] = []

        async def flush() -> None:
            if texts:
                reply = desk_screens.user_messages(
                    self._, [entry for _item, entry in texts], timezone=self.place.timezone
                )
                await self._deliver(bot, [item for item, _entry in texts], reply, topic, now)
                texts.clear()

        for item in items:
            if item.kind == DESK_CASE_OPENED:
                await asyncio.to_thread(self._skipped, [item], "on the desk already")
            elif item.kind == DESK_CASE_ERASED:
                await flush()
                await self._deliver(bot, [item], desk_screens.erased(self._, case_id), topic, now)
            elif item.kind == DESK_CASE_RAISED:
                await flush()
                case = await asyncio.to_thread(self._case_view, case_id, now)
                await self._deliver(bot, [item], desk_screens.raised(self._, case), topic, now)
            else:
                entry = await asyncio.to_thread(self._entry, item)
                if entry is None:
                    await asyncio.to_thread(self._skipped, [item], "shown on the card")
                elif entry.content_type == "text":
                    texts.append((item, entry))
                else:
                    await flush()
                    await self._deliver_copy(bot, item, entry, topic, now)
        await flush()

    async def _deliver(self, bot: Bot, items: list[OutboxItem], reply: Reply, topic: int, now: datetime) -> bool:
        case_id = int(items[0].payload["case_id"]) if items else None
        try:
            await self._post(bot, reply, topic, case_id=case_id)
        except TelegramError as error:
            log.warning("desk relay not sent: %s", type(error).__name__)
            await asyncio.to_thread(self._failed, items, type(error).__name__, now, _retry_after(error))
            return False
        await asyncio.to_thread(self._sent, items, now)
        return True

    async def _deliver_copy(self, bot: Bot, item: OutboxItem, entry: CaseEntry, topic: int, now: datetime) -> None:
        """A picture, voice note, file or location: a line saying what it is, then the message itself, copied."""
        line = desk_screens.user_sent(self._, entry, timezone=self.place.timezone)
        if not await self._deliver(bot, [], line, topic, now):
            await asyncio.to_thread(self._failed, [item], "line not sent", now, None)
            return
        source = item.payload.get("source_message_id")
        from_chat = await asyncio.to_thread(self._reply_chat, int(item.payload["case_id"]))
        if source is None or from_chat is None:
            await asyncio.to_thread(self._sent, [item], now)
            return
        try:
            await bot.copy_message(self.place.chat_id, from_chat, int(source), message_thread_id=topic)
        except (BadRequest, Forbidden) as error:  # deleted by the user meanwhile: the line has said what it was
            log.warning("desk copy refused: %s", type(error).__name__)
        except TelegramError as error:
            await asyncio.to_thread(self._failed, [item], type(error).__name__, now, _retry_after(error))
            return
        await asyncio.to_thread(self._sent, [item], now)

    async def _post(
        self, bot: Bot, reply: Reply, topic: int | None, *, chat_id: int | None = None, case_id: int | None = None
    ) -> int:
        """Send a reply to the desk (a topic, or the general one); returns the first message's id. A topic someone
        deleted does not swallow it: it goes to the general topic, marked with its case."""
        first = 0
        for text, markup in telegram_messages(reply):
            try:
                message = await bot.send_message(
                    chat_id or self.place.chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    message_thread_id=topic,
                )
            except BadRequest as error:
                if topic is None or "thread not found" not in error.message.lower():
                    raise
                log.warning("desk topic %d is gone: posting in the general topic", topic)
                marked = f"#{case_id} " if case_id else ""
                message = await bot.send_message(
                    chat_id or self.place.chat_id,
                    marked + text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            first = first or message.message_id
        return first

    # --- database side (threads) --------------------------------------------------------------------------------
    def _claim(self, now: datetime) -> tuple[OutboxItem, ...]:
        with transaction(self.sessions) as session:
            return outbox.claim_due_messages(session, now=now, limit=BATCH_SIZE, worker_id=self.worker_id, kinds=KINDS)

    def _open_follow_up(self, item: OutboxItem, now: datetime) -> None:
        with transaction(self.sessions) as session:
            if item.user_id is not None:
                locale = item.payload.get("locale")
                opened = open_follow_up(
                    session, user_id=item.user_id, locale=locale if isinstance(locale, str) else None, now=now
                )
                metrics.case_opened(opened)
            outbox.mark_sent(session, message_id=item.id, worker_id=self.worker_id, now=now)
        self.wake()

    def _topic(self, case_id: int) -> int | None:
        with transaction(self.sessions) as session:
            return desk.desk_topic(session, case_id=case_id)

    def _reserve(self, case_id: int, now: datetime) -> bool:
        with transaction(self.sessions) as session:
            return desk.reserve_topic(session, case_id=case_id, now=now)

    def _release(self, case_id: int) -> None:
        with transaction(self.sessions) as session:
            desk.release_topic(session, case_id=case_id)

    def _card(self, case_id: int, now: datetime) -> desk.CaseCard:
        with transaction(self.sessions) as session:
            return desk.case_card(session, case_id=case_id, locale=self.place.locale, now=now)

    def _case_view(self, case_id: int, now: datetime) -> CaseView:
        return self._card(case_id, now).case

    def _attach(self, case_id: int, topic: int, card_message_id: int, through: int | None, now: datetime) -> None:
        with transaction(self.sessions) as session:
            desk.attach_card(
                session,
                case_id=case_id,
                topic_id=topic,
                card_message_id=card_message_id,
                through_message_id=through,
                now=now,
            )

    def _entry(self, item: OutboxItem) -> CaseEntry | None:
        with transaction(self.sessions) as session:
            return desk.message_to_relay(session, case_message_id=int(item.payload["case_message_id"]))

    def _reply_chat(self, case_id: int) -> int | None:
        with transaction(self.sessions) as session:
            return desk.reply_chat(session, case_id=case_id)

    def _on_call(self) -> list[int]:
        with transaction(self.sessions) as session:
            return on_call_telegram_ids(session)

    def _due_alerts(self, now: datetime) -> list[CaseView]:
        with transaction(self.sessions) as session:
            return cases_to_alert_again(session, now=now)

    def _queue(self, now: datetime) -> list[tuple[CaseView, timedelta]]:
        with transaction(self.sessions) as session:
            return case_queue(session, now=now)

    def _sent(self, items: list[OutboxItem], now: datetime) -> None:
        with transaction(self.sessions) as session:
            for item in items:
                outbox.mark_sent(session, message_id=item.id, worker_id=self.worker_id, now=now)

    def _skipped(self, items: list[OutboxItem], reason: str) -> None:
        with transaction(self.sessions) as session:
            for item in items:
                outbox.mark_skipped(session, message_id=item.id, worker_id=self.worker_id, reason=reason)

    def _failed(self, items: list[OutboxItem], error: str, now: datetime, retry_after: timedelta | None) -> None:
        with transaction(self.sessions) as session:
            for item in items:
                outbox.mark_failed(
                    session,
                    message_id=item.id,
                    worker_id=self.worker_id,
                    now=now,
                    error=error,
                    retry_after=retry_after or timedelta(seconds=5),
                    permanent=False,
                )

    def _postpone(self, items: list[OutboxItem], until: datetime) -> None:
        with transaction(self.sessions) as session:
            for item in items:
                outbox.postpone(session, message_id=item.id, worker_id=self.worker_id, until=until)


def _retry_after(error: TelegramError) -> timedelta | None:
    if isinstance(error, RetryAfter):
        value: Any = error.retry_after
        return value if isinstance(value, timedelta) else timedelta(seconds=value)
    return None
