"""Actions for the menu, language choice and privacy (transport layer)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue import screens
from nlu.actions import runtime
from nlu.actions.conversation import send, translator_for


class ActionShowMenu(Action):
    """What Yoldosh can do, as the menu."""

    def name(self) -> str:
        return "action_show_menu"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        _ = translator_for(tracker, runtime.current().default_locale)
        send(dispatcher, [screens.main_menu(_, consented=True)])
        return []


class ActionOfferLanguages(Action):
    """The language picker, with the current language ticked."""

    def name(self) -> str:
        return "action_offer_languages"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        _ = translator_for(tracker, runtime.current().default_locale)
        send(dispatcher, [screens.language_picker(_, _.locale)])
        return []


class ActionExplainPrivacy(Action):
    """Who sees what, for how long, and how to delete it."""

    def name(self) -> str:
        return "action_explain_privacy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        settings = runtime.current()
        _ = translator_for(tracker, settings.default_locale)
        send(dispatcher, [screens.privacy(_, settings.retention_days, consented=True)])
        return []
