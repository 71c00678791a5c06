"""Actions for danger, requests for a person and booking questions (transport layer)."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.dialogue import support_screens
from bot.dialogue.replies import Reply
from nlu.actions.conversation import ScreenAction, country_of
from services.i18n.catalogs import Translator


class ActionCrisisSupport(ScreenAction):
    """Someone may be in danger: the emergency numbers for their country at once."""

    action_name = "action_crisis_support"

    def screens(self, _: Translator, tracker: Tracker) -> list[Reply]:
        return [support_screens.emergency(_, country_of(tracker))]


class ActionRequestCounselor(ScreenAction):
    """A request for a person: honest about what is connected, with numbers that work now."""

    action_name = "action_request_counselor"

    def screens(self, _: Translator, tracker: Tracker) -> list[Reply]:
        return [support_screens.counselor_not_connected(_, country_of(tracker))]
