"""Service directory (services layer): load the YAML content, search providers, show a provider card."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.content.reader import DirectoryContent, SourcedProvider
from services.content.schema import WEEKDAYS, HolidaysFile, parse_interval
from services.directory import repository
from services.directory.categories import CATEGORY_CODES
from services.directory.languages import speaks
from services.directory.models import (
    OpeningHours,
    Provider,
    ProviderClosedDay,
    ProviderText,
    PublicHoliday,
    ServiceCategory,
)
from services.directory.texts import complete_texts
from services.directory.types import (
    NO_FILTERS,
    LoadReport,
    OpeningInterval,
    ProviderCard,
    ProviderFilters,
    ProviderPage,
)


class InvalidContentError(ValueError):
    """The content has problems; `yoldosh content check` lists them."""


class ProviderNotFoundError(LookupError):
    """No active provider has this id."""


def _content_hash(sourced: SourcedProvider) -> str:
    document = {"country": sourced.country, "sample": sourced.sample, "entry": sourced.entry.model_dump(mode="json")}
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _apply(provider: Provider, sourced: SourcedProvider, categories: dict[str, ServiceCategory]) -> None:
    entry = sourced.entry
    provider.country_code = sourced.country
    provider.region_code = entry.region
    provider.city_code = entry.city
    provider.latitude = entry.coordinates.lat
    provider.longitude = entry.coordinates.lon
    provider.phone = entry.phone
    provider.timezone = entry.timezone
    provider.languages = list(entry.languages)
    provider.is_free = entry.flags.free
    provider.women_staff = entry.flags.women_staff
    provider.child_friendly = entry.flags.child_friendly
    provider.step_free = entry.flags.step_free
    provider.slot_minutes = entry.slot_minutes
    provider.slot_capacity = entry.slot_capacity
    provider.telegram_chat_id = entry.telegram_chat_id
    provider.active = True
    provider.is_sample = sourced.sample
    provider.content_hash = _content_hash(sourced)
    provider.categories = [categories[code] for code in entry.categories]
    names, addresses = complete_texts(entry.name), complete_texts(entry.address)
    provider.texts = [
        ProviderText(locale=locale, name=names[locale], address=addresses[locale]) for locale in sorted(names)
    ]
    provider.opening_hours = [
        OpeningHours(weekday=WEEKDAYS.index(day), opens=opens, closes=closes)
        for day, spans in entry.hours.items()
        for opens, closes in (parse_interval(span) for span in spans)
    ]
    provider.closed_days = [ProviderClosedDay(day=day) for day in entry.closed_on]


def _ensure_categories(session: Session) -> dict[str, ServiceCategory]:
    categories = repository.categories_by_code(session)
    for position, code in enumerate(CATEGORY_CODES):
        category = categories.get(code)
        if category is None:
            category = categories[code] = ServiceCategory(code=code, position=position)
            session.add(category)
        category.position = position
    return categories


def _load_holidays(session: Session, holidays: HolidaysFile | None) -> int:
    """Make the stored public holidays equal to the file's; returns how many rows were added, renamed or removed."""
    wanted = {
        (country, holiday.date): holiday.name
        for country, listed in (holidays.countries.items() if holidays else ())
        for holiday in listed
    }
    stored = repository.public_holidays(session)
    changed = 0
    for key, holiday in stored.items():
        if key not in wanted:
            session.delete(holiday)
            changed += 1
        elif holiday.name != wanted[key]:
            holiday.name = wanted[key]
            changed += 1
    for (country, day), name in wanted.items():
        if (country, day) not in stored:
            session.add(PublicHoliday(country_code=country, day=day, name=name))
            changed += 1
    return changed


def load_directory(session: Session, *, content: DirectoryContent) -> LoadReport:
    """Upsert every provider and public holiday from checked content; unlisted providers are deactivated."""
    if content.problems:
        raise InvalidContentError(f"{len(content.problems)} problem(s); run `yoldosh content check`")
    holidays_changed = _load_holidays(session, content.holidays)
    categories = _ensure_categories(session)
    existing = repository.providers_by_id(session)
    created = updated = unchanged = 0
    for sourced in content.providers:
        provider = existing.get(sourced.entry.id)
        if provider is not None and provider.active and provider.content_hash == _content_hash(sourced):
            unchanged += 1
            continue
        if provider is None:
            provider = Provider(id=sourced.entry.id)
            session.add(provider)
            created += 1
        else:
            updated += 1
            # Delete the old rows first: the unit of work would otherwise insert the new ones before deleting.
            provider.texts.clear()
            provider.opening_hours.clear()
            provider.closed_days.clear()
            session.flush()
        _apply(provider, sourced, categories)
    listed = {sourced.entry.id for sourced in content.providers}
    stale = [provider for provider_id, provider in existing.items() if provider_id not in listed and provider.active]
    for provider in stale:
        provider.active = False
    session.flush()
    return LoadReport(
        created=created,
        updated=updated,
        unchanged=unchanged,
        deactivated=len(stale),
        holidays_changed=holidays_changed,
    )


def provider_card(provider: Provider, locale: str) -> ProviderCard:
    """The card of a loaded provider in `locale` (English texts when that locale has none)."""
    texts = {text.locale: text for text in provider.texts}
    text = texts.get(locale) or texts["en"]
    return ProviderCard(
        id=provider.id,
        name=text.name,
        address=text.address,
        country_code=provider.country_code,
        city_code=provider.city_code,
        phone=provider.phone,
        latitude=provider.latitude,
        longitude=provider.longitude,
        timezone=provider.timezone,
        languages=tuple(provider.languages),
        categories=tuple(sorted(category.code for category in provider.categories)),
        is_free=provider.is_free,
        women_staff=provider.women_staff,
        child_friendly=provider.child_friendly,
        step_free=provider.step_free,
        is_sample=provider.is_sample,
        hours=tuple(
            OpeningInterval(weekday=hours.weekday, opens=hours.opens, closes=hours.closes)
            for hours in sorted(provider.opening_hours, key=lambda h: (h.weekday, h.opens))
        ),
    )


def matches(candidate: repository.Candidate, filters: ProviderFilters) -> bool:
    """Whether a provider offers everything the filters ask for."""
    if not filters.flags <= candidate.flags:
        return False
    return filters.language is None or speaks(candidate.languages, filters.language)


def cards_in_order(session: Session, provider_ids: Sequence[str], locale: str) -> list[ProviderCard]:
    """The cards of these active providers in `locale`, in the order given (ids no longer active are left out)."""
    providers = {provider.id: provider for provider in repository.providers_with_ids(session, provider_ids)}
    return [provider_card(providers[provider_id], locale) for provider_id in provider_ids if provider_id in providers]


def find_providers(
    session: Session,
    *,
    locale: str,
    category: str | None = None,
    country_code: str | None = None,
    city_code: str | None = None,
    filters: ProviderFilters = NO_FILTERS,
    limit: int = 5,
    offset: int = 0,
) -> ProviderPage:
    """One page of active providers for a category and place that pass the filters, as cards in `locale`."""
    found = repository.candidates(session, category=category, country_code=country_code, city_code=city_code)
    matching = [candidate.id for candidate in found if matches(candidate, filters)]
    return ProviderPage(
        cards=tuple(cards_in_order(session, matching[offset : offset + limit], locale)),
        total=len(matching),
        offset=offset,
        filters=filters,
        total_without_filters=len(found),
    )


def provider_chat_id(session: Session, *, provider_id: str) -> int | None:
    """The Telegram chat where an active provider's staff get booking notices, or None when it has none."""
    provider = repository.get_provider(session, provider_id)
    if provider is None or not provider.active:
        return None
    return provider.telegram_chat_id


def get_provider_card(session: Session, *, provider_id: str, locale: str) -> ProviderCard:
    """The card of one active provider in `locale`."""
    provider = repository.get_provider(session, provider_id)
    if provider is None or not provider.active:
        raise ProviderNotFoundError(provider_id)
    return provider_card(provider, locale)
