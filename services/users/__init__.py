"""Users and consent (services layer): pseudonymous identities, locale and consent."""
