"""The append-only audit log (services layer): who did what to which case, pseudonymously."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.audit.models import AuditEntry
from services.storage.base import utcnow


def record_action(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Append one entry; `actor` is "counselor:<id>", "user:<case code>" or "system", never a name or Telegram id."""
    session.add(
        AuditEntry(
            at=now or utcnow(),
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            details=details or {},
        )
    )


def actions_on(session: Session, *, subject_type: str, subject_id: str | int) -> list[tuple[str, str]]:
    """(actor, action) pairs recorded for one subject, oldest first."""
    rows = session.execute(
        select(AuditEntry.actor, AuditEntry.action)
        .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == str(subject_id))
        .order_by(AuditEntry.id)
    )
    return [(actor, action) for actor, action in rows]
