"""Outgoing Bot API calls within Telegram's limits (bot layer): per-chat pacing, RetryAfter, network retries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

# Telegram: about 30 messages/s overall, 20/min per group, and about one message per second per private chat
# sustained; short bursts in a private chat are accepted, so each chat gets a small bucket.
OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
PRIVATE_CHAT_PER_SECOND = 1.0
PRIVATE_CHAT_BURST = 8
NETWORK_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)


@dataclass
class TokenBucket:
    """`rate` tokens a second, holding at most `burst`; `take` waits for one."""

    rate: float
    burst: int
    tokens: float = field(init=False)
    updated: float = field(default_factory=time.monotonic)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    async def take(self) -> None:
        """Wait until a token is free, then use it (first come, first served)."""
        async with self.lock:
            now = time.monotonic()
            self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens < 1:
                await asyncio.sleep((1 - self.tokens) / self.rate)
                self.tokens = 1.0
                self.updated = time.monotonic()
            self.tokens -= 1

    def idle(self) -> bool:
        """True once the bucket has refilled: nothing is gained by keeping it."""
        elapsed = time.monotonic() - self.updated
        return not self.lock.locked() and self.tokens + elapsed * self.rate >= self.burst


def _private_chat_id(data: dict[str, Any]) -> int | None:
    with contextlib.suppress(TypeError, ValueError):
        chat_id = int(data.get("chat_id"))  # type: ignore[arg-type]
        return chat_id if chat_id > 0 else None
    return None


def _sends_a_message(endpoint: str) -> bool:
    return endpoint.startswith(("send", "copy", "forward")) and endpoint != "sendChatAction"


class DeliveryLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (overall and group limits, RetryAfter) plus private-chat pacing and network retries."""

    def __init__(
        self,
        *,
        overall_per_second: int = OVERALL_PER_SECOND,
        chat_rate: float = PRIVATE_CHAT_PER_SECOND,
        chat_burst: int = PRIVATE_CHAT_BURST,
        retry_delays: tuple[float, ...] = NETWORK_RETRY_DELAYS,
        max_retry_after_retries: int = 3,
    ) -> None:
        super().__init__(
            overall_max_rate=overall_per_second,
            overall_time_period=1,
            group_max_rate=GROUP_PER_MINUTE,
            group_time_period=60,
            max_retries=max_retry_after_retries,
        )
        self._chat_rate = chat_rate
        self._chat_burst = chat_burst
        self._retry_delays = retry_delays
        self._buckets: dict[int, TokenBucket] = {}

    def _bucket(self, chat_id: int) -> TokenBucket:
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._buckets = {key: value for key, value in self._buckets.items() if not value.idle()}
            bucket = self._buckets[chat_id] = TokenBucket(self._chat_rate, self._chat_burst)
        return bucket

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        """Pace messages to private chats, then send; retry network failures and 5xx with backoff."""
        chat_id = _private_chat_id(data)
        if chat_id is not None and _sends_a_message(endpoint):
            await self._bucket(chat_id).take()
        for attempt, delay in enumerate((*self._retry_delays, None)):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as error:
                if delay is None:
                    raise
                log.warning(
                    "Bot API %s failed (%s), retry %d in %.1f s", endpoint, type(error).__name__, attempt + 1, delay
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
