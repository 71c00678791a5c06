"""Inbound update scheduling (bot layer): chats run concurrently, one chat strictly in order, each update once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.telegram.flood import FloodGuard, Verdict
from services.inbox import service as inbox
from services.storage.database import transaction

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_CONCURRENT_UPDATES = 256


@dataclass
class _ChatQueue:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    admission: asyncio.Lock = field(default_factory=asyncio.Lock)  # flood checks, one at a time in arrival order
    waiting: int = 0


class UpdateLedger:
    """The database record of handled updates, shared by every worker (runs off the event loop)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def _claim(self, update_id: int) -> bool:
        with transaction(self._sessions) as session:
            return inbox.claim_update(session, channel=CHANNEL, update_id=update_id)

    def _finish(self, update_id: int) -> None:
        with transaction(self._sessions) as session:
            inbox.finish_update(session, channel=CHANNEL, update_id=update_id)

    def _release(self) -> int:
        with transaction(self._sessions) as session:
            return inbox.release_unfinished_claims(session, channel=CHANNEL)

    async def claim(self, update_id: int) -> bool:
        """True if this update has not been handled (or its handler died); claims it."""
        return await asyncio.to_thread(self._claim, update_id)

    async def finish(self, update_id: int) -> None:
        """Record the update as handled."""
        await asyncio.to_thread(self._finish, update_id)

    async def release_unfinished(self) -> int:
        """Forget claims left by a process that died mid-update (the only poller restarting)."""
        return await asyncio.to_thread(self._release)


def ordering_key(update: object) -> int | None:
    """The chat whose updates must stay in order; None for updates without one."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Handles updates of different chats concurrently and those of one chat one after another, in arrival order.

    PTB's default handles one update at a time; `concurrent_updates=True` alone would let a user's second
    message overtake the first. Every update is also claimed in the ledger first, so a redelivered update
    (webhook retry, restart after a crash, a second worker) is not handled twice. A chat flooding the bot is
    checked on arrival, before its queue: what `flood` drops never waits in the queue nor holds an update slot.
    """

    def __init__(
        self,
        ledger: UpdateLedger,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
        flood: FloodGuard | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._ledger = ledger
        self._flood = flood
        self._queues: dict[int, _ChatQueue] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Drop a flood, wait for this chat's earlier updates, claim the update, handle it, record it as handled."""
        key = ordering_key(update)
        if key is None:
            await self._handle_once(update, coroutine)
            return
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = _ChatQueue()
        queue.waiting += 1
        try:
            if self._flood is not None:
                async with queue.admission:
                    verdict = await self._flood.judge(update)
                # no await from here to the queue lock: updates join the queue in the order they were judged
                if verdict is Verdict.DROP:
                    if asyncio.iscoroutine(coroutine):
                        coroutine.close()
                    await self._flood.drop(update)
                    return
            async with queue.lock:
                await self._handle_once(update, coroutine)
        finally:
            queue.waiting -= 1
            if queue.waiting == 0:
                del self._queues[key]

    async def _handle_once(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None and not await self._ledger.claim(update_id):
            log.info("update already handled, skipped")
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            return
        try:
            await coroutine
        finally:
            if update_id is not None:
                await self._ledger.finish(update_id)

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""
