"""Screens for someone who may be in danger or afraid of being watched (bot layer): emergency numbers, a person,
the quick exit."""

from __future__ import annotations

from bot.dialogue import callbacks as cb
from bot.dialogue.replies import Button, Reply, rows
from bot.dialogue.screens import menu_buttons
from services.directory.places import country_codes, country_name
from services.emergency.contacts import contacts_are_sample, emergency_contacts
from services.i18n.catalogs import Translator


def quick_exit_button(_: Translator) -> Button:
    """Removes the conversation from the screen and leaves one neutral line."""
    return Button(_("Quick exit"), cb.QUICK_EXIT)


def with_quick_exit(_: Translator, reply: Reply) -> Reply:
    """The same reply with a quick-exit button as its first row."""
    return Reply(reply.text, ((quick_exit_button(_),), *reply.buttons), reply.venue, reply.clear_chat)


def emergency_lines(_: Translator, country: str | None) -> list[str]:
    """The emergency numbers for the country (every country's when unknown), marked when they are samples."""
    countries = (country,) if country else country_codes()
    lines: list[str] = []
    for code in countries:
        if not country:
            lines.append(country_name(code, _.locale) + ":")
        lines.extend(f"{_(contact.label)}: {contact.number}" for contact in emergency_contacts(code))
    if contacts_are_sample():
        lines.append(_("Sample numbers: check them before relying on them."))
    return lines


def emergency(_: Translator, country: str | None) -> Reply:
    """Emergency numbers first, in plain words: for someone who may be in danger right now."""
    lines = [_("If you or someone near you is in danger right now, please call:"), *emergency_lines(_, country)]
    lines.append(_("You are not alone. When you are safe, write to me and I will help you find support."))
    return Reply("\n".join(lines), rows(quick_exit_button(_), Button(_("Menu"), cb.MENU), per_row=2))


def counselor_not_connected(_: Translator, country: str | None) -> Reply:
    """Until the counselor desk is connected: say so honestly and give numbers that work now."""
    lines = [
        _("Counselors are not connected to this chat yet. If you need to talk to someone now, please call:"),
        *emergency_lines(_, country),
    ]
    return with_quick_exit(_, Reply("\n".join(lines), menu_buttons(_, consented=True)))


def quick_exit_line(_: Translator) -> Reply:
    """The one neutral line left after the conversation is removed from the screen."""
    return Reply(_("Have a good day."), clear_chat=True)
