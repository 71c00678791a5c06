"""PNG charts of the supervisor report (bot layer): matplotlib's Agg renderer, no display, no network.

A chart shows only counts the tables show exactly; suppressed groups are merged into "other" when together they
reach the threshold (the tables' total gives that sum away anyway), else left out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.reporting import labels
from services.reporting.types import Breakdown, ClaimTime, SupervisorReport, TopIntents

OTHER = "other (suppressed groups)"
BAR_COLOUR = "#3b6ea5"
OTHER_COLOUR = "#9a9a9a"
P90_COLOUR = "#a5c3e0"


def breakdown_bars(breakdown: Breakdown, label: Callable[[str], str]) -> list[tuple[str, int]]:
    """(label, count) of the groups shown exactly, then "other" when the suppressed ones reach the threshold."""
    bars = [(label(cell.label), cell.count) for cell in breakdown.shown() if cell.count is not None]
    if breakdown.hidden is not None:
        bars.append((OTHER, breakdown.hidden))
    return bars


def _save(figure: Figure, path: Path) -> None:
    FigureCanvasAgg(figure)
    figure.savefig(path, format="png", dpi=100, metadata={"Software": None})


def _horizontal_bars(path: Path, title: str, unit: str, bars: list[tuple[str, int]]) -> None:
    figure = Figure(figsize=(7.5, 1.2 + 0.45 * len(bars)), layout="constrained")
    axes = figure.subplots()
    names = [name for name, _ in reversed(bars)]
    values = [value for _, value in reversed(bars)]
    colours = [OTHER_COLOUR if name == OTHER else BAR_COLOUR for name in names]
    drawn = axes.barh(names, values, color=colours)
    axes.bar_label(drawn, padding=3)
    axes.set_title(title)
    axes.set_xlabel(unit)
    axes.margins(x=0.12)
    axes.spines[["top", "right"]].set_visible(False)
    _save(figure, path)


def _claim_chart(path: Path, times: tuple[ClaimTime, ...]) -> bool:
    shown = [time for time in times if time.median is not None and time.p90 is not None]
    if not shown:
        return False
    figure = Figure(figsize=(7.5, 3.6), layout="constrained")
    axes = figure.subplots()
    positions = range(len(shown))
    medians = [time.median.total_seconds() / 60 for time in shown if time.median is not None]
    p90s = [time.p90.total_seconds() / 60 for time in shown if time.p90 is not None]
    axes.bar([p - 0.2 for p in positions], medians, width=0.4, label="median", color=BAR_COLOUR)
    axes.bar([p + 0.2 for p in positions], p90s, width=0.4, label="90th percentile", color=P90_COLOUR)
    axes.set_xticks(list(positions), [time.priority for time in shown])
    axes.set_ylabel("minutes from opening to claim")
    axes.set_title("Time to claim by priority")
    axes.legend(frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    _save(figure, path)
    return True


def _intent_bars(intents: TopIntents) -> list[tuple[str, int]]:
    return [(intent.intent, intent.messages) for intent in intents.intents]


def write_charts(report: SupervisorReport, directory: Path) -> dict[str, str]:
    """Draw every chart that has something to show into `directory`; returns chart name → file name."""
    directory.mkdir(parents=True, exist_ok=True)
    charts = {
        "people_by_locale": (
            "People by language",
            "people",
            breakdown_bars(report.people_by_locale, labels.locale_label),
        ),
        "people_by_country": (
            "People by country",
            "people",
            breakdown_bars(report.people_by_country, labels.country_label),
        ),
        "top_intents": ("Top intents", "messages", _intent_bars(report.top_intents)),
        "cases_by_priority": ("Cases by priority", "cases", breakdown_bars(report.cases_by_priority, str)),
        "cases_by_trigger": (
            "Cases by trigger",
            "cases",
            breakdown_bars(report.cases_by_trigger, labels.trigger_label),
        ),
        "appointments_by_status": (
            "Appointments by status",
            "appointments",
            breakdown_bars(report.appointments_by_status, labels.status_label),
        ),
    }
    written: dict[str, str] = {}
    for name, (title, unit, bars) in charts.items():
        if bars:
            _horizontal_bars(directory / f"{name}.png", title, unit, bars)
            written[name] = f"{name}.png"
    if _claim_chart(directory / "time_to_claim.png", report.time_to_claim):
        written["time_to_claim"] = "time_to_claim.png"
    for name in (*charts, "time_to_claim"):
        if name not in written:
            (directory / f"{name}.png").unlink(missing_ok=True)  # left by an earlier run of the same directory
    return written
