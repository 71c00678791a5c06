"""Actions for danger, requests for a person and booking questions (transport layer)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue import screens
from nlu.actions import runtime
from nlu.actions.conversation import country_of, send, translator_for


class ActionCrisisSupport(Action):
    """Someone may be in danger: the emergency numbers for their country at once."""

    def name(self) -> str:
        return "action_crisis_support"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        _ = translator_for(tracker, runtime.current().default_locale)
        send(dispatcher, [screens.emergency(_, country_of(tracker))])
        return []


class ActionRequestCounselor(Action):
    """A request for a person: honest about what is connected, with numbers that work now."""

    def name(self) -> str:
        return "action_request_counselor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        _ = translator_for(tracker, runtime.current().default_locale)
        send(dispatcher, [screens.counselor_not_connected(_, country_of(tracker))])
        return []


class ActionBookingByPhone(Action):
    """Booking questions: point to the providers' phone numbers by kind of help."""

    def name(self) -> str:
        return "action_booking_by_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        _ = translator_for(tracker, runtime.current().default_locale)
        send(dispatcher, [screens.booking_by_phone(_)])
        return []
