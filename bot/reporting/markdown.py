"""The supervisor report as Markdown (bot layer): tables of suppressed counts, the charts beside them, plain words on
what the numbers do and do not say."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.reporting import labels
from services.reporting.types import THRESHOLD, Breakdown, IntentSource, SupervisorReport, TopIntents

INTENT_GAPS = {
    IntentSource.IN_MEMORY: "Not recorded: Rasa keeps conversations only in its memory (`TRACKER_STORE_URL=memory`), "
    "so no intents can be counted.",
    IntentSource.NO_EVENTS: "Not recorded: Rasa's tracker store has no conversations yet (its `events` table does not "
    "exist).",
    IntentSource.UNREADABLE: "Not available: Rasa's tracker store (`TRACKER_STORE_URL`) could not be read.",
}


def _cell_text(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _image(charts: Mapping[str, str], name: str, title: str) -> list[str]:
    return [f"![{title}]({charts[name]})", ""] if name in charts else []


def _breakdown(
    breakdown: Breakdown,
    heading: str,
    unit: str,
    label: Callable[[str], str],
    charts: Mapping[str, str],
    chart: str,
    *,
    column: str | None = None,
) -> list[str]:
    lines = [f"### {heading}", ""]
    if breakdown.withheld:
        return [
            *lines,
            f"Not broken down: with so few {unit}, any split would give a group under {THRESHOLD} away.",
            "",
        ]
    if not breakdown.cells:
        return [*lines, f"No {unit} in the period.", ""]
    lines += [f"| {column or heading.lower()} | {unit} |", "|---|---:|"]
    lines += [f"| {_cell_text(label(cell.label))} | {labels.cell_count(cell)} |" for cell in breakdown.cells]
    lines += [f"| **total** | **{labels.count(breakdown.total)}** |", ""]
    return lines + _image(charts, chart, heading)


def _people(report: SupervisorReport, charts: Mapping[str, str]) -> list[str]:
    total = report.people_by_locale.total
    lines = [
        "## People in contact",
        "",
        f"People whose first or latest contact with Yoldosh falls in the period: **{labels.count(total)}**. The "
        "database keeps only these two moments per person, so someone who wrote in this period and again later is "
        "counted in the later period only (unless their first contact was in this one). Erased people are not counted.",
        "",
    ]
    lines += _breakdown(
        report.people_new_or_returning, "New or returning", "people", labels.contact_label, charts, "", column="contact"
    )
    lines += _breakdown(report.people_by_locale, "Language", "people", labels.locale_label, charts, "people_by_locale")
    lines += _breakdown(
        report.people_by_country, "Country", "people", labels.country_label, charts, "people_by_country"
    )
    return lines


def _intents(intents: TopIntents, charts: Mapping[str, str]) -> list[str]:
    lines = ["## Top intents", ""]
    if intents.source is not IntentSource.RECORDED:
        return [*lines, INTENT_GAPS[intents.source], ""]
    lines += [
        "What the assistant understood people's messages to be about, from Rasa's tracker store. Rasa's events are "
        "deleted after `DATA_RETENTION_DAYS`, so older periods show fewer or none.",
        "",
    ]
    if intents.intents:
        lines += ["| intent | messages | people |", "|---|---:|---:|"]
        lines += [f"| `{_cell_text(item.intent)}` | {item.messages} | {item.people} |" for item in intents.intents]
        lines.append("")
    else:
        lines += [f"No intent came from {THRESHOLD} people or more.", ""]
    if intents.unlisted:
        lines += [
            f"{intents.unlisted} more intent(s) not listed: each from fewer than {THRESHOLD} people, or below the top.",
            "",
        ]
    return lines + _image(charts, "top_intents", "Top intents")


def _cases(report: SupervisorReport, charts: Mapping[str, str]) -> list[str]:
    lines = [
        "## Escalations to counselors",
        "",
        f"Cases opened in the period: **{labels.count(report.cases_by_priority.total)}** (priority as it stands now: a "
        "case raised to urgent counts as urgent).",
        "",
    ]
    lines += _breakdown(report.cases_by_priority, "Priority", "cases", str, charts, "cases_by_priority")
    lines += _breakdown(report.cases_by_trigger, "Trigger", "cases", labels.trigger_label, charts, "cases_by_trigger")
    lines += [
        "### Time to claim",
        "",
        "From a case's opening to its claim by a counselor (to the latest claim, when a case was transferred), for the "
        f"cases opened in the period and claimed since. No times for fewer than {THRESHOLD} claimed cases; the 90th "
        "percentile is the nearest-rank one.",
        "",
        "| priority | median | 90th percentile |",
        "|---|---:|---:|",
    ]
    for time in report.time_to_claim:
        if time.median is None:
            lines.append(f"| {time.priority} | fewer than {THRESHOLD} claimed | |")
            continue
        lines.append(f"| {time.priority} | {labels.duration(time.median)} | {labels.duration(time.p90)} |")
    lines.append("")
    return lines + _image(charts, "time_to_claim", "Time to claim")


def _bookings(report: SupervisorReport, charts: Mapping[str, str]) -> list[str]:
    lines = ["## Bookings", ""]
    lines += _breakdown(
        report.appointments_by_status,
        "Appointments in the period",
        "appointments",
        labels.status_label,
        charts,
        "appointments_by_status",
        column="status",
    )
    if report.no_show_rate is None:
        rate = f"not shown (too few visits marked, or a count under {THRESHOLD})"
    else:
        rate = f"**{report.no_show_rate:.0%}** of the visits marked attended or missed"
    lines += [
        "Appointments are counted by the day of the visit; a visit the user moved counts once as moved, and its new "
        "time again under its own status.",
        "",
        f"No-shows: {rate}.",
        "",
        f"New bookings made in the period (for any day, moves not counted): **{labels.count(report.new_bookings)}**.",
        "",
    ]
    return lines


def render_markdown(report: SupervisorReport, charts: Mapping[str, str]) -> str:
    """The whole report; `charts` maps chart names to the PNG files beside the Markdown (`charts.write_charts`)."""
    period = report.period
    lines = [
        f"# Yoldosh supervisor report: {period.first_day.isoformat()} to {period.last_day.isoformat()}",
        "",
        f"Period: {period.first_day.isoformat()} 00:00 to {period.last_day.isoformat()} 24:00 UTC, both days included. "
        f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC.",
        "",
        f"Aggregated and anonymised: no names, pseudonyms, ids or messages. A count from 1 to {THRESHOLD - 1} is shown "
        f'as "{labels.SMALL}"; where a total and the other rows would still give such a group away, one more group is '
        f'withheld and shown as "{labels.WITHHELD}". Charts show only exact counts of {THRESHOLD} or more, the '
        'withheld groups together as "other" when they reach it.',
        "",
    ]
    lines += _people(report, charts)
    lines += _intents(report.top_intents, charts)
    lines += _cases(report, charts)
    lines += _bookings(report, charts)
    return "\n".join(lines).rstrip() + "\n"
