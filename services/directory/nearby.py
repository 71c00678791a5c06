"""Nearest providers to a shared location (services layer); the location is used once and never stored."""

from __future__ import annotations

import heapq
import math

from sqlalchemy.orm import Session

from services.directory import repository
from services.directory.service import cards_in_order, matches
from services.directory.types import NO_FILTERS, NearbyProvider, ProviderFilters

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points, in kilometres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi, half_dlambda = math.radians(lat2 - lat1) / 2, math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def find_nearest_providers(
    session: Session,
    *,
    locale: str,
    latitude: float,
    longitude: float,
    category: str | None = None,
    filters: ProviderFilters = NO_FILTERS,
    limit: int = 5,
) -> list[NearbyProvider]:
    """The `limit` active providers closest to the point that pass the filters, nearest first, as cards in `locale`."""
    found = repository.candidates(session, category=category)
    nearest = heapq.nsmallest(
        limit,
        (
            (distance_km(latitude, longitude, candidate.latitude, candidate.longitude), candidate.id)
            for candidate in found
            if matches(candidate, filters)
        ),
    )
    cards = {card.id: card for card in cards_in_order(session, [provider_id for _, provider_id in nearest], locale)}
    return [
        NearbyProvider(card=cards[provider_id], distance_km=distance)
        for distance, provider_id in nearest
        if provider_id in cards
    ]
