"""Domain errors of booking (services layer): each transport turns them into a localised message."""

from __future__ import annotations

from services.booking.types import Slot, StateProblem, UnavailableReason


class SlotUnavailableError(Exception):
    """The slot cannot be booked; `alternatives` are the next free slots of the same provider (may be empty)."""

    def __init__(self, reason: UnavailableReason, alternatives: tuple[Slot, ...]) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.alternatives = alternatives


class AppointmentNotFoundError(LookupError):
    """No such appointment for this user."""


class AppointmentStateError(Exception):
    """The appointment's state does not allow this change (`problem` says why)."""

    def __init__(self, problem: StateProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


class IdempotencyKeyReusedError(ValueError):
    """This idempotency key already made a different booking."""


class NoteTooLongError(ValueError):
    """The note is longer than NOTE_MAX_LENGTH characters."""
