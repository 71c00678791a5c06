"""Action that answers a service question with matching providers (transport layer)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue import screens
from nlu.actions import runtime
from nlu.actions.conversation import country_of, latest_entity, send, translator_for
from services.directory.languages import resolve_language
from services.directory.places import resolve_city
from services.directory.service import find_providers
from services.directory.types import ProviderFilters
from services.storage.database import transaction

INTENT_CATEGORIES: dict[str, str] = {
    "ask_education": "education",
    "ask_medical": "medical",
    "ask_psychosocial": "psychosocial",
    "ask_social_benefits": "social_benefits",
    "ask_housing": "housing",
    "ask_employment": "employment",
    "ask_legal_documents": "legal_documents",
    "ask_repatriation": "family_repatriation",
}


class ActionListProviders(Action):
    """Providers of the asked-for kind in the named city, else in the user's country, else ask the country; staff
    speaking the language the message names, if it names one."""

    def name(self) -> str:
        return "action_list_providers"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        settings = runtime.current()
        _ = translator_for(tracker, settings.default_locale)
        intent = (tracker.latest_message.get("intent") or {}).get("name", "")
        category = INTENT_CATEGORIES.get(intent)
        if category is None:
            send(dispatcher, [screens.categories(_)])
            return []
        written_city = latest_entity(tracker, "city")
        place = resolve_city(written_city) if written_city else None
        country = place.country_code if place else country_of(tracker)
        if country is None:
            send(dispatcher, [screens.countries(_, category)])
            return []
        city = place.city_code if place else None
        written_language = latest_entity(tracker, "language")
        language = resolve_language(written_language) if written_language else None
        filters = ProviderFilters(language=language)
        notes = []
        with transaction(settings.sessions) as session:
            page = find_providers(
                session,
                locale=_.locale,
                category=category,
                country_code=country,
                city_code=city,
                filters=filters,
                limit=screens.PAGE_SIZE,
            )
            if city and page.total_without_filters == 0:
                notes.append(screens.none_in_city(_, country, city))
                city = None
                page = find_providers(
                    session,
                    locale=_.locale,
                    category=category,
                    country_code=country,
                    filters=filters,
                    limit=screens.PAGE_SIZE,
                )
        send(dispatcher, [*notes, *screens.provider_page(_, page, category, country, city)])
        return []
