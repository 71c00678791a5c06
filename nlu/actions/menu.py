"""Actions for the menu, language choice and privacy (transport layer)."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.dialogue import screens
from bot.dialogue.replies import Reply
from nlu.actions import runtime
from nlu.actions.conversation import ScreenAction
from services.i18n.catalogs import Translator


class ActionShowMenu(ScreenAction):
    """What Yoldosh can do, as the menu."""

    action_name = "action_show_menu"

    def screens(self, _: Translator, tracker: Tracker) -> list[Reply]:
        return [screens.main_menu(_, consented=True)]


class ActionOfferLanguages(ScreenAction):
    """The language picker, with the current language ticked."""

    action_name = "action_offer_languages"

    def screens(self, _: Translator, tracker: Tracker) -> list[Reply]:
        return [screens.language_picker(_, _.locale)]


class ActionExplainPrivacy(ScreenAction):
    """Who sees what, for how long, and how to delete it."""

    action_name = "action_explain_privacy"

    def screens(self, _: Translator, tracker: Tracker) -> list[Reply]:
        return [screens.privacy(_, runtime.current().retention_days, consented=True)]
