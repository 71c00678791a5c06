"""Callback data vocabulary (bot layer): short, stable, never translated; parsed in one place."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGE = "lang"
SHOW_CONSENT = "consent"
CONSENT_ACCEPT = "consent:yes"
CONSENT_DECLINE = "consent:no"
MENU = "menu"
SERVICES = "services"
CATEGORY = "cat"
COUNTRY = "country"
PAGE = "page"
PRIVACY = "privacy"
DELETE_ASK = "delete"
DELETE_CONFIRM = "delete:yes"
CHANGE_LANGUAGE = "language"
CHANGE_COUNTRY = "countries"
QUICK_EXIT = "exit"
MAP = "map"
NEARBY = "near"
EMERGENCY = "sos"
COUNSELOR = "counselor"
MISUNDERSTOOD = "mis"  # argument of COUNSELOR: offered after repeated misunderstanding
BOOK_START = "book"
BOOK = "bk"
BOOK_DAYS = "bkdays"
BOOK_DAY = "bkd"
BOOK_TIME = "bkt"
BOOK_SKIP_NOTE = "bkn"
BOOK_CONFIRM = "bky"
BOOK_ABORT = "bkx"
APPOINTMENTS = "appts"
APPOINTMENT_CANCEL = "apc"
APPOINTMENT_CANCEL_YES = "apcy"
APPOINTMENT_MOVE = "apm"
# The counselors' desk (group chat only): claim, transfer, close, an outcome, a ready reply.
DESK_PREFIX = "dk"
DESK_CLAIM = "dkc"
DESK_TRANSFER = "dkt"
DESK_CLOSE = "dkx"
DESK_OUTCOME = "dko"
DESK_CANNED = "dkn"
# A provider's chat (not a user's): the visitor of appointment N came, or did not (`pvc|N`, `pvm|N`).
VISIT_PREFIX = "pv"
VISIT_CAME = "pvc"
VISIT_MISSED = "pvm"


@dataclass(frozen=True)
class Callback:
    """A parsed callback: the action and its arguments."""

    action: str
    args: tuple[str, ...]


def make(action: str, *args: str | int) -> str:
    """Encode an action and its arguments as callback data."""
    return "|".join((action, *(str(arg) for arg in args)))


def parse(data: str) -> Callback:
    """Decode callback data made by `make`."""
    action, *args = data.split("|")
    return Callback(action=action, args=tuple(args))
