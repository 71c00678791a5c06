"""Plain values the directory service returns (services layer)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
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


class ProviderFlag(enum.StrEnum):
    """Something a visitor may need and filter on; the values are the content's flag names (schema `Flags`)."""

    FREE = "free"
    WOMEN_STAFF = "women_staff"
    CHILD_FRIENDLY = "child_friendly"
    STEP_FREE = "step_free"


@dataclass(frozen=True)
class ProviderFilters:
    """What a listed provider must offer: staff speaking `language` (a code such as "uz", any script) and every
    flag in `flags`. The default filters nothing."""

    language: str | None = None
    flags: frozenset[ProviderFlag] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return self.language is not None or bool(self.flags)


NO_FILTERS = ProviderFilters()


@dataclass(frozen=True)
class ProviderPage:
    """One page of search results: `total` pass the filters, `total_without_filters` are there at all."""

    cards: tuple[ProviderCard, ...]
    total: int
    offset: int
    filters: ProviderFilters
    total_without_filters: int


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
