"""Two-stage fallback (transport layer): ask to rephrase once, then offer more help."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue import screens
from nlu.actions import runtime
from nlu.actions.conversation import send, translator_for

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


class ActionHandleMisunderstanding(Action):
    """First miss: ask to say it differently. Repeated misses: the menu and a plainer way forward."""

    def name(self) -> str:
        return "action_handle_misunderstanding"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        _ = translator_for(tracker, runtime.current().default_locale)
        if consecutive_misunderstandings(tracker.events) <= 1:
            send(dispatcher, [screens.rephrase(_)])
        else:
            send(dispatcher, [screens.still_not_understood(_)])
        return []
