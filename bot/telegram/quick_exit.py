"""Quick exit on Telegram (bot layer): delete the chat's recent messages, both sides, within Telegram's 48 hours."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Iterable

from telegram import Bot
from telegram.error import BadRequest

log = logging.getLogger(__name__)

DELETABLE_FOR_SECONDS = 48 * 3600
KEEP_PER_CHAT = 100
KEEP_CHATS = 5_000  # the least recently active chats are forgotten first
DELETE_BATCH = 100  # deleteMessages takes at most 100 ids


class RecentMessages:
    """Recent message ids per chat in this process's memory, bounded; the stored trail covers restarts."""

    def __init__(self, per_chat: int = KEEP_PER_CHAT, chats: int = KEEP_CHATS) -> None:
        self._per_chat = per_chat
        self._chats = chats
        self._trails: OrderedDict[int, deque[tuple[float, int]]] = OrderedDict()

    def add(self, chat_id: int, message_ids: Iterable[int]) -> None:
        """Remember message ids seen in or sent to a chat."""
        trail = self._trails.get(chat_id)
        if trail is None:
            trail = self._trails[chat_id] = deque(maxlen=self._per_chat)
            while len(self._trails) > self._chats:
                self._trails.popitem(last=False)
        self._trails.move_to_end(chat_id)
        now = time.monotonic()
        trail.extend((now, message_id) for message_id in message_ids)

    def take(self, chat_id: int) -> list[int]:
        """The chat's ids still deletable, and forget them."""
        trail = self._trails.pop(chat_id, deque())
        oldest = time.monotonic() - DELETABLE_FOR_SECONDS
        return [message_id for at, message_id in trail if at >= oldest]


async def delete_chat_messages(bot: Bot, chat_id: int, message_ids: Iterable[int]) -> int:
    """Delete these messages in batches; ids Telegram no longer allows are skipped. Returns how many were asked."""
    ids = sorted(set(message_ids))
    for start in range(0, len(ids), DELETE_BATCH):
        try:
            await bot.delete_messages(chat_id, ids[start : start + DELETE_BATCH])
        except BadRequest as error:
            log.warning("quick exit: a batch could not be deleted (%s)", type(error).__name__)
    return len(ids)
