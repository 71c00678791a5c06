"""Prometheus metrics of the bot process (bot layer): the metric objects and small timers; services never count.

Labels are fixed vocabularies (channel, kind of input, stage, priority, trigger): never a user, a chat or a text.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from prometheus_client import Counter, Histogram

from services.booking.types import AppointmentView
from services.escalation.intake import Escalation
from services.escalation.types import CaseView

TURNS = Counter("yoldosh_turns", "Conversation turns handled, by channel and kind of input", ["channel", "kind"])
TURN_STAGE_SECONDS = Histogram(
    "yoldosh_turn_stage_seconds",
    "Time one stage of a turn took: safety (the safety net), rasa (the NLU round trip), dialogue (the whole "
    "channel-neutral turn, database included), send (rendering and sending the replies)",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RASA_ERRORS = Counter("yoldosh_rasa_errors", "Rasa did not answer in time or answered with an error")
ESCALATIONS = Counter("yoldosh_escalations", "Counselor cases opened, by priority and trigger", ["priority", "trigger"])
CLAIM_SECONDS = Histogram(
    "yoldosh_case_claim_seconds",
    "Time from a case opening to a counselor claiming it, by priority",
    ["priority"],
    buckets=(15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400),
)
BOOKINGS = Counter("yoldosh_bookings", "Appointments booked")


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time the block as one stage of a turn (also when it raises)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        TURN_STAGE_SECONDS.labels(stage=name).observe(time.perf_counter() - started)


P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")


def timed(name: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Decorate a coroutine function: each call is timed as the stage `name`."""

    def decorate(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(function)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with stage(name):
                return await function(*args, **kwargs)

        return wrapper

    return decorate


class _FromChannel(Protocol):
    @property
    def channel(self) -> str: ...


C = TypeVar("C", bound=_FromChannel)


def turn(kind: str) -> Callable[[Callable[Concatenate[S, C, P], R]], Callable[Concatenate[S, C, P], R]]:
    """Decorate a dialogue method taking (self, sender, …): count the turn by the sender's channel and time it."""

    def decorate(method: Callable[Concatenate[S, C, P], R]) -> Callable[Concatenate[S, C, P], R]:
        @functools.wraps(method)
        def wrapper(self: S, sender: C, /, *args: P.args, **kwargs: P.kwargs) -> R:
            TURNS.labels(channel=sender.channel, kind=kind).inc()
            with stage("dialogue"):
                return method(self, sender, *args, **kwargs)

        return wrapper

    return decorate


def case_opened(escalation: Escalation | None) -> None:
    """Count a case that was opened (not one raised or already open)."""
    if escalation is not None and escalation.opened:
        ESCALATIONS.labels(priority=escalation.case.priority.value, trigger=escalation.case.trigger).inc()


def case_claimed(case: CaseView) -> None:
    """Observe how long the case waited for its counselor."""
    if case.claimed_at is not None:
        waited = (case.claimed_at - case.opened_at).total_seconds()
        CLAIM_SECONDS.labels(priority=case.priority.value).observe(max(waited, 0.0))


def booked(appointment: AppointmentView, now: datetime) -> None:
    """Count an appointment booked by this confirmation (a double-tapped Confirm shows one made before)."""
    if appointment.created_at >= now:
        BOOKINGS.inc()
