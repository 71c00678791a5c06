"""Reading the tracker and writing replies (transport layer): locale, country, entities, dispatching screens."""

from __future__ import annotations

import abc
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue.replies import Reply
from nlu.actions import runtime
from services.content.schema import COUNTRY_CODES
from services.i18n.catalogs import Translator
from services.i18n.locales import SUPPORTED_LOCALES


def metadata(tracker: Tracker | dict[str, Any]) -> dict[str, Any]:
    """The metadata the bot sent with the latest message (locale, country, consent)."""
    latest = tracker.latest_message if isinstance(tracker, Tracker) else tracker.get("latest_message")
    found = (latest or {}).get("metadata") or {}
    return found if isinstance(found, dict) else {}


def locale_of(tracker: Tracker | dict[str, Any], default: str) -> str:
    """The user's locale as the bot reported it, or the default."""
    locale = metadata(tracker).get("locale")
    return locale if locale in SUPPORTED_LOCALES else default


def translator_for(tracker: Tracker, default: str) -> Translator:
    """A translator in the user's locale."""
    return Translator(locale_of(tracker, default))


def country_of(tracker: Tracker) -> str | None:
    """The country the user chose in the bot, if any."""
    country = metadata(tracker).get("country")
    return country if country in COUNTRY_CODES else None


def latest_entity(tracker: Tracker, name: str) -> str | None:
    """The text of the first `name` entity in the latest message."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def send(dispatcher: CollectingDispatcher, replies: list[Reply]) -> None:
    """Dispatch rendered screens; buttons carry the bot's own callback data as payloads."""
    for reply in replies:
        buttons = [{"title": button.label, "payload": button.data} for button in reply.all_buttons()]
        dispatcher.utter_message(text=reply.text, buttons=buttons)


class ScreenAction(Action, abc.ABC):
    """An action whose whole job is to show screens in the user's language; subclasses say which."""

    action_name: str

    def name(self) -> str:
        return self.action_name

    @abc.abstractmethod
    def screens(self, _: Translator, tracker: Tracker) -> list[Reply]:
        """The screens to show."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        send(dispatcher, self.screens(translator_for(tracker, runtime.current().default_locale), tracker))
        return []
