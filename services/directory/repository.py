"""Queries on the directory (services layer); never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from services.directory.models import Provider, PublicHoliday, ServiceCategory, provider_categories
from services.directory.types import ProviderFlag

FLAG_COLUMNS = {
    ProviderFlag.FREE: Provider.is_free,
    ProviderFlag.WOMEN_STAFF: Provider.women_staff,
    ProviderFlag.CHILD_FRIENDLY: Provider.child_friendly,
    ProviderFlag.STEP_FREE: Provider.step_free,
}


def providers_by_id(session: Session) -> dict[str, Provider]:
    """Every provider, active or not, by id."""
    return {provider.id: provider for provider in session.scalars(select(Provider))}


def categories_by_code(session: Session) -> dict[str, ServiceCategory]:
    """Every category by code."""
    return {category.code: category for category in session.scalars(select(ServiceCategory))}


def public_holidays(session: Session) -> dict[tuple[str, date], PublicHoliday]:
    """Every stored public holiday by (country, day)."""
    return {(holiday.country_code, holiday.day): holiday for holiday in session.scalars(select(PublicHoliday))}


def _search(category: str | None, country_code: str | None, city_code: str | None) -> Select[Provider]:
    query = select(Provider).where(Provider.active.is_(True))
    if category:
        query = query.join(provider_categories).where(provider_categories.c.category_code == category)
    if country_code:
        query = query.where(Provider.country_code == country_code)
    if city_code:
        query = query.where(Provider.city_code == city_code)
    return query


class Candidate(NamedTuple):
    """What filtering and ranking need of an active provider: where it is, who speaks what, what it offers."""

    id: str
    latitude: float
    longitude: float
    languages: list[str]
    flags: frozenset[ProviderFlag]


def candidates(
    session: Session, *, category: str | None, country_code: str | None = None, city_code: str | None = None
) -> list[Candidate]:
    """Every active provider of the category and place, in listing order (city, then id), without its texts."""
    query = _search(category, country_code, city_code).with_only_columns(
        Provider.id,
        Provider.latitude,
        Provider.longitude,
        Provider.languages,
        *FLAG_COLUMNS.values(),
    )
    found = []
    for provider_id, latitude, longitude, languages, *flags in session.execute(
        query.order_by(Provider.city_code, Provider.id)
    ):
        offered = frozenset(flag for flag, value in zip(FLAG_COLUMNS, flags, strict=True) if value)
        found.append(Candidate(provider_id, latitude, longitude, list(languages or ()), offered))
    return found


def get_provider(session: Session, provider_id: str) -> Provider | None:
    """One provider with its texts, hours and categories."""
    return session.scalars(
        select(Provider)
        .where(Provider.id == provider_id)
        .options(selectinload(Provider.texts), selectinload(Provider.opening_hours), selectinload(Provider.categories))
    ).one_or_none()


def providers_with_ids(session: Session, provider_ids: Sequence[str]) -> list[Provider]:
    """Active providers with these ids, texts, hours and categories loaded (order not kept)."""
    return list(
        session.scalars(
            select(Provider)
            .where(Provider.id.in_(provider_ids), Provider.active.is_(True))
            .options(
                selectinload(Provider.texts), selectinload(Provider.opening_hours), selectinload(Provider.categories)
            )
        )
    )
