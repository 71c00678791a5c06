"""The deterministic, multilingual safety net (services layer): `scan_message(text) -> SafetyAssessment`."""

from services.safety.scanner import scan_message
from services.safety.types import SafetyAssessment, SafetyCategory, SafetyLevel

__all__ = ["SafetyAssessment", "SafetyCategory", "SafetyLevel", "scan_message"]
