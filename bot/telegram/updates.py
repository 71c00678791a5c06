"""Inbound update scheduling (bot layer): chats run concurrently, one chat strictly in order, each update once.

Every update is stored (encrypted) in the ledger before Telegram is told it arrived: the update queue stores it
before the poller confirms its offset, or before the webhook answers 200. A process killed at any point leaves
its unhandled updates in the ledger, and the next start handles them, in order, before anything new.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, Update
from telegram.ext import BaseUpdateProcessor

from bot.telegram.flood import FloodGuard, Verdict
from services.inbox import service as inbox
from services.storage.base import utcnow
from services.storage.database import transaction

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_CONCURRENT_UPDATES = 256
# While the database is unreachable (restarting), ledger writes are retried, waiting longer each time up to this.
LEDGER_RETRY_MAX_SECONDS = 5.0
# How often a worker looks whether another worker has finished this chat's earlier update, and for how long.
EARLIER_UPDATE_POLL_SECONDS = 0.05
EARLIER_UPDATE_PATIENCE_SECONDS = 30.0

T = TypeVar("T")


@dataclass
class _ChatQueue:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    admission: asyncio.Lock = field(default_factory=asyncio.Lock)  # flood checks, one at a time in arrival order
    waiting: int = 0


class UpdateLedger:
    """The database record of received and handled updates, shared by every worker (runs off the event loop).

    `chat_secret` keys the hash that groups a chat's updates in the ledger (no chat id is stored in clear).
    """

    def __init__(self, sessions: sessionmaker[Session], chat_secret: bytes) -> None:
        self._sessions = sessions
        self._chat_secret = chat_secret
        self._held: set[int] = set()  # updates this process has received or taken back and not finished

    def chat_key(self, update: object) -> str | None:
        """The keyed hash of the update's chat, or None when it has none."""
        key = ordering_key(update)
        if key is None:
            return None
        return hmac.new(self._chat_secret, f"ledger-chat:{key}".encode(), hashlib.sha256).hexdigest()[:32]

    async def _write(self, operation: Callable[[Session], T]) -> T:
        """Run `operation` in a transaction off the loop, retrying while the database is unreachable."""
        delay = 0.1
        while True:
            try:
                return await asyncio.to_thread(self._in_transaction, operation)
            except OperationalError:
                log.warning("update ledger: database unreachable, retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, LEDGER_RETRY_MAX_SECONDS)

    def _in_transaction(self, operation: Callable[[Session], T]) -> T:
        with transaction(self._sessions) as session:
            return operation(session)

    async def receive(self, update: Update) -> bool:
        """Store an arriving update until handled; False for a redelivery of one already stored."""
        payload = json.dumps(update.to_dict(), ensure_ascii=False)
        chat_key = self.chat_key(update)
        self._held.add(update.update_id)
        return await self._write(
            lambda session: inbox.receive_update(
                session, channel=CHANNEL, update_id=update.update_id, chat_key=chat_key, payload=payload
            )
        )

    async def claim(self, update_id: int) -> bool:
        """True if this update has not been handled (or its handler died); claims it."""
        return await self._write(lambda session: inbox.claim_update(session, channel=CHANNEL, update_id=update_id))

    async def finish(self, update_id: int) -> None:
        """Record the update as handled and drop its stored content."""
        await self._write(lambda session: inbox.finish_update(session, channel=CHANNEL, update_id=update_id))
        self._held.discard(update_id)

    def forget(self, update_id: int) -> None:
        """This process no longer holds the update (another handled it)."""
        self._held.discard(update_id)

    async def keep_alive(self) -> int:
        """Refresh the claim time of every update this process holds, so other workers see it is alive."""
        held = sorted(self._held)
        return await self._write(lambda session: inbox.keep_alive(session, channel=CHANNEL, update_ids=held))

    async def wait_for_earlier(self, update: Update) -> None:
        """Wait until this chat's earlier updates, received by any worker, are handled (gives up after a while)."""
        chat_key = self.chat_key(update)
        if chat_key is None:
            return
        deadline = time.monotonic() + EARLIER_UPDATE_PATIENCE_SECONDS
        while await self._write(
            lambda session: inbox.earlier_unfinished(
                session, channel=CHANNEL, chat_key=chat_key, update_id=update.update_id
            )
        ):
            if time.monotonic() > deadline:
                log.warning("an earlier update of a chat is still unhandled; handling a later one anyway")
                return
            await asyncio.sleep(EARLIER_UPDATE_POLL_SECONDS)

    async def take_back(self, bot: Bot, *, untouched_for: float) -> list[Update]:
        """Updates stored but not handled (their handler died), untouched for `untouched_for` seconds, in order."""
        untouched_since = utcnow() - timedelta(seconds=untouched_for)
        unfinished = await self._write(
            lambda session: inbox.take_back_unfinished(session, channel=CHANNEL, untouched_since=untouched_since)
        )
        self._held.update(item.update_id for item in unfinished)
        return [Update.de_json(json.loads(item.payload), bot) for item in unfinished]

    async def release_unfinished(self) -> int:
        """Forget claims without stored content left by a process that died mid-update (the only poller restarting)."""
        return await self._write(lambda session: inbox.release_unfinished_claims(session, channel=CHANNEL))


class DurableUpdateQueue(asyncio.Queue[object]):
    """The application's update queue: an update is stored in the ledger before it is queued.

    The poller confirms an update to Telegram (the next getUpdates offset) and the webhook answers 200 only
    after `put` returns, so Telegram forgets nothing the ledger does not hold.
    """

    def __init__(self, ledger: UpdateLedger) -> None:
        super().__init__()
        self._ledger = ledger

    async def put(self, item: object) -> None:
        """Store an update, then queue it (anything else, such as PTB's stop signal, is queued as is)."""
        if isinstance(item, Update):
            await self._ledger.receive(item)
        await super().put(item)


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
    With `shared_ledger` (several webhook workers), an update also waits for its chat's earlier updates that
    another worker received.
    """

    def __init__(
        self,
        ledger: UpdateLedger,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
        flood: FloodGuard | None = None,
        *,
        shared_ledger: bool = False,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._ledger = ledger
        self._flood = flood
        self._shared_ledger = shared_ledger
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
                    if isinstance(update, Update):
                        await self._ledger.finish(update.update_id)
                    return
            async with queue.lock:
                if self._shared_ledger and isinstance(update, Update):
                    await self._ledger.wait_for_earlier(update)
                await self._handle_once(update, coroutine)
        finally:
            queue.waiting -= 1
            if queue.waiting == 0:
                del self._queues[key]

    async def _handle_once(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None and not await self._ledger.claim(update_id):
            log.info("update already handled, skipped")
            self._ledger.forget(update_id)
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
