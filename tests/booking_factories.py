"""Test data for booking: providers with schedules and public holidays, loaded through `load_directory`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from services.content.reader import DirectoryContent, SourcedProvider
from services.content.schema import Holiday, HolidaysFile, ProviderEntry
from services.directory.service import load_directory

# Tuesday 1 December 2026, 09:10 in Tashkent (UTC+5).
NOW = datetime(2026, 12, 1, 4, 10, tzinfo=UTC)
WEEKDAY_MORNINGS = {day: "09:00-12:00" for day in ("mon", "tue", "wed", "thu", "fri")}
HOLIDAYS = {"UZ": [(date(2026, 12, 8), "Constitution Day")], "KG": [(date(2026, 12, 8), "Test holiday")]}
PHONES = {"UZ": "+998 71 200 00 99", "KZ": "+7 727 200 00 99", "KG": "+996 312 200 099", "TJ": "+992 37 200 00 99"}


def provider_entry(
    provider_id: str = "uz-test-clinic",
    *,
    country: str = "UZ",
    timezone: str = "Asia/Tashkent",
    hours: dict[str, Any] | None = None,
    slot_minutes: int = 30,
    capacity: int = 2,
    closed_on: tuple[date, ...] = (),
    telegram_chat_id: int | None = None,
) -> SourcedProvider:
    """A provider entry as the content reader would produce it."""
    entry = ProviderEntry.model_validate(
        {
            "id": provider_id,
            "categories": ["medical"],
            "name": {"en": f"Clinic {provider_id}", "ru": f"Клиника {provider_id}"},
            "address": {"en": "1 Test Street", "ru": "ул. Тестовая, 1"},
            "region": "test",
            "city": "test",
            "coordinates": {"lat": 41.3, "lon": 69.2},
            "phone": PHONES[country],
            "timezone": timezone,
            "languages": ["uz", "ru"],
            "flags": {"free": True, "women_staff": True, "child_friendly": True, "step_free": True},
            "hours": hours if hours is not None else WEEKDAY_MORNINGS,
            "slot_minutes": slot_minutes,
            "slot_capacity": capacity,
            "closed_on": list(closed_on),
            "telegram_chat_id": telegram_chat_id,
        }
    )
    return SourcedProvider(country=country, entry=entry, file="test", sample=True)


def load_providers(
    session: Session, *providers: SourcedProvider, holidays: dict[str, list[tuple[date, str]]] | None = None
) -> None:
    """Load exactly these providers and holidays (others are deactivated), as `yoldosh content load` would."""
    listed = HOLIDAYS if holidays is None else holidays
    holiday_file = HolidaysFile(
        sample=True,
        notice="Test holidays, not a real calendar.",
        countries={country: [Holiday(date=day, name=name) for day, name in days] for country, days in listed.items()},
    )
    content = DirectoryContent(places=None, holidays=holiday_file, providers=list(providers))
    load_directory(session, content=content)
