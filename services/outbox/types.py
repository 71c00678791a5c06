"""Plain values the outbox service returns (services layer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.outbox.models import OutboxStatus


@dataclass(frozen=True)
class NewMessage:
    """A notification to queue: what it is, for whom, when, and the key that makes it unique."""

    kind: str
    user_id: int | None
    payload: dict[str, Any]
    due_at: datetime
    dedupe_key: str


@dataclass(frozen=True)
class OutboxItem:
    """One claimed notification for a delivery worker: what to render (kind, payload ids) and for whom."""

    id: int
    kind: str
    user_id: int | None
    payload: dict[str, Any]
    due_at: datetime
    attempts: int
    dedupe_key: str


@dataclass(frozen=True)
class DeliveryOutcome:
    """What became of an entry a worker reported on; `owned` is False when its claim had been taken over."""

    owned: bool
    status: OutboxStatus | None
    retry_at: datetime | None = None
