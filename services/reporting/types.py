"""Plain values the supervisor report is made of (services layer): counts only, never a person."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

# Counts from 1 to THRESHOLD - 1 are never shown: fewer people than this could be recognised.
THRESHOLD = 5
# The label of a group whose value was not recorded (no language chosen yet, no country given).
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ReportPeriod:
    """Whole UTC days from `first_day` to `last_day`, both included."""

    first_day: date
    last_day: date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError("the period ends before it starts")

    @property
    def start(self) -> datetime:
        """The first moment of the period (UTC)."""
        return datetime.combine(self.first_day, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period (UTC, excluded)."""
        return datetime.combine(self.last_day + timedelta(days=1), time(), tzinfo=UTC)


class Suppression(enum.StrEnum):
    """Why a count is not shown."""

    # 1 to 4: shown as "<5".
    SMALL = "small"
    # 5 or more, withheld so that the total and the other rows cannot give a small group away: shown as "≥5".
    COMPLEMENTARY = "complementary"


@dataclass(frozen=True)
class Cell:
    """One group of a breakdown: its label and count, or why the count is not shown (then `count` is None)."""

    label: str
    count: int | None
    suppression: Suppression | None = None


@dataclass(frozen=True)
class Breakdown:
    """A total split into groups, with small groups suppressed.

    `total` is None when it is itself under the threshold. `hidden` is the sum of the suppressed groups when it reaches
    the threshold (a chart may show it as "other"), else None. `withheld` means no group can be shown at all without
    giving a small one away (then `cells` is empty).
    """

    total: int | None
    cells: tuple[Cell, ...]
    hidden: int | None = None
    withheld: bool = False

    def shown(self) -> tuple[Cell, ...]:
        """The groups whose count is shown and not zero."""
        return tuple(cell for cell in self.cells if cell.count)


@dataclass(frozen=True)
class ClaimTime:
    """How long cases of one priority waited for a counselor (opening to the latest claim); no times (None) when
    fewer than THRESHOLD were claimed. The number claimed is not given: with the cases by priority it could give a
    suppressed count away."""

    priority: str
    median: timedelta | None
    p90: timedelta | None


class IntentSource(enum.StrEnum):
    """Whether Rasa's tracker store could tell which intents people had."""

    RECORDED = "recorded"
    IN_MEMORY = "in_memory"  # TRACKER_STORE_URL=memory: Rasa keeps conversations only while it runs
    NO_EVENTS = "no_events"  # the tracker store has no events table (yet)
    UNREADABLE = "unreadable"  # the tracker store could not be reached


@dataclass(frozen=True)
class IntentCount:
    """How many messages Rasa understood as one intent, from how many people (both at least the threshold)."""

    intent: str
    messages: int
    people: int


@dataclass(frozen=True)
class TopIntents:
    """The most frequent intents of the period; `unlisted` intents each came from fewer than THRESHOLD people."""

    source: IntentSource
    intents: tuple[IntentCount, ...] = ()
    unlisted: int = 0


@dataclass(frozen=True)
class SupervisorReport:
    """Every statistic of one period, already suppressed: safe to print, chart and hand on."""

    period: ReportPeriod
    generated_at: datetime
    people_new_or_returning: Breakdown
    people_by_locale: Breakdown
    people_by_country: Breakdown
    top_intents: TopIntents
    cases_by_priority: Breakdown
    cases_by_trigger: Breakdown
    time_to_claim: tuple[ClaimTime, ...]
    appointments_by_status: Breakdown
    no_show_rate: float | None
    new_bookings: int | None  # None: 1 to 4
