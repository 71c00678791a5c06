"""What each screen says (bot layer): localised text and buttons built from catalogs and service values."""

from __future__ import annotations

from babel import Locale

from bot.dialogue import callbacks as cb
from bot.dialogue.listing import Listing
from bot.dialogue.replies import Button, Reply, rows
from services.directory.categories import CATEGORY_LABELS
from services.directory.languages import language_of
from services.directory.places import city_name, country_codes, country_name
from services.directory.types import OpeningInterval, ProviderCard, ProviderFlag, ProviderPage
from services.i18n.catalogs import N_, Translator
from services.i18n.formatting import babel_locale, format_clock, format_number
from services.i18n.locales import LANGUAGE_NAMES, PICKER_ORDER

PAGE_SIZE = 5
# The flags as provider cards name them; the filter buttons show the same words.
FLAG_LABELS: dict[ProviderFlag, str] = {
    ProviderFlag.FREE: N_("free of charge"),
    ProviderFlag.WOMEN_STAFF: N_("women staff available"),
    ProviderFlag.CHILD_FRIENDLY: N_("child-friendly"),
    ProviderFlag.STEP_FREE: N_("step-free access"),
}


def language_picker(_: Translator, preselected: str | None) -> Reply:
    """Welcome and the seven languages, each in its own name; the guessed one is ticked."""
    text = "\n\n".join(
        (
            _("Hello! I am Yoldosh, a helpline for families who have come home and for their relatives."),
            _("Please choose your language."),
        )
    )
    buttons = [
        Button(("✓ " if locale == preselected else "") + LANGUAGE_NAMES[locale], cb.make(cb.LANGUAGE, locale))
        for locale in PICKER_ORDER
    ]
    return Reply(text, rows(*buttons, per_row=2))


def _days(_: Translator, days: int) -> str:
    return _.ngettext("{count} day", "{count} days", days).format(count=format_number(days, _.locale))


def consent(_: Translator, retention_days: int) -> Reply:
    """The consent screen: what is stored, for how long, who sees it, how to delete it."""
    text = "\n\n".join(
        (
            _("Before we talk, please read how Yoldosh keeps your information."),
            _(
                "What we store: your language, your messages to Yoldosh and to counselors, and any appointments"
                " you book. We never ask for your name, and your Telegram account is kept only as a code."
            ),
            _("How long: messages are deleted after {days}.").format(days=_days(_, retention_days)),
            _(
                "Who sees it: only the helpline's counselors, and only when you ask for a person or when you"
                " might be in danger. A service you book with sees the appointment, not your name."
            ),
            _("You can delete everything at any time with /delete_my_data."),
        )
    )
    buttons = (
        Button(_("I agree"), cb.CONSENT_ACCEPT),
        Button(_("No, thank you"), cb.CONSENT_DECLINE),
    )
    return Reply(text, rows(*buttons, per_row=2))


def menu_buttons(_: Translator, *, consented: bool) -> tuple[tuple[Button, ...], ...]:
    """The main menu's buttons: services, a person, emergency numbers, language, privacy."""
    buttons = [
        Button(_("Find a service"), cb.SERVICES),
        Button(_("Talk to a person"), cb.COUNSELOR),
        Button(_("Emergency numbers"), cb.EMERGENCY),
        Button(_("Change language"), cb.CHANGE_LANGUAGE),
        Button(_("Privacy"), cb.PRIVACY),
    ]
    if consented:
        buttons.append(Button(_("Delete my data"), cb.DELETE_ASK))
    return rows(*buttons, per_row=2)


def main_menu(_: Translator, *, consented: bool) -> Reply:
    """What Yoldosh can do, as a menu."""
    text = _(
        "I can help you find schools, doctors, psychologists, help with documents, benefits, housing and work."
        " Choose what you need."
    )
    return Reply(text, menu_buttons(_, consented=consented))


def consent_declined(_: Translator) -> Reply:
    """After a 'no': nothing is stored, general information is still available."""
    text = "\n\n".join(
        (
            _("That is all right. I will not keep anything except your language choice."),
            _("You can still look up services. To talk with me, accept the terms with /start at any time."),
        )
    )
    return Reply(text, menu_buttons(_, consented=False))


def needs_consent(_: Translator) -> Reply:
    """A message arrived before consent: explain and offer the consent screen again."""
    text = _("To read your messages I need your agreement first. You can also look up services without it.")
    buttons = (Button(_("Read the terms"), cb.SHOW_CONSENT), Button(_("Find a service"), cb.SERVICES))
    return Reply(text, rows(*buttons, per_row=1))


def categories(_: Translator) -> Reply:
    """The eight kinds of help."""
    buttons = [Button(_(label), cb.make(cb.CATEGORY, code)) for code, label in CATEGORY_LABELS.items()]
    return Reply(_("What kind of help are you looking for?"), rows(*buttons, per_row=2))


def countries(_: Translator, category: str) -> Reply:
    """Which country's services to show."""
    buttons = [Button(country_name(code, _.locale), cb.make(cb.COUNTRY, category, code)) for code in country_codes()]
    return Reply(_("Which country are you in?"), rows(*buttons, per_row=2))


def _weekday_names(locale: str) -> dict[int, str]:
    names: dict[int, str] = babel_locale(locale).days["format"]["abbreviated"]
    return names


def _hours_lines(card: ProviderCard, locale: str) -> list[str]:
    by_day: dict[int, list[OpeningInterval]] = {}
    for interval in card.hours:
        by_day.setdefault(interval.weekday, []).append(interval)
    weekday = _weekday_names(locale)
    return [
        "{day} {spans}".format(
            day=weekday[day],
            spans=", ".join(f"{format_clock(i.opens, locale)}–{format_clock(i.closes, locale)}" for i in intervals),
        )
        for day, intervals in sorted(by_day.items())
    ]


def _language_list(languages: tuple[str, ...], locale: str) -> str:
    names = []
    for language in languages:
        parsed = Locale.parse(language)
        names.append(parsed.get_language_name(babel_locale(locale)) or language)
    return ", ".join(dict.fromkeys(names))


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def provider_card_text(_: Translator, card: ProviderCard) -> str:
    """A provider card: name, address, phone, hours, languages, what to expect."""
    lines = [card.name, f"{card.address}, {city_name(card.country_code, card.city_code, _.locale)}", card.phone]
    lines.append(_("Opening hours:"))
    lines.extend(_hours_lines(card, _.locale))
    lines.append(_("Staff speak: {languages}").format(languages=_language_list(card.languages, _.locale)))
    flags = [
        (card.is_free, _("free of charge")),
        (card.women_staff, _("women staff available")),
        (card.child_friendly, _("child-friendly")),
        (card.step_free, _("step-free access")),
    ]
    present = [label for value, label in flags if value]
    if present:
        lines.append(" · ".join(present))
    if card.is_sample:
        lines.append(_("Sample entry: check the details before you go."))
    return "\n".join(lines)


def provider_card_buttons(_: Translator, card: ProviderCard) -> tuple[tuple[Button, ...], ...]:
    """Under each provider card: book a visit, see it on the map."""
    return rows(
        Button(_("Book"), cb.make(cb.BOOK, card.id)), Button(_("Show on map"), cb.make(cb.MAP, card.id)), per_row=2
    )


def _checked(on: bool, label: str) -> str:
    return f"✓ {label}" if on else label


def filter_buttons(_: Translator, listing: Listing) -> tuple[tuple[Button, ...], ...]:
    """The filter toggles under a provider list: staff speaking the reader's language, then each flag."""
    mine, chosen = language_of(_.locale), listing.filters.language
    if chosen is None or chosen == mine:
        wanted = None if chosen else mine
        language = Button(_checked(chosen is not None, _("Speaks my language")), listing.speaking(wanted).data())
    else:  # a language named in a message: show it, a tap drops it
        label = _("Staff speak: {languages}").format(languages=_language_list((chosen,), _.locale))
        language = Button(_checked(True, label), listing.speaking(None).data())
    flags = [
        Button(_checked(flag in listing.filters.flags, _capitalised(_(label))), listing.toggled(flag).data())
        for flag, label in FLAG_LABELS.items()
    ]
    return ((language,), *rows(*flags, per_row=2))


def provider_page(
    _: Translator, page: ProviderPage, category: str, country: str, city: str | None = None
) -> list[Reply]:
    """A page of provider cards, then where the list stands, the filters and what to do next."""
    listing = Listing(category, country, city, page.filters)
    navigation = rows(
        Button(_("Other services"), cb.SERVICES),
        Button(_("Another country"), cb.make(cb.CHANGE_COUNTRY, category)),
        Button(_("Menu"), cb.MENU),
        per_row=2,
    )
    if page.total_without_filters == 0:
        text = _("I have no services of this kind in {country} yet.").format(country=country_name(country, _.locale))
        return [Reply(text, rows(Button(_("Other services"), cb.SERVICES), Button(_("Menu"), cb.MENU)))]
    if page.total == 0:
        text = _("None of the services here has everything you chose. Turn a filter off, or see them all.")
        show_all = (Button(_("Show all"), listing.unfiltered().data()),)
        return [Reply(text, (show_all, *filter_buttons(_, listing), *navigation))]
    replies = [Reply(provider_card_text(_, card), provider_card_buttons(_, card)) for card in page.cards]
    shown_until = page.offset + len(page.cards)
    status = _("Shown {shown} of {total}.").format(
        shown=format_number(shown_until, _.locale), total=format_number(page.total, _.locale)
    )
    more = ((Button(_("Show more"), listing.data(shown_until)),),) if shown_until < page.total else ()
    replies.append(Reply(status, (*more, *filter_buttons(_, listing), *navigation)))
    return replies


def privacy(_: Translator, retention_days: int, *, consented: bool) -> Reply:
    """Plain-language privacy answer."""
    text = "\n\n".join(
        (
            _("Yoldosh does not ask for your name. Your Telegram account is stored only as a code."),
            _("Your messages are deleted after {days}.").format(days=_days(_, retention_days)),
            _(
                "Only the helpline's counselors can read your conversation, and only when you ask for a person"
                " or might be in danger. We do not pass your messages to anyone else."
            ),
            _(
                "/my_data sends you a file with everything stored about you. Counselors' private working notes"
                " are not in it: they can concern other people's safety. You can ask a counselor about them."
            ),
            _("You can delete everything at any time with /delete_my_data."),
            _(
                "Only if a counselor has placed your conversation under a documented hold (for example to protect"
                " someone's safety) is it kept after that, with nothing in it that leads to you."
            ),
        )
    )
    return Reply(text, menu_buttons(_, consented=consented))


def delete_confirm(_: Translator) -> Reply:
    """Ask once more before erasing."""
    text = _("Delete everything Yoldosh has stored about you, including appointments? This cannot be undone.")
    return Reply(text, rows(Button(_("Yes, delete"), cb.DELETE_CONFIRM), Button(_("No, keep it"), cb.MENU), per_row=2))


def deleted(_: Translator) -> Reply:
    """After erasing."""
    return Reply(_("Done. Everything Yoldosh stored about you has been deleted. Write /start to begin again."))


def nothing_to_delete(_: Translator) -> Reply:
    """Erase requested by someone with no record."""
    return Reply(_("Yoldosh has nothing stored about you."))


def free_text_fallback(_: Translator, *, consented: bool) -> Reply:
    """Free text that no understanding service could take: keep the user moving with the menu."""
    text = _("I could not understand that message. Please choose from the menu below.")
    return Reply(text, menu_buttons(_, consented=consented))


def unknown_command(_: Translator, *, consented: bool) -> Reply:
    """A slash command Yoldosh does not know."""
    return Reply(_("I do not know this command. Here is what I can do."), menu_buttons(_, consented=consented))


def expired_button(_: Translator, *, consented: bool) -> Reply:
    """A button from an old message that no longer applies."""
    return Reply(_("This button is no longer active. Here is the menu."), menu_buttons(_, consented=consented))


def apology(_: Translator) -> Reply:
    """Something failed on Yoldosh's side; nothing the user did."""
    return Reply(_("Sorry, something went wrong on my side. Please try again in a moment."))


def rephrase(_: Translator) -> Reply:
    """The first time a message is not understood."""
    text = _("I did not quite understand. Could you say it in other words? You can also choose from the menu.")
    return Reply(text, menu_buttons(_, consented=True))


def still_not_understood(_: Translator) -> Reply:
    """A second misunderstanding in a row: stop asking to rephrase, offer the kinds of help directly."""
    text = _("I am sorry, I still do not understand. Here is what I can help with: choose one.")
    buttons = [Button(_(label), cb.make(cb.CATEGORY, code)) for code, label in CATEGORY_LABELS.items()]
    buttons.append(Button(_("Talk to a person"), cb.make(cb.COUNSELOR, cb.MISUNDERSTOOD)))
    return Reply(text, rows(*buttons, per_row=2))


def nlu_unavailable(_: Translator, *, kept: bool = False) -> Reply:
    """The understanding service is down or slow: be honest, say the message is kept, keep the menu working."""
    if kept:
        text = _(
            "I cannot read free text right now, sorry. I have kept your message and will answer it here as soon as "
            "I can. Meanwhile the menu below works: you can find services with it."
        )
    else:
        text = _("I cannot read free text right now, sorry. The menu below still works: you can find services with it.")
    return Reply(text, menu_buttons(_, consented=True))


def late_answer(_: Translator) -> Reply:
    """Before the answer to a message kept while free text could not be read."""
    return Reply(_("Sorry for the wait: I can read messages again. Here is my answer to what you wrote earlier."))


def none_in_city(_: Translator, country: str, city: str) -> Reply:
    """Nothing of this kind in the named city: say so before showing the rest of the country."""
    text = _("I found nothing of this kind in {city}. Here is what there is elsewhere in {country}.").format(
        city=city_name(country, city, _.locale), country=country_name(country, _.locale)
    )
    return Reply(text)
