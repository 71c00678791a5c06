"""Two-stage fallback (transport layer): ask to rephrase once, then offer the kinds of help directly."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from bot.dialogue import screens
from bot.dialogue.replies import Reply
from nlu.actions.conversation import ScreenAction
from services.i18n.catalogs import Translator

FALLBACK_INTENT = "nlu_fallback"


def consecutive_misunderstandings(events: list[dict[str, Any]]) -> int:
    """How many of the user's latest messages in a row were not understood."""
    count = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        count += 1
    return count


class ActionHandleMisunderstanding(ScreenAction):
    """First miss: ask to say it differently. Repeated misses: the kinds of help as buttons."""

    action_name = "action_handle_misunderstanding"

    def screens(self, _: Translator, tracker: Tracker) -> list[Reply]:
        if consecutive_misunderstandings(tracker.events) <= 1:
            return [screens.rephrase(_)]
        return [screens.still_not_understood(_)]
