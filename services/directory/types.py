"""Plain values the directory service returns (services layer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True)
class OpeningInterval:
    """Open from `opens` to `closes` on `weekday` (0 = Monday), provider's local time."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class ProviderCard:
    """Everything a provider card shows, already in the reader's locale."""

    id: str
    name: str
    address: str
    country_code: str
    city_code: str
    phone: str
    latitude: float
    longitude: float
    timezone: str
    languages: tuple[str, ...]
    categories: tuple[str, ...]
    is_free: bool
    women_staff: bool
    child_friendly: bool
    step_free: bool
    is_sample: bool
    hours: tuple[OpeningInterval, ...]


@dataclass(frozen=True)
class ProviderPage:
    """One page of search results."""

    cards: tuple[ProviderCard, ...]
    total: int
    offset: int


@dataclass(frozen=True)
class LoadReport:
    """What `load_directory` changed."""

    created: int
    updated: int
    unchanged: int
    deactivated: int
    holidays_changed: int = 0


@dataclass(frozen=True)
class NearbyProvider:
    """A provider card with its distance from a shared location."""

    card: ProviderCard
    distance_km: float
