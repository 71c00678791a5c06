"""Emergency numbers per country (services layer), read once from content/emergency/contacts.yml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from services.content.schema import COUNTRY_CODES
from services.i18n.catalogs import N_
from services.paths import CONTENT_DIR

SERVICE_LABELS: dict[str, str] = {
    "emergency": N_("All emergency services"),
    "ambulance": N_("Ambulance"),
    "police": N_("Police"),
    "fire": N_("Fire and rescue"),
}
CONTACTS_FILE = CONTENT_DIR / "emergency" / "contacts.yml"


class _Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    service: Literal[tuple(SERVICE_LABELS)]  # type: ignore[valid-type]
    number: str = Field(pattern=r"^\+?[0-9 ]{2,20}$")


class _ContactsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sample: bool
    notice: str = Field(min_length=20)
    countries: dict[Literal[COUNTRY_CODES], list[_Contact]]  # type: ignore[valid-type]


@dataclass(frozen=True)
class EmergencyContact:
    """One number to call: what it is (a catalog msgid) and the number."""

    label: str
    number: str


@cache
def _contacts(path: Path = CONTACTS_FILE) -> _ContactsFile:
    return _ContactsFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def emergency_contacts(country_code: str) -> tuple[EmergencyContact, ...]:
    """The emergency numbers of a country, most general first; empty for a country not listed."""
    return tuple(
        EmergencyContact(label=SERVICE_LABELS[contact.service], number=contact.number)
        for contact in _contacts().countries.get(country_code, [])
    )


def contacts_are_sample() -> bool:
    """True while the shipped numbers are unverified samples."""
    return _contacts().sample
