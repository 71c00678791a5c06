"""`yoldosh agenda` (bot layer): a provider's bookings of one day as text, CSV or iCalendar (RFC 5545), and
`yoldosh agenda mark` for providers without Telegram: whether a visitor came.

People appear only as visit codes derived from their pseudonym: no name, Telegram id or chat id.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.booking.agenda import provider_agenda
from services.booking.attendance import AmbiguousVisitError, VisitNotFoundError, find_visit, record_attendance
from services.booking.errors import AppointmentNotFoundError, AppointmentStateError
from services.booking.types import Agenda, StateProblem
from services.config import load_settings
from services.crypto.keys import KeyRing
from services.directory.service import ProviderNotFoundError
from services.storage.base import utcnow
from services.storage.database import create_database_engine, session_factory, transaction

ICS_LINE_OCTETS = 75
MARK_REFUSALS = {
    StateProblem.CANCELLED: "it was cancelled",
    StateProblem.NOT_STARTED: "it has not started yet",
    StateProblem.CLOSED: "it is already marked attended",
    StateProblem.STARTED: "it has started",
}


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def render_text(agenda: Agenda) -> str:
    """One line per booking: local start–end, appointment number, visit code, status, note."""
    zone = ZoneInfo(agenda.timezone)
    count = len(agenda.entries)
    lines = [f"{agenda.provider_id} · {agenda.day.isoformat()} ({agenda.timezone}) · {count} booking(s)"]
    for entry in agenda.entries:
        span = f"{entry.starts_at.astimezone(zone):%H:%M}–{entry.ends_at.astimezone(zone):%H:%M}"
        line = f"{span}  #{entry.appointment_id:<6} {entry.visit_code}  {entry.status.value:<9} {_one_line(entry.note)}"
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


def render_csv(agenda: Agenda) -> str:
    """CSV with a header row; times are local to the provider, with their UTC offset."""
    zone = ZoneInfo(agenda.timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["appointment", "starts_at", "ends_at", "visit_code", "status", "note"])
    for entry in agenda.entries:
        writer.writerow(
            [
                entry.appointment_id,
                entry.starts_at.astimezone(zone).isoformat(timespec="minutes"),
                entry.ends_at.astimezone(zone).isoformat(timespec="minutes"),
                entry.visit_code,
                entry.status.value,
                entry.note or "",
            ]
        )
    return buffer.getvalue()


def _ics_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """Split a content line into lines of at most 75 octets, never inside a UTF-8 character (§3.1)."""
    parts: list[str] = []
    current, size, limit = "", 0, ICS_LINE_OCTETS
    for character in line:
        width = len(character.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = " ", 1, ICS_LINE_OCTETS
        current += character
        size += width
    parts.append(current)
    return parts


def _ics_time(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")


def render_ics(agenda: Agenda, *, now: datetime) -> str:
    """A VCALENDAR with one VEVENT per booking, times in UTC, CRLF line ends, lines folded at 75 octets."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Yoldosh//Provider agenda//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for entry in agenda.entries:
        lines += [
            "BEGIN:VEVENT",
            f"UID:yoldosh-appointment-{entry.appointment_id}@{agenda.provider_id}",
            f"DTSTAMP:{_ics_time(now)}",
            f"DTSTART:{_ics_time(entry.starts_at)}",
            f"DTEND:{_ics_time(entry.ends_at)}",
            f"SUMMARY:{_ics_text(f'Yoldosh {entry.visit_code}')}",
            "STATUS:CONFIRMED",
            f"X-YOLDOSH-STATUS:{entry.status.value.upper()}",
        ]
        if entry.note:
            lines.append(f"DESCRIPTION:{_ics_text(entry.note)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-12-03") from None


def _agenda(arguments: argparse.Namespace) -> int:
    if arguments.provider is None or arguments.date is None:
        arguments.agenda_parser.error("the following arguments are required: --provider, --date")
    settings = load_settings()
    engine = create_database_engine(settings.database_url, key_ring=KeyRing.from_settings(settings))
    try:
        with transaction(session_factory(engine)) as session:
            agenda = provider_agenda(session, provider_id=arguments.provider, day=arguments.date)
    except ProviderNotFoundError:
        print(f"yoldosh: no provider with id {arguments.provider!r}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if arguments.format == "csv":
        sys.stdout.write(render_csv(agenda))
    elif arguments.format == "ics":
        sys.stdout.write(render_ics(agenda, now=utcnow()))
    else:
        sys.stdout.write(render_text(agenda))
    return 0


def _mark(arguments: argparse.Namespace) -> int:
    settings = load_settings()
    engine = create_database_engine(settings.database_url, key_ring=KeyRing.from_settings(settings))
    attended = bool(arguments.attended)
    try:
        with transaction(session_factory(engine)) as session:
            now = utcnow()
            visit = find_visit(session, reference=arguments.booking, provider_id=arguments.mark_provider, now=now)
            visit = record_attendance(session, appointment_id=visit.id, attended=attended, now=now)
    except (VisitNotFoundError, AppointmentNotFoundError):
        print(f"yoldosh: no visit {arguments.booking!r} (an agenda number, or a recent visit code)", file=sys.stderr)
        return 1
    except AmbiguousVisitError:
        print(f"yoldosh: visit code {arguments.booking!r} is at several providers; add --provider ID", file=sys.stderr)
        return 1
    except AppointmentStateError as error:
        print(f"yoldosh: visit {arguments.booking!r} not marked: {MARK_REFUSALS[error.problem]}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    local = visit.local_starts_at
    print(f"#{visit.id} {visit.visit_code} {local:%Y-%m-%d %H:%M} ({visit.timezone}): {visit.status.value}")
    return 0


def register(commands: Any) -> None:
    """Add `agenda` and `agenda mark`."""
    agenda = commands.add_parser(
        "agenda",
        help="a provider's bookings of one day; `agenda mark` records whether a visitor came",
        description="Print a provider's bookings of one local day: visit codes (no names or Telegram ids) and notes."
        " `yoldosh agenda mark --booking CODE --attended|--missed` records whether a visitor came.",
    )
    agenda.add_argument("--provider", metavar="ID", help="provider id, as in content/directory (required)")
    agenda.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="the provider's local date (required)")
    agenda.add_argument("--format", choices=("text", "csv", "ics"), default="text", help="output (default: text)")
    agenda.set_defaults(handler=_agenda, agenda_parser=agenda)
    actions = agenda.add_subparsers(dest="agenda_command", metavar="mark")
    mark = actions.add_parser(
        "mark",
        help="record that a visitor came or did not come",
        description="Record whether a visitor came. A missed visit may ask the counselors to follow up, if the"
        " visitor agreed to that.",
    )
    mark.add_argument(
        "--booking", required=True, metavar="CODE", help="the visit's number on the agenda (#42) or its visit code"
    )
    mark.add_argument("--provider", dest="mark_provider", metavar="ID", help="the provider (when a code is ambiguous)")
    outcome = mark.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--attended", action="store_true", help="the visitor came")
    outcome.add_argument("--missed", action="store_true", help="the visitor did not come")
    mark.set_defaults(handler=_mark)
