"""Flood limits: token buckets and the 429 answer ("retry after") when one runs dry."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from tests.telegram_standin.records import Refusal


@dataclass
class TokenBucket:
    """A flood limit: `rate` requests a second on average, `capacity` at once."""

    rate: float
    capacity: float
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    def wait(self, now: float) -> float:
        """Seconds until one request is allowed (0 when it is allowed now)."""
        # A bucket made after `now` was read (a chat's first request) must not lose the moment in between.
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = max(now, self.stamp)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


def throttle(buckets: list[TokenBucket], now: float) -> None:
    """Take one request from every bucket, or refuse with 429 and retry_after when one of them is empty."""
    wait = max((bucket.wait(now) for bucket in buckets), default=0.0)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise Refusal(f"Too Many Requests: retry after {seconds}", status=429, retry_after=seconds)
    for bucket in buckets:
        bucket.tokens -= 1
