"""Queries on the directory (services layer); never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from services.directory.models import Provider, PublicHoliday, ServiceCategory, provider_categories


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


def search_providers(
    session: Session,
    *,
    category: str | None,
    country_code: str | None,
    city_code: str | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Provider], int]:
    """Active providers matching the filters, ordered by id, with the total count."""
    query = _search(category, country_code, city_code)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.options(
            selectinload(Provider.texts), selectinload(Provider.opening_hours), selectinload(Provider.categories)
        )
        .order_by(Provider.city_code, Provider.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return page, total


def get_provider(session: Session, provider_id: str) -> Provider | None:
    """One provider with its texts, hours and categories."""
    return session.scalars(
        select(Provider)
        .where(Provider.id == provider_id)
        .options(selectinload(Provider.texts), selectinload(Provider.opening_hours), selectinload(Provider.categories))
    ).one_or_none()


def provider_positions(session: Session, *, category: str | None) -> list[tuple[str, float, float]]:
    """(id, latitude, longitude) of every active provider, optionally of one category."""
    query = _search(category, None, None).with_only_columns(Provider.id, Provider.latitude, Provider.longitude)
    return [(row[0], row[1], row[2]) for row in session.execute(query)]


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
