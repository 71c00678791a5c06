"""Imports every domain's ORM models so the metadata is complete (services layer, for Alembic and tests)."""

from services.audit.models import AuditEntry
from services.booking.models import Appointment, BookingDraft, SlotSeat
from services.deferred.models import DeferredQuestion
from services.directory.models import (
    OpeningHours,
    Provider,
    ProviderClosedDay,
    ProviderText,
    PublicHoliday,
    ServiceCategory,
)
from services.escalation.models import CaseMessage, Counselor, EscalationCase
from services.inbox.models import InboundUpdate, PendingUpdate
from services.outbox.models import OutboxMessage
from services.storage.base import Base
from services.trail.models import TrailMessage
from services.users.models import User

__all__ = [
    "Appointment",
    "AuditEntry",
    "Base",
    "BookingDraft",
    "CaseMessage",
    "Counselor",
    "DeferredQuestion",
    "EscalationCase",
    "InboundUpdate",
    "OpeningHours",
    "OutboxMessage",
    "PendingUpdate",
    "Provider",
    "ProviderClosedDay",
    "ProviderText",
    "PublicHoliday",
    "ServiceCategory",
    "SlotSeat",
    "TrailMessage",
    "User",
]
