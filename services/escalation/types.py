"""Plain values the escalation service returns (services layer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.escalation.models import CasePriority, CaseStatus, CounselorRole, MessageDirection


@dataclass(frozen=True)
class CounselorView:
    """A registered counselor or supervisor; the alias is what users see."""

    id: int
    alias: str
    role: CounselorRole
    active: bool
    on_call: bool = False


@dataclass(frozen=True)
class CaseView:
    """One escalation case as the desk shows it: never a name, a chat id or a Telegram id."""

    id: int
    priority: CasePriority
    status: CaseStatus
    trigger: str
    category: str | None
    locale: str
    user_code: str
    topic_id: int | None
    opened_at: datetime
    claimed_at: datetime | None
    claimed_by: CounselorView | None
    closed_at: datetime | None
    outcome: str | None
    card_message_id: int | None = None
    # A documented hold (services.escalation.holds): kept through the retention purge and the user's erasure.
    held_at: datetime | None = None
    hold_reason: str | None = None

    @property
    def is_active(self) -> bool:
        """Open or claimed: the user's messages belong to the counselors."""
        return self.status is not CaseStatus.CLOSED


@dataclass(frozen=True)
class CaseEntry:
    """One message of a case transcript."""

    direction: MessageDirection
    content_type: str
    body: str | None
    at: datetime
    id: int = 0
    counselor_alias: str | None = None
