"""What the counselors' desk shows (bot layer): topic titles, case cards, the queue, alerts, ready replies.

Texts are in the desk's language; the user's own words appear as they wrote them. Nothing here names the user:
cases are known by number and a short pseudonymous code.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from bot.dialogue import callbacks as cb
from bot.dialogue.desk_vocabulary import CANNED_REPLIES, OUTCOMES
from bot.dialogue.replies import Button, Reply, rows
from services.escalation.desk import CaseCard
from services.escalation.models import CasePriority, CaseStatus, MessageDirection
from services.escalation.types import CaseEntry, CaseView
from services.i18n.catalogs import N_, Translator
from services.i18n.formatting import format_clock, format_moment, format_number
from services.i18n.locales import LANGUAGE_NAMES

TOPIC_TITLE_MAX = 128
QUOTE_MAX = 600

PRIORITY_LABELS = {
    CasePriority.URGENT: N_("urgent"),
    CasePriority.HIGH: N_("high"),
    CasePriority.NORMAL: N_("normal"),
}
PRIORITY_MARKS = {CasePriority.URGENT: "🔴", CasePriority.HIGH: "🟠", CasePriority.NORMAL: "🟢"}
TRIGGER_LABELS = {
    "safety_net": N_("the safety net found danger in a message"),
    "crisis_intent": N_("the assistant understood a crisis"),
    "request": N_("the user asked for a person"),
    "misunderstanding": N_("the assistant kept misunderstanding"),
    "follow_up": N_("follow-up of a missed appointment"),
}
ENTRY_MARKS = {MessageDirection.FROM_USER: "👤", MessageDirection.TO_USER: "💬", MessageDirection.NOTE: "📝"}


def visible(text: str) -> str:
    """Text without control, format (bidi) or private characters: safe in a title or a card line."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == "\n")


def _minutes(_: Translator, waited: timedelta) -> str:
    minutes = max(0, int(waited.total_seconds() // 60))
    return _.ngettext("{count} minute", "{count} minutes", minutes).format(count=format_number(minutes, _.locale))


def topic_title(_: Translator, case: CaseView) -> str:
    """The topic's name: case number, priority and locale, never anything about the person."""
    title = f"#{case.id} · {_(PRIORITY_LABELS[case.priority])} · {case.locale}"
    return visible(title)[:TOPIC_TITLE_MAX]


def _entry_line(_: Translator, entry: CaseEntry, timezone: str) -> str:
    clock = format_clock(entry.at, _.locale, timezone)
    body = visible(entry.body or "")[:QUOTE_MAX]
    kind = "" if entry.content_type == "text" else f"[{entry.content_type}] "
    who = (
        f"{entry.counselor_alias}: "
        if entry.counselor_alias and entry.direction is not MessageDirection.FROM_USER
        else ""
    )
    return f"{clock} {ENTRY_MARKS[entry.direction]} {who}{kind}{body}".rstrip()


def _status_line(_: Translator, case: CaseView) -> str:
    if case.status is CaseStatus.CLOSED:
        outcome = _(OUTCOMES.get(case.outcome or "other", OUTCOMES["other"]))
        return _("Closed: {outcome}").format(outcome=outcome)
    if case.claimed_by is not None:
        return _("Claimed by {name}").format(name=case.claimed_by.alias)
    return _("Waiting for a counselor")


def case_buttons(_: Translator, case: CaseView) -> tuple[tuple[Button, ...], ...]:
    """Claim while the case waits; Transfer and Close once claimed; nothing once closed."""
    if case.status is CaseStatus.OPEN:
        return rows(Button(_("Claim"), cb.make(cb.DESK_CLAIM, case.id)))
    if case.status is CaseStatus.CLAIMED:
        return rows(
            Button(_("Transfer"), cb.make(cb.DESK_TRANSFER, case.id)),
            Button(_("Close"), cb.make(cb.DESK_CLOSE, case.id)),
            per_row=2,
        )
    return ()


def case_card(_: Translator, card: CaseCard, *, timezone: str, now: datetime) -> Reply:
    """The case card: priority, language, reason, code, recent messages, earlier cases, appointments."""
    case = card.case
    language = LANGUAGE_NAMES.get(case.locale, case.locale)
    lines = [
        f"{PRIORITY_MARKS[case.priority]} "
        + _("Case #{number} · {priority}").format(number=case.id, priority=_(PRIORITY_LABELS[case.priority])),
        _("Language: {language}").format(language=f"{language} ({case.locale})"),
        _("Why: {reason}").format(reason=_(TRIGGER_LABELS.get(case.trigger, case.trigger))),
    ]
    if case.category:
        lines.append(_("Category: {category}").format(category=case.category.replace("_", " ")))
    lines += [
        _("User code: {code}").format(code=case.user_code),
        _("Opened {when} ({waited} ago)").format(
            when=format_clock(case.opened_at, _.locale, timezone), waited=_minutes(_, now - case.opened_at)
        ),
        _status_line(_, case),
        "",
        _("Recent messages:") if card.transcript else _("No messages yet."),
        *(_entry_line(_, entry, timezone) for entry in card.transcript),
    ]
    if card.earlier:
        lines += ["", _("Earlier cases:")]
        lines += [
            f"#{earlier.id} · {format_moment(earlier.opened_at, _.locale, timezone)} · {_status_line(_, earlier)}"
            for earlier in card.earlier[:5]
        ]
    if card.appointments:
        lines += ["", _("Coming appointments:")]
        lines += [
            f"{format_moment(visit.starts_at, _.locale, visit.timezone)} · {visit.provider_name}"
            for visit in card.appointments[:5]
        ]
    return Reply("\n".join(lines), case_buttons(_, case))


def user_messages(_: Translator, entries: list[CaseEntry], *, timezone: str) -> Reply:
    """The user's new text messages, several in one desk message (the group's limit is 20 a minute)."""
    return Reply("\n".join(_entry_line(_, entry, timezone) for entry in entries))


def user_sent(_: Translator, entry: CaseEntry, *, timezone: str) -> Reply:
    """The line before a copied picture, voice note, file or location of the user."""
    return Reply(_entry_line(_, entry, timezone))


def alert(_: Translator, case: CaseView, *, now: datetime) -> Reply:
    """A case waits: the first alert in the general topic, or a reminder that it still waits."""
    text = _("{mark} Case #{number} ({priority}) is waiting for a counselor: {waited}.").format(
        mark=PRIORITY_MARKS[case.priority],
        number=case.id,
        priority=_(PRIORITY_LABELS[case.priority]),
        waited=_minutes(_, now - case.opened_at),
    )
    return Reply(text, case_buttons(_, case))


def raised(_: Translator, case: CaseView) -> Reply:
    """The user's case became more urgent."""
    text = _("{mark} Case #{number} is now {priority}: the safety net found danger in a new message.").format(
        mark=PRIORITY_MARKS[case.priority], number=case.id, priority=_(PRIORITY_LABELS[case.priority])
    )
    return Reply(text, case_buttons(_, case))


def erased(_: Translator, case_id: int) -> Reply:
    """The person erased their data while this case was held."""
    text = _(
        "Case #{number}: the person erased their data. The case stays here, anonymised, under its hold; nothing "
        "more can be sent to them."
    ).format(number=case_id)
    return Reply(text)


def on_call_alert(_: Translator, case: CaseView) -> Reply:
    """A private message to an on-call counselor: an urgent case outside working hours (no details)."""
    return Reply(
        _("Urgent case #{number} is waiting in the counselors' group, outside working hours.").format(number=case.id)
    )


def queue(_: Translator, cases: list[tuple[CaseView, timedelta]]) -> Reply:
    """/queue: open cases, most urgent and longest waiting first."""
    if not cases:
        return Reply(_("No open cases."))
    lines = [_("Open cases:")]
    for case, waited in cases:
        lines.append(
            f"{PRIORITY_MARKS[case.priority]} #{case.id} · {_(PRIORITY_LABELS[case.priority])} · {case.locale}"
            f" · {_minutes(_, waited)} · {_status_line(_, case)}"
        )
    return Reply("\n".join(lines))


def outcome_choice(_: Translator, case: CaseView) -> Reply:
    """How did the case end? One tap closes it."""
    buttons = [Button(_(label), cb.make(cb.DESK_OUTCOME, case.id, code)) for code, label in OUTCOMES.items()]
    return Reply(_("How did case #{number} end?").format(number=case.id), rows(*buttons, per_row=2))


def canned_choice(_: Translator, case: CaseView) -> Reply:
    """/canned: ready replies, shown in the desk's language; the user gets them in their own."""
    lines = [_("Ready replies (sent in the user's language):")]
    lines += [f"{number}. {_(text)}" for number, text in enumerate(CANNED_REPLIES, start=1)]
    buttons = [
        Button(str(number), cb.make(cb.DESK_CANNED, case.id, number)) for number in range(1, len(CANNED_REPLIES) + 1)
    ]
    return Reply("\n".join(lines), rows(*buttons, per_row=6))


def desk_notice(text: str) -> Reply:
    """A short line for the desk (already translated)."""
    return Reply(text)
