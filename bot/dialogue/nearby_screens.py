"""Services near a shared location, and a provider on the map (bot layer)."""

from __future__ import annotations

from bot.dialogue import callbacks as cb
from bot.dialogue.replies import Button, Reply, Venue, rows
from bot.dialogue.screens import provider_card_buttons, provider_card_text
from services.directory.categories import CATEGORY_LABELS
from services.directory.places import city_name
from services.directory.types import NearbyProvider, ProviderCard
from services.i18n.catalogs import Translator
from services.i18n.formatting import format_distance

COORDINATE_DIGITS = 3  # about 100 m: enough to sort by distance, no more precise than that


def on_map(_: Translator, card: ProviderCard) -> Reply:
    """The provider as a venue message (name and address; the map pin at its coordinates)."""
    address = f"{card.address}, {city_name(card.country_code, card.city_code, _.locale)}"
    return Reply("", venue=Venue(card.latitude, card.longitude, card.name, address))


def nearby(_: Translator, results: list[NearbyProvider], latitude: float, longitude: float) -> list[Reply]:
    """The closest providers with their distance, then buttons to narrow down to one kind of help nearby."""
    lat, lon = f"{latitude:.{COORDINATE_DIGITS}f}", f"{longitude:.{COORDINATE_DIGITS}f}"
    if not results:
        text = _("I have no services of this kind near you yet.")
        return [Reply(text, rows(Button(_("Other services"), cb.SERVICES), Button(_("Menu"), cb.MENU)))]
    replies = [Reply(_("These are the closest to you. I have not kept your location."))]
    for result in results:
        distance = _("About {distance} from you").format(distance=format_distance(result.distance_km, _.locale))
        text = f"{provider_card_text(_, result.card)}\n{distance}"
        replies.append(Reply(text, provider_card_buttons(_, result.card)))
    buttons = [Button(_(label), cb.make(cb.NEARBY, code, lat, lon)) for code, label in CATEGORY_LABELS.items()]
    buttons.append(Button(_("Menu"), cb.MENU))
    replies.append(Reply(_("Looking for one kind of help near you? Choose it:"), rows(*buttons, per_row=2)))
    return replies
