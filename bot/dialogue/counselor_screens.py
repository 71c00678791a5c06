"""Screens about the counselors for the user (bot layer): asked for, alerted, joined, their words, closed."""

from __future__ import annotations

from datetime import datetime

from bot.dialogue import callbacks as cb
from bot.dialogue.replies import Button, Reply, rows
from bot.dialogue.screens import menu_buttons
from bot.dialogue.support_screens import emergency_lines, quick_exit_button
from services.i18n.catalogs import Translator
from services.i18n.formatting import format_clock, format_short_day


def _when(_: Translator, opening: datetime) -> str:
    timezone = str(opening.tzinfo)
    return _("{day} at {time}").format(
        day=format_short_day(opening.date(), _.locale), time=format_clock(opening, _.locale, timezone)
    )


def _safety_buttons(_: Translator) -> tuple[tuple[Button, ...], ...]:
    return rows(quick_exit_button(_), Button(_("Emergency numbers"), cb.EMERGENCY), per_row=2)


def counselor_requested(_: Translator, *, on_duty: bool, next_opening: datetime | None, country: str | None) -> Reply:
    """The user asked for a person: what happens now, and when, honestly."""
    if on_duty:
        text = "\n\n".join(
            (
                _("I have asked a counselor to join. They will write to you here, in this chat."),
                _("Everything you write now goes to the counselor, not to the bot."),
            )
        )
        return Reply(text, _safety_buttons(_))
    lines = [_("The counselors are not on duty right now.")]
    if next_opening is not None:
        lines.append(_("A counselor will answer you here from {when}.").format(when=_when(_, next_opening)))
    lines.append(_("Write what you want to say: your messages will wait for them."))
    lines.append("\n".join(emergency_lines(_, country)))
    return Reply("\n\n".join(lines), _safety_buttons(_))


def counselor_alerted(_: Translator, *, on_duty: bool) -> Reply:
    """After the emergency numbers: a human has been told."""
    if on_duty:
        return Reply(_("I have alerted a counselor. They will write to you here as soon as they can."))
    return Reply(_("I have alerted the counselor on call. They will write to you here as soon as they can."))


def already_with_counselor(_: Translator) -> Reply:
    """/counselor again during a case."""
    return Reply(_("You are already connected with the counselors. Write here and they will read it."))


def counselor_joined(_: Translator, alias: str) -> Reply:
    """A counselor claimed the case."""
    return Reply(_("{name}, a counselor, has joined. You can write in your own words.").format(name=alias))


def counselor_says(_: Translator, alias: str, text: str) -> Reply:
    """A counselor's message, under the counselor's chosen name."""
    return Reply(_("{name} (counselor):").format(name=alias) + "\n" + text)


def counselor_sends(_: Translator, alias: str) -> Reply:
    """The line before a picture, voice note or file a counselor sends."""
    return Reply(_("{name} (counselor) sends you this:").format(name=alias))


def counselor_handed_over(_: Translator) -> Reply:
    """The counselor passed the case to a colleague."""
    return Reply(_("Another counselor will continue with you. Please wait a little, they will write here."))


def case_closed(_: Translator) -> Reply:
    """The counselor closed the case: the bot is back."""
    text = _(
        "The counselor has closed this conversation. I am here again: ask me anything,"
        " or tap “Talk to a person” whenever you need someone."
    )
    return Reply(text, menu_buttons(_, consented=True))


def offer_counselor(_: Translator) -> Reply:
    """After something heavy was shared, or when I keep misunderstanding: a person is one tap away."""
    text = _("If you would like to talk about this with a person, a counselor can write to you here.")
    return Reply(text, rows(Button(_("Talk to a person"), cb.COUNSELOR)))
