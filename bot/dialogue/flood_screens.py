"""What to say to someone writing faster than Yoldosh can read (bot layer): one calm request to pause."""

from __future__ import annotations

from bot.dialogue.replies import Reply
from services.i18n.catalogs import Translator


def slow_down(_: Translator) -> Reply:
    """Sent once when a person's messages come too fast; what follows right after is left unanswered."""
    return Reply(
        _(
            "You are writing faster than I can read. I will answer in a moment: please wait a few seconds,"
            " then send again anything important I may have missed."
        )
    )
