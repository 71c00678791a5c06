"""Kind answers to what Yoldosh cannot read (bot layer): voice notes, pictures, files, stickers, contacts."""

from __future__ import annotations

from enum import StrEnum

from bot.dialogue.replies import Reply
from bot.dialogue.screens import menu_buttons
from services.i18n.catalogs import N_, Translator


class MediaKind(StrEnum):
    """What arrived instead of text."""

    VOICE = "voice"
    PICTURE = "picture"
    DOCUMENT = "document"
    STICKER = "sticker"
    CONTACT = "contact"
    OTHER = "other"


MEDIA_ANSWERS: dict[MediaKind, str] = {
    MediaKind.VOICE: N_(
        "I cannot listen to voice messages yet, sorry. Please write in words, in any language you like,"
        " or choose from the buttons below."
    ),
    MediaKind.PICTURE: N_(
        "I cannot look at pictures or videos. Please do not send photos of documents here: write in words"
        " what you need, or choose from the buttons below."
    ),
    MediaKind.DOCUMENT: N_(
        "I cannot open files. Please do not send documents with personal details here: write in words what"
        " you need, or choose from the buttons below."
    ),
    MediaKind.STICKER: N_("Thank you! I understand words and buttons. Write what you need, or choose below."),
    MediaKind.CONTACT: N_(
        "Thank you, but I do not need phone numbers or contacts, and I have not kept this one."
        " Write what you need, or choose from the buttons below."
    ),
    MediaKind.OTHER: N_(
        "Thank you. For now I can read only text messages and buttons. Please write in words, or use the menu."
    ),
}


def media_answer(_: Translator, kind: MediaKind, *, consented: bool) -> Reply:
    """What to say when `kind` arrives instead of text."""
    return Reply(_(MEDIA_ANSWERS[kind]), menu_buttons(_, consented=consented))
