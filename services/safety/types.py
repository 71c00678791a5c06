"""What the safety net returns (services layer): a level, the categories behind it, and the rules that fired."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field


class SafetyLevel(enum.StrEnum):
    """How fast a human has to look: at once, soon, or not because of this message."""

    URGENT = "urgent"
    SENSITIVE = "sensitive"
    NONE = "none"


class SafetyCategory(enum.StrEnum):
    """Why a message needs a human; the first seven are urgent, the rest sensitive."""

    # urgent: someone's life or body is in danger now
    SUICIDE = "suicide"
    SELF_HARM = "self_harm"
    VIOLENCE = "violence"
    THREAT_TO_LIFE = "threat_to_life"
    MEDICAL_EMERGENCY = "medical_emergency"
    CHILD_DANGER = "child_danger"
    CONFINEMENT = "confinement"
    # sensitive: a human should follow up, nobody is in immediate danger
    PAST_ABUSE = "past_abuse"
    SEXUAL_VIOLENCE = "sexual_violence"
    TRAUMA = "trauma"
    DOMESTIC_CONFLICT = "domestic_conflict"
    RECRUITMENT_PRESSURE = "recruitment_pressure"
    LEGAL_JEOPARDY = "legal_jeopardy"
    HARASSMENT_STIGMA = "harassment_stigma"

    @property
    def level(self) -> SafetyLevel:
        """The level this category raises a message to."""
        return SafetyLevel.URGENT if self in URGENT_CATEGORIES else SafetyLevel.SENSITIVE


URGENT_CATEGORIES: frozenset[SafetyCategory] = frozenset(
    {
        SafetyCategory.SUICIDE,
        SafetyCategory.SELF_HARM,
        SafetyCategory.VIOLENCE,
        SafetyCategory.THREAT_TO_LIFE,
        SafetyCategory.MEDICAL_EMERGENCY,
        SafetyCategory.CHILD_DANGER,
        SafetyCategory.CONFINEMENT,
    }
)
_ORDER = {category: index for index, category in enumerate(SafetyCategory)}


@dataclass(frozen=True, slots=True)
class SafetyAssessment:
    """The verdict on one message: its level, its categories (urgent first) and the lexicon rules that fired.

    `rules` are lexicon positions such as "uz.yml:57" (file and line), never message text: they explain a
    verdict to a developer and are not meant for logs or for counselors.
    """

    level: SafetyLevel
    categories: tuple[SafetyCategory, ...] = ()
    rules: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_categories(cls, categories: Iterable[SafetyCategory], rules: Iterable[str] = ()) -> SafetyAssessment:
        """The assessment for a set of categories: urgent if any is urgent, else sensitive if any, else none."""
        ordered = tuple(sorted(set(categories), key=_ORDER.__getitem__))
        if any(category in URGENT_CATEGORIES for category in ordered):
            level = SafetyLevel.URGENT
        elif ordered:
            level = SafetyLevel.SENSITIVE
        else:
            level = SafetyLevel.NONE
        return cls(level=level, categories=ordered, rules=tuple(sorted(set(rules))))

    @property
    def is_urgent(self) -> bool:
        """Someone may be in danger now: emergency numbers at once and an urgent case."""
        return self.level is SafetyLevel.URGENT

    @property
    def is_sensitive(self) -> bool:
        """A human should follow up, but nothing points to immediate danger."""
        return self.level is SafetyLevel.SENSITIVE

    @property
    def needs_human(self) -> bool:
        """Urgent or sensitive: anything but none."""
        return self.level is not SafetyLevel.NONE

    @property
    def urgent_categories(self) -> tuple[SafetyCategory, ...]:
        """The urgent categories alone, in declaration order."""
        return tuple(category for category in self.categories if category in URGENT_CATEGORIES)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready form: level, categories and rules."""
        return {
            "level": self.level.value,
            "categories": [category.value for category in self.categories],
            "rules": list(self.rules),
        }
