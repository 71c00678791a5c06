"""Actions for danger and requests for a person (transport layer): the bot opens the counselors' case."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue import support_screens
from bot.dialogue.replies import Reply
from nlu.actions.conversation import ScreenAction, country_of
from services.i18n.catalogs import Translator

URGENT = {"escalate": "urgent"}
REQUEST = {"escalate": "request"}


class ActionCrisisSupport(ScreenAction):
    """Someone may be in danger: the emergency numbers for their country at once, and the counselors alerted."""

    action_name = "action_crisis_support"

    def screens(self, _: Translator, tracker: Tracker) -> list[Reply]:
        return [support_screens.emergency(_, country_of(tracker))]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        await super().run(dispatcher, tracker, domain)
        dispatcher.utter_message(json_message=URGENT)
        return []


class ActionRequestCounselor(Action):
    """A request for a person: the bot opens the case and says what happens next (it knows the desk's hours)."""

    def name(self) -> str:
        return "action_request_counselor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        dispatcher.utter_message(json_message=REQUEST)
        return []
