"""The slash commands Yoldosh offers, with descriptions from the catalogs (bot layer)."""

from __future__ import annotations

from services.i18n.catalogs import N_, Translator

COMMAND_DESCRIPTIONS: dict[str, str] = {
    "start": N_("Begin again and choose your language"),
    "help": N_("What Yoldosh can do"),
    "services": N_("Find schools, doctors, documents and other help"),
    "book": N_("Book an appointment"),
    "appointments": N_("Your appointments"),
    "counselor": N_("Talk to a person"),
    "language": N_("Change language"),
    "privacy": N_("How your information is kept"),
    "my_data": N_("Get a copy of everything stored about you"),
    "delete_my_data": N_("Delete everything stored about you"),
    "exit": N_("Quick exit: clear this chat from the screen"),
}


def localized_commands(_: Translator) -> list[tuple[str, str]]:
    """(command, description) pairs in the translator's language, in menu order."""
    return [(command, _(description)) for command, description in COMMAND_DESCRIPTIONS.items()]
