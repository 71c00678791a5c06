"""The test's controls besides sending updates: inject failures, set limits and clock, inspect and wait for calls."""

from __future__ import annotations

import asyncio
import copy
import math
import time
from collections.abc import Callable
from typing import Any

from tests.telegram_standin.limits import TokenBucket
from tests.telegram_standin.records import ApiCall
from tests.telegram_standin.state import StandInState


class StandInControls(StandInState):
    """The test's side of the stand-in (each method takes the lock itself)."""

    def fail_next(self, method: str, status: int, body: dict[str, Any]) -> None:
        """Make the next call of `method` fail with this HTTP status and Bot API body (not counted in `errors`)."""
        with self._lock:
            self.failures.setdefault(method, []).append((status, body))

    def known_chat(self, chat_id: int, **chat: Any) -> None:
        """Let the bot write to a chat it has not seen in an update (as if the user had started the bot earlier)."""
        kind = "private" if chat_id > 0 else "supergroup" if chat_id < -1_000_000_000_000 else "group"
        with self._lock:
            self._chats.setdefault(chat_id, {"id": chat_id, "type": kind, **chat})

    def add_supergroup(self, chat_id: int, *, title: str = "Yoldosh operators", is_forum: bool = True) -> None:
        """A supergroup the bot administers (a forum with topics unless told otherwise)."""
        if chat_id >= 0:
            raise ValueError("supergroup ids are negative, e.g. -1001234567890")
        with self._lock:
            self._chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": title, "is_forum": is_forum}

    def latency(self, seconds: float) -> None:
        """Delay every answer but getUpdates by this round trip (asyncio.sleep: other requests go on meanwhile)."""
        self._latency = seconds

    def limit_per_chat(self, per_second: float, burst: int = 1) -> None:
        """Answer 429 when the bot sends, copies, forwards or edits faster than this in one chat."""
        with self._lock:
            self._chat_limit, self._chat_buckets = (per_second, float(burst)), {}

    def limit_overall(self, per_second: float, burst: int | None = None) -> None:
        """Answer 429 when the bot sends, copies, forwards or edits faster than this across all chats."""
        with self._lock:
            self._overall_bucket = TokenBucket(per_second, float(burst or max(1, math.floor(per_second))))

    def advance_clock(self, seconds: float) -> None:
        """Let time pass for message dates and the 48-hour deletion window."""
        with self._lock:
            self._clock_offset += seconds

    def calls_to(self, method: str) -> list[ApiCall]:
        """Every recorded call of one method, in order."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def messages_in(self, chat_id: int) -> list[dict[str, Any]]:
        """The chat's messages still there (not deleted), oldest first, as Bot API Message objects (copies)."""
        with self._lock:
            live = [message for message in self._messages.get(chat_id, {}).values() if not self._is_deleted(message)]
            return copy.deepcopy(sorted(live, key=lambda message: int(message["message_id"])))

    def max_concurrent(self, method: str) -> int:
        """The most requests of one method the stand-in has had in flight at once."""
        with self._lock:
            return self._most_in_flight.get(method, 0)

    def assert_no_errors(self, *, allow_rate_limits: bool = False) -> None:
        """Fail the test if Telegram would have refused any request."""
        with self._lock:
            refused = [error for error in self.errors if not (allow_rate_limits and error.rate_limited)]
        assert not refused, "Bot API refused: " + "; ".join(f"{e.call.method}: {e.description}" for e in refused)

    def wait_for(self, predicate: Callable[[list[ApiCall]], bool], timeout: float = 10.0) -> list[ApiCall]:
        """Block until `predicate(calls)` holds; fail the test after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate(self.calls):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    methods = [call.method for call in self.calls]
                    raise AssertionError(f"timed out waiting; calls so far: {methods}")
                self._lock.wait(remaining)
            return list(self.calls)

    async def until(self, predicate: Callable[[list[ApiCall]], bool], timeout: float = 10.0) -> list[ApiCall]:
        """Like `wait_for`, but yields to the event loop the bot runs on."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                calls = list(self.calls)
            if predicate(calls):
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting; calls so far: {[call.method for call in calls]}")
            await asyncio.sleep(0.02)
