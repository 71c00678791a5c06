"""Plain values the privacy services return (services layer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PurgeReport:
    """What one retention purge removed; `tracker_events` is None when Rasa keeps conversations in memory."""

    cutoff: datetime
    case_messages_blanked: int = 0
    cases_purged: int = 0
    erased_cases_deleted: int = 0
    appointment_notes_blanked: int = 0
    booking_drafts_deleted: int = 0
    outbox_deleted: int = 0
    trail_deleted: int = 0
    ledger_deleted: int = 0
    tracker_events: int | None = None

    def summary(self) -> str:
        """One line for logs and the command line: counts only, never content."""
        tracker = "in memory, not purged" if self.tracker_events is None else str(self.tracker_events)
        return (
            f"before {self.cutoff:%Y-%m-%d %H:%M} UTC: {self.case_messages_blanked} case messages blanked in "
            f"{self.cases_purged} closed cases, {self.erased_cases_deleted} cases of erased users deleted, "
            f"{self.appointment_notes_blanked} appointment notes blanked, {self.booking_drafts_deleted} booking "
            f"drafts, {self.outbox_deleted} delivered notifications, {self.trail_deleted} quick-exit ids, "
            f"{self.ledger_deleted} update ledger rows deleted; Rasa tracker events deleted: {tracker}"
        )


@dataclass(frozen=True)
class ErasureReceipt:
    """What erasing a person's data did: whether anything was stored, the cases kept anonymously under a hold,
    the events deleted from Rasa's tracker store (None: it keeps them in memory), and the chat messages the
    channel may still delete (Telegram allows 48 hours)."""

    found: bool
    held_cases: int = 0
    tracker_events: int | None = None
    chat_message_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class DataExport:
    """A person's copy of their data: a JSON document (UTF-8) and when it was made."""

    generated_at: datetime
    document: bytes
    notes_withheld: int = 0
