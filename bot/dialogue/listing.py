"""A provider list as its buttons carry it (bot layer): kind of help, country, city and filters, in callback data.

`page|<category>|<country>|<offset>|<language>|<flags>|<city>`, e.g. `page|medical|UZ|5|uz|fw|andijan`: the language
is a code or empty, each flag one letter. Buttons from before filters existed (`page|medical|UZ|5[|andijan]`) still
parse, without filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.dialogue import callbacks as cb
from services.content.schema import COUNTRY_CODES
from services.directory.categories import CATEGORY_CODES
from services.directory.languages import LANGUAGE_CODES
from services.directory.types import NO_FILTERS, ProviderFilters, ProviderFlag

FLAG_LETTERS: dict[ProviderFlag, str] = {
    ProviderFlag.FREE: "f",
    ProviderFlag.WOMEN_STAFF: "w",
    ProviderFlag.CHILD_FRIENDLY: "c",
    ProviderFlag.STEP_FREE: "s",
}
_FLAGS_BY_LETTER = {letter: flag for flag, letter in FLAG_LETTERS.items()}
_CITY = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


@dataclass(frozen=True)
class Listing:
    """Which providers a list shows: a kind of help in a country (or one city), with filters."""

    category: str
    country: str
    city: str | None = None
    filters: ProviderFilters = NO_FILTERS

    def data(self, offset: int = 0) -> str:
        """The callback data of this list from `offset` on."""
        flags = "".join(letter for flag, letter in FLAG_LETTERS.items() if flag in self.filters.flags)
        language = self.filters.language or ""
        return cb.make(cb.PAGE, self.category, self.country, offset, language, flags, self.city or "")

    def speaking(self, language: str | None) -> Listing:
        """The same list with staff speaking `language` (None: any)."""
        return replace(self, filters=replace(self.filters, language=language))

    def toggled(self, flag: ProviderFlag) -> Listing:
        """The same list with `flag` required, or no longer required if it was."""
        return replace(self, filters=replace(self.filters, flags=self.filters.flags ^ {flag}))

    def unfiltered(self) -> Listing:
        """The same list without any filter."""
        return replace(self, filters=NO_FILTERS)


def parse_listing(args: tuple[str, ...]) -> tuple[Listing, int] | None:
    """The list and offset a `page` button's arguments stand for; None when they are not valid."""
    match args:
        case (category, country, offset):
            language, letters, city = "", "", ""
        case (category, country, offset, city):
            language, letters = "", ""
        case (category, country, offset, language, letters, city):
            pass
        case _:
            return None
    valid = (
        category in CATEGORY_CODES
        and country in COUNTRY_CODES
        and offset.isdigit()
        and (not language or language in LANGUAGE_CODES)
        and all(letter in _FLAGS_BY_LETTER for letter in letters)
        and (not city or _CITY.match(city) is not None)
    )
    if not valid:
        return None
    filters = ProviderFilters(language=language or None, flags=frozenset(_FLAGS_BY_LETTER[x] for x in letters))
    return Listing(category, country, city or None, filters), int(offset)
