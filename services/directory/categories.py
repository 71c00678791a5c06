"""The eight service categories: fixed codes shared with the NLU, labels from the catalogs (services layer)."""

from __future__ import annotations

from services.i18n.catalogs import N_

# Order is the order of the services menu.
CATEGORY_LABELS: dict[str, str] = {
    "medical": N_("Health and doctors"),
    "psychosocial": N_("Psychological support"),
    "education": N_("School and education"),
    "legal_documents": N_("Documents and legal aid"),
    "social_benefits": N_("Benefits and social aid"),
    "housing": N_("Housing"),
    "employment": N_("Work and training"),
    "family_repatriation": N_("Family and repatriation support"),
}

CATEGORY_CODES: tuple[str, ...] = tuple(CATEGORY_LABELS)
