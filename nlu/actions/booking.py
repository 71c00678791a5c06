"""Actions for booking in words (transport layer): "ertaga psixologga yozilmoqchiman", "my appointments"."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker

from bot.dialogue import booking_screens, screens
from bot.dialogue.booking_flow import BookingFlow
from bot.dialogue.replies import Reply
from nlu.actions import runtime
from nlu.actions.conversation import ScreenAction, country_of, latest_entity
from services.booking.day_words import find_day
from services.directory.categories import CATEGORY_CODES
from services.directory.service import find_providers
from services.directory.types import ProviderPage
from services.i18n.catalogs import Translator
from services.storage.base import utcnow
from services.storage.database import transaction


def day_asked(tracker: Tracker, page: ProviderPage) -> date | None:
    """The day the latest message names ("ertaga", "в четверг", "12.12"), counted on the services' local calendar."""
    if not page.cards:
        return None
    today = utcnow().astimezone(ZoneInfo(page.cards[0].timezone)).date()
    return find_day(str(tracker.latest_message.get("text") or ""), today=today)


class ActionStartBooking(ScreenAction):
    """A wish to book: the services of the named kind with their Book buttons (opening on the day the message
    names, if any), else the kinds of help."""

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
        listing = screens.provider_page(_, page, category, country)
        day = day_asked(tracker, page)
        if day is None:
            return [booking_screens.book_start_here(_), *listing]
        return [booking_screens.book_start_on_day(_, day), *booking_screens.book_on_day(listing, day)]


class ActionMyAppointments(ScreenAction):
    """Asking about or cancelling bookings: the user's appointments, each with Cancel and Change time."""

    action_name = "action_my_appointments"

    def screens(self, _: Translator, tracker: Tracker) -> list[Reply]:
        return BookingFlow(runtime.current().sessions).appointments(_, tracker.sender_id)
