"""Plain values the users service returns (services layer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CONSENT_VERSION = "2026-11"


@dataclass(frozen=True)
class UserView:
    """What a transport may know about a user: pseudonym, locale, consent."""

    id: int
    pseudonym: str
    locale: str | None
    country_code: str | None
    consent_at: datetime | None
    consent_version: str | None
    follow_up_consent: bool = False

    @property
    def has_consented(self) -> bool:
        """True when the user accepted the current consent text."""
        return self.consent_at is not None and self.consent_version == CONSENT_VERSION
