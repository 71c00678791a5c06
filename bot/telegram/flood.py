"""Inbound flood control (bot layer): a token bucket per private chat, checked as each update arrives.

A person who writes faster than Yoldosh can read gets one calm "slow down" message; what they send beyond that
is dropped unanswered until their bucket has refilled. Nothing that may be a cry for help is ever dropped: a text
or caption the safety net rates urgent, the quick exit and the emergency button always go through.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.dialogue import callbacks as cb
from bot.telegram.context import YoldoshContext
from bot.telegram.handlers import send_replies, sender_of
from bot.telegram.quick_exit import RecentMessages
from services.safety.scanner import scan_message

log = logging.getLogger(__name__)

# About one message a second sustained, with room for a burst of ten at once. A Telegram album (forwarded
# photos or documents) holds at most ten items and arrives as ten updates in the same instant; a person typing
# on a phone, however upset, sends far less than a message a second for long; and Telegram lets a bot write to
# a private chat only about once a second, so answering faster would only queue replies (DeliveryLimiter).
FLOOD_RATE_PER_SECOND = 1.0
FLOOD_BURST = 10
MAX_TRACKED_CHATS = 10_000  # least recently active chats are forgotten first (a forgotten chat starts full)

EXIT_COMMAND = "/exit"
ALWAYS_ANSWERED_BUTTONS = frozenset({cb.QUICK_EXIT, cb.EMERGENCY})


class Verdict(enum.Enum):
    """What to do with an arriving update."""

    ADMIT = "admit"  # handle it as usual
    WARN = "warn"  # the first one over the limit: answer with the slow-down message instead
    DROP = "drop"  # over the limit and already warned: leave it unanswered


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False
    warn_update_id: int | None = None


class FloodGuard:
    """Per-chat token buckets (`rate` a second, `burst` at most) in a bounded least-recently-used table."""

    def __init__(
        self,
        *,
        rate: float = FLOOD_RATE_PER_SECOND,
        burst: int = FLOOD_BURST,
        max_chats: int = MAX_TRACKED_CHATS,
        clock: Callable[[], float] = time.monotonic,
        recent: RecentMessages | None = None,
    ) -> None:
        if rate <= 0 or burst < 1 or max_chats < 1:
            raise ValueError("flood control needs a positive rate, a burst of at least 1 and room for a chat")
        self._rate, self._burst, self._max_chats, self._clock = rate, float(burst), max_chats, clock
        self._recent = recent
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def _bucket(self, chat_id: int, now: float) -> _Bucket:
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            bucket = self._buckets[chat_id] = _Bucket(tokens=self._burst, updated=now)
            while len(self._buckets) > self._max_chats:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(chat_id)
            bucket.tokens = min(self._burst, bucket.tokens + max(0.0, now - bucket.updated) * self._rate)
            bucket.updated = now
            if bucket.tokens >= self._burst:  # quiet long enough: a new flood gets a new warning
                bucket.warned = False
        return bucket

    def has_room(self, chat_id: int) -> bool:
        """True if this chat may send one more message now (nothing is counted)."""
        return self._bucket(chat_id, self._clock()).tokens >= 1

    def check(self, chat_id: int, update_id: int | None = None, *, exempt: bool = False) -> Verdict:
        """Count one message of this chat; an exempt one is admitted even over the limit."""
        bucket = self._bucket(chat_id, self._clock())
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Verdict.ADMIT
        if exempt:
            return Verdict.ADMIT
        if bucket.warned:
            return Verdict.DROP
        bucket.warned, bucket.warn_update_id = True, update_id
        return Verdict.WARN

    async def judge(self, update: object) -> Verdict:
        """The verdict on an arriving update; the safety net reads it (off the event loop) only when over the limit.

        Call it for one chat's updates one at a time, in arrival order (PerChatUpdateProcessor does).
        """
        chat_id = guarded_chat(update)
        if chat_id is None:
            return Verdict.ADMIT
        assert isinstance(update, Update)
        exempt = False if self.has_room(chat_id) else await asyncio.to_thread(must_answer, update)
        verdict = self.check(chat_id, update.update_id, exempt=exempt)
        if verdict is Verdict.DROP:
            log.info("flood: an update left unanswered")
        return verdict

    async def drop(self, update: object) -> None:
        """Leave a dropped update unanswered, yet remember it for the quick exit and stop a tapped button's spinner."""
        if not isinstance(update, Update):
            return
        if update.message is not None and update.effective_chat is not None and self._recent is not None:
            self._recent.add(update.effective_chat.id, [update.message.message_id])
        await acknowledge(update)

    def take_warning(self, chat_id: int, update_id: int) -> bool:
        """True (once) if this update is the one to be answered with the slow-down message."""
        bucket = self._buckets.get(chat_id)
        if bucket is None or bucket.warn_update_id != update_id:
            return False
        bucket.warn_update_id = None
        return True


async def acknowledge(update: object) -> None:
    """A dropped button tap is still answered, so the client's spinner stops (an expired query may be refused)."""
    if isinstance(update, Update) and update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()


def guarded_chat(update: object) -> int | None:
    """The private chat whose messages and button taps are counted; None for anything else (groups, edits)."""
    if not isinstance(update, Update) or (update.message is None and update.callback_query is None):
        return None
    chat = update.effective_chat
    return chat.id if chat is not None and chat.type == ChatType.PRIVATE else None


def must_answer(update: Update) -> bool:
    """Never dropped: the quick exit, the emergency button, and any text or caption the safety net rates urgent."""
    if update.callback_query is not None:
        return cb.parse(update.callback_query.data or "").action in ALWAYS_ANSWERED_BUTTONS
    message = update.message
    if message is None:
        return False
    text = message.text or ""
    words = text.split()
    if words and words[0].startswith("/"):
        if words[0].split("@")[0].lower() == EXIT_COMMAND:
            return True
        if len(words) == 1:  # a bare command carries no words of the user's own (the dialogue does not scan it)
            return False
    content = text or message.caption or ""
    return bool(content) and scan_message(content).is_urgent


def register(application: Application[Any, Any, Any, Any, Any, Any], guard: FloodGuard) -> None:
    """Answer the update chosen for the slow-down message with it, before (and instead of) any other handler."""

    async def slow_down(update: Update, context: YoldoshContext) -> None:
        chat_id = guarded_chat(update)
        if chat_id is None or not guard.take_warning(chat_id, update.update_id):
            return
        log.info("flood: asked to slow down")
        await acknowledge(update)
        replies = await asyncio.to_thread(context.dialogue.slow_down, sender_of(update))
        await send_replies(update, context, replies)
        raise ApplicationHandlerStop

    application.add_handler(TypeHandler(Update, slow_down), group=-1)
