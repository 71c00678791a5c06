"""`yoldosh report` (bot layer): the supervisor report of a period as Markdown with PNG charts, anonymised."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from bot.reporting.charts import write_charts
from bot.reporting.markdown import render_markdown
from services.config import load_settings
from services.crypto.keys import KeyRing
from services.paths import VAR_DIR
from services.reporting.intents import read_top_intents
from services.reporting.service import build_report
from services.reporting.types import ReportPeriod
from services.storage.database import create_database_engine, read_transaction, session_factory

REPORT_FILE = "report.md"


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-12-03") from None


def _report(arguments: argparse.Namespace) -> int:
    try:
        period = ReportPeriod(first_day=arguments.first_day, last_day=arguments.last_day)
    except ValueError:
        arguments.report_parser.error("--to is before --from")
    settings = load_settings()
    intents = read_top_intents(settings.tracker_database_url(), period=period)
    engine = create_database_engine(settings.database_url, key_ring=KeyRing.from_settings(settings))
    try:
        with read_transaction(session_factory(engine)) as session:
            report = build_report(session, period=period, intents=intents)
    finally:
        engine.dispose()
    directory: Path = arguments.out or VAR_DIR / "reports" / f"{period.first_day}_{period.last_day}"
    charts = write_charts(report, directory)
    path = directory / REPORT_FILE
    path.write_text(render_markdown(report, charts), encoding="utf-8")
    print(path)
    return 0


def register(commands: Any) -> None:
    """Add `report`."""
    report = commands.add_parser(
        "report",
        help="the supervisor report of a period: Markdown and PNG charts, anonymised",
        description="Write aggregated statistics of the days FROM to TO (UTC, both included): people in contact by "
        "language and country, top intents (when Rasa's tracker store keeps them), escalations by priority and "
        "trigger, time to claim, bookings and no-shows. Counts under 5 are suppressed; no pseudonyms, ids or texts. "
        "Prints the path of the Markdown file.",
    )
    report.add_argument(
        "--from", dest="first_day", type=_day, required=True, metavar="YYYY-MM-DD", help="first day (UTC)"
    )
    report.add_argument("--to", dest="last_day", type=_day, required=True, metavar="YYYY-MM-DD", help="last day (UTC)")
    report.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="directory for report.md and the charts (default: var/reports/FROM_TO)",
    )
    report.set_defaults(handler=_report, report_parser=report)
