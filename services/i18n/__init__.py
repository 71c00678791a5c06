"""Languages (services layer): catalogs, locale-aware formatting and Uzbek transliteration."""
