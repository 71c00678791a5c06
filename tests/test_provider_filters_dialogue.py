"""Filters on the provider list as a conversation (dialogue engine on the prepared database, and one walk through the
real PTB application and the Bot API stand-in): speaks my language, flags, pages that keep them, nothing matching,
old buttons, callback data within Telegram's limit."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.dialogue import screens
from bot.dialogue.flow import Dialogue, Sender
from bot.dialogue.listing import Listing, parse_listing
from bot.dialogue.replies import MAX_CALLBACK_BYTES, Reply
from services.content.reader import read_directory, read_places
from services.directory.categories import CATEGORY_CODES
from services.directory.languages import LANGUAGE_CODES, speaks
from services.directory.service import find_providers
from services.directory.types import ProviderFilters, ProviderFlag
from services.i18n.catalogs import Translator
from services.paths import DIRECTORY_DIR
from services.storage.database import read_transaction
from tests.telegram_standin import ApiCall, BotApiStandIn, TelegramUser


def flag(_: Translator, label: str) -> str:
    """A flag's toggle as the list shows it: the card's words, capitalised."""
    text = _(label)
    return text[:1].upper() + text[1:]


def _consented(dialogue: Dialogue, locale: str) -> Sender:
    person = Sender(channel="console", external_id=str(uuid.uuid4()), language_code=locale)
    dialogue.start(person)
    dialogue.press(person, f"lang|{locale}")
    dialogue.press(person, "consent:yes")
    return person


def _buttons(reply: Reply) -> dict[str, str]:
    return {button.label: button.data for button in reply.all_buttons()}


def _cards(replies: list[Reply]) -> list[str]:
    return [reply.text for reply in replies if any(b.data.startswith("bk|") for b in reply.all_buttons())]


def _shipped(country: str, category: str, language: str | None = None) -> int:
    return sum(
        1
        for sourced in read_directory().providers
        if sourced.country == country
        and category in sourced.entry.categories
        and (language is None or speaks(sourced.entry.languages, language))
    )


def test_speaks_my_language_means_uzbek_in_either_script(dialogue: Dialogue) -> None:
    _ = Translator("uz_Cyrl")
    person = _consented(dialogue, "uz_Cyrl")
    listing = dialogue.press(person, "country|medical|KZ")
    assert len(_cards(listing)) == _shipped("KZ", "medical")
    status = _buttons(listing[-1])
    assert status[_("Speaks my language")] == "page|medical|KZ|0|uz||"
    assert status[flag(_, "women staff available")] == "page|medical|KZ|0||w|"

    uzbek = dialogue.press(person, "page|medical|KZ|0|uz||")
    assert 0 < len(_cards(uzbek)) == _shipped("KZ", "medical", "uz") < _shipped("KZ", "medical")
    status = _buttons(uzbek[-1])
    assert status["✓ " + _("Speaks my language")] == "page|medical|KZ|0|||", "a second tap turns it off"
    assert status[flag(_, "free of charge")] == "page|medical|KZ|0|uz|f|", "the other toggles keep the language"


def test_flags_toggle_on_and_off_and_pages_keep_every_filter(
    dialogue: Dialogue, served_sessions: sessionmaker[Session]
) -> None:
    _ = Translator("ru")
    person = _consented(dialogue, "ru")
    everything = _cards(dialogue.press(person, "country|psychosocial|KG"))
    russian = dialogue.press(person, "page|psychosocial|KG|0|ru||")
    assert russian[-1].text == _("Shown {shown} of {total}.").format(shown=len(_cards(russian)), total=len(everything))
    assert _cards(dialogue.press(person, "page|psychosocial|KG|1|ru||")) == _cards(russian)[1:]
    women = dialogue.press(person, "page|psychosocial|KG|0|ru|w|")
    status = _buttons(women[-1])
    assert status["✓ " + flag(_, "women staff available")] == "page|psychosocial|KG|0|ru||"
    assert status[flag(_, "step-free access")] == "page|psychosocial|KG|0|ru|ws|"

    filters = ProviderFilters("uz", frozenset({ProviderFlag.WOMEN_STAFF}))
    with read_transaction(served_sessions) as session:
        page = find_providers(session, locale="ru", category="medical", country_code="UZ", filters=filters)
    longer = replace(page, total=page.total + 10)  # a longer list than the sample has: Show more carries the filters
    status = _buttons(screens.provider_page(_, longer, "medical", "UZ", "andijan")[-1])
    assert status[_("Show more")] == f"page|medical|UZ|{len(page.cards)}|uz|w|andijan"


def test_nothing_matching_says_so_kindly_and_shows_all_in_one_tap(dialogue: Dialogue) -> None:
    _ = Translator("uz")
    person = _consented(dialogue, "uz")
    (nothing,) = dialogue.press(person, "page|medical|TJ|0|en|fwcs|")
    assert nothing.text == _("None of the services here has everything you chose. Turn a filter off, or see them all.")
    status = _buttons(nothing)
    assert status[_("Show all")] == "page|medical|TJ|0|||"
    assert status["✓ " + _("Staff speak: {languages}").format(languages="inglizcha")] == "page|medical|TJ|0||fwcs|"
    assert status["✓ " + flag(_, "free of charge")] == "page|medical|TJ|0|en|wcs|"
    assert len(_cards(dialogue.press(person, status[_("Show all")]))) == _shipped("TJ", "medical")


def test_buttons_from_before_filters_still_work_and_broken_ones_are_stale(dialogue: Dialogue) -> None:
    _ = Translator("ky")
    person = _consented(dialogue, "ky")
    assert len(_cards(dialogue.press(person, "page|medical|KG|0"))) == _shipped("KG", "medical")
    assert _cards(dialogue.press(person, "page|medical|KG|0|osh")) == _cards(
        dialogue.press(person, "page|medical|KG|0|||osh")
    )
    stale = _("This button is no longer active. Here is the menu.")
    for data in ("page|medical|KG|0|xx||", "page|medical|KG|0||z|", "page|medical|KG|x|||", "page|medical|KG|0|ky|f"):
        (reply,) = dialogue.press(person, data)
        assert reply.text == stale, data


def test_every_list_button_fits_telegrams_64_bytes_and_reads_back() -> None:
    places = read_places(DIRECTORY_DIR, [])
    assert places is not None
    cities = [city for country in places.countries.values() for r in country.regions.values() for city in r.cities]
    worst = ProviderFilters(max(LANGUAGE_CODES, key=len), frozenset(ProviderFlag))
    for category in CATEGORY_CODES:
        for city in cities:
            listing = Listing(category, "UZ", city, worst)
            data = listing.data(995)
            assert len(data.encode()) <= MAX_CALLBACK_BYTES, data
            assert parse_listing(tuple(data.split("|")[1:])) == (listing, 995)


async def test_filters_through_telegram(api: BotApiStandIn, running_bot: Any) -> None:
    _ = Translator("uz")
    user = TelegramUser(api, user_id=7301, language_code="uz")
    user.says("/start")
    user.taps("lang|uz")
    user.taps("consent:yes")
    user.taps("country|medical|UZ")
    footers = await _footers(api, 1)
    toggles = dict(_labelled(footers[-1]))
    assert toggles[_("Speaks my language")] == "page|medical|UZ|0|uz||"
    user.taps("page|medical|UZ|0|uz|w|")
    footers = await _footers(api, 2)
    toggles = dict(_labelled(footers[-1]))
    assert toggles["✓ " + flag(_, "women staff available")] == "page|medical|UZ|0|uz||"
    cards = [c for c in api.calls_to("sendMessage") if any(d.startswith("bk|") for _l, d in _labelled(c))]
    shown = len(cards) - _shipped("UZ", "medical")
    assert shown == _shipped_women_uzbek("UZ", "medical") > 0
    api.assert_no_errors()


def _labelled(call: ApiCall) -> list[tuple[str, str]]:
    markup = call.json("reply_markup") or {"inline_keyboard": []}
    return [(button["text"], button["callback_data"]) for row in markup["inline_keyboard"] for button in row]


async def _footers(api: BotApiStandIn, count: int) -> list[ApiCall]:
    """The provider lists' last messages (the one with the filters), once `count` of them have been sent."""

    def footers(calls: list[ApiCall]) -> list[ApiCall]:
        sent = [call for call in calls if call.method == "sendMessage"]
        return [call for call in sent if any(data.startswith("page|") for _label, data in _labelled(call))]

    return footers(await api.until(lambda calls: len(footers(calls)) >= count))


def _shipped_women_uzbek(country: str, category: str) -> int:
    return sum(
        1
        for sourced in read_directory().providers
        if sourced.country == country
        and category in sourced.entry.categories
        and speaks(sourced.entry.languages, "uz")
        and sourced.entry.flags.women_staff
    )
