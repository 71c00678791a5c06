"""Actions for booking in words (transport layer): "ertaga psixologga yozilmoqchiman", "my appointments"."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.dialogue import booking_screens, screens
from bot.dialogue.booking_flow import BookingFlow
from bot.dialogue.replies import Reply
from nlu.actions import runtime
from nlu.actions.conversation import ScreenAction, country_of, latest_entity
from services.directory.categories import CATEGORY_CODES
from services.directory.service import find_providers
from services.i18n.catalogs import Translator
from services.storage.database import transaction


class ActionStartBooking(ScreenAction):
    """A wish to book: the services of the named kind with their Book buttons, else the kinds of help."""

    action_name = "action_start_booking"

    def screens(self, _: Translator, tracker: Tracker) -> list[Reply]:
        category = latest_entity(tracker, "category")
        country = country_of(tracker)
        if category not in CATEGORY_CODES:
            return [booking_screens.book_start(_)]
        if country is None:
            return [screens.countries(_, category)]
        with transaction(runtime.current().sessions) as session:
            page = find_providers(
                session, locale=_.locale, category=category, country_code=country, limit=screens.PAGE_SIZE
            )
        return [booking_screens.book_start_here(_), *screens.provider_page(_, page, category, country)]


class ActionMyAppointments(ScreenAction):
    """Asking about or cancelling bookings: the user's appointments, each with Cancel and Change time."""

    action_name = "action_my_appointments"

    def screens(self, _: Translator, tracker: Tracker) -> list[Reply]:
        return BookingFlow(runtime.current().sessions).appointments(_, tracker.sender_id)
