"""Nearest providers to a shared location (services layer); the location is used once and never stored."""

from __future__ import annotations

import heapq
import math

from sqlalchemy.orm import Session

from services.directory import repository
from services.directory.service import provider_card
from services.directory.types import NearbyProvider

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points, in kilometres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi, half_dlambda = math.radians(lat2 - lat1) / 2, math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def find_nearest_providers(
    session: Session, *, locale: str, latitude: float, longitude: float, category: str | None = None, limit: int = 5
) -> list[NearbyProvider]:
    """The `limit` active providers closest to the point, nearest first, as cards in `locale`."""
    positions = repository.provider_positions(session, category=category)
    nearest = heapq.nsmallest(
        limit, ((distance_km(latitude, longitude, lat, lon), provider_id) for provider_id, lat, lon in positions)
    )
    providers = {provider.id: provider for provider in repository.providers_with_ids(session, [p for _, p in nearest])}
    return [
        NearbyProvider(card=provider_card(providers[provider_id], locale), distance_km=distance)
        for distance, provider_id in nearest
        if provider_id in providers
    ]
