"""The counselor registry (services layer): who may claim, read and close cases through the bot."""

from __future__ import annotations

import unicodedata

from sqlalchemy.orm import Session

from services.audit.service import record_action
from services.escalation import repository
from services.escalation.models import Counselor, CounselorRole
from services.escalation.types import CounselorView

ALIAS_MAX = 32


class NotACounselorError(PermissionError):
    """This Telegram account is not an active registered counselor."""


class InvalidAliasError(ValueError):
    """An alias must be a short visible name without control or direction characters."""


def counselor_view(counselor: Counselor) -> CounselorView:
    """The plain value of a counselor row."""
    return CounselorView(
        id=counselor.id, alias=counselor.alias, role=counselor.role, active=counselor.active, on_call=counselor.on_call
    )


def clean_alias(alias: str) -> str:
    """The alias users will see, with control, format (bidi) and surrogate characters removed."""
    visible = "".join(ch for ch in alias if unicodedata.category(ch)[0] != "C").strip()
    if not visible or len(visible) > ALIAS_MAX:
        raise InvalidAliasError(f"alias must be 1 to {ALIAS_MAX} visible characters")
    return visible


def add_counselor(
    session: Session,
    *,
    telegram_user_id: int,
    alias: str,
    role: CounselorRole = CounselorRole.COUNSELOR,
    on_call: bool = False,
) -> CounselorView:
    """Register (or re-activate and update) a counselor; users will only ever see the alias."""
    visible = clean_alias(alias)
    counselor = repository.counselor_by_telegram_id(session, telegram_user_id)
    if counselor is None:
        counselor = Counselor(telegram_user_id=telegram_user_id, alias=visible, role=role)
        session.add(counselor)
    counselor.alias, counselor.role, counselor.active, counselor.on_call = visible, role, True, on_call
    session.flush()
    record_action(session, actor="system", action="counselor_add", subject_type="counselor", subject_id=counselor.id)
    return counselor_view(counselor)


def remove_counselor(session: Session, *, telegram_user_id: int) -> bool:
    """Deactivate a counselor (kept for the audit trail); False if none was registered."""
    counselor = repository.counselor_by_telegram_id(session, telegram_user_id)
    if counselor is None:
        return False
    counselor.active = False
    record_action(session, actor="system", action="counselor_remove", subject_type="counselor", subject_id=counselor.id)
    return True


def list_counselors(session: Session) -> list[CounselorView]:
    """Every registered counselor, active or not."""
    return [counselor_view(counselor) for counselor in repository.all_counselors(session)]


def require_counselor(session: Session, *, telegram_user_id: int) -> Counselor:
    """The active counselor behind this Telegram account, or NotACounselorError."""
    counselor = repository.counselor_by_telegram_id(session, telegram_user_id)
    if counselor is None or not counselor.active:
        raise NotACounselorError()
    return counselor


def on_call_telegram_ids(session: Session) -> list[int]:
    """Telegram accounts of the active on-call counselors, alerted directly about urgent cases out of hours."""
    return [
        counselor.telegram_user_id
        for counselor in repository.all_counselors(session)
        if counselor.active and counselor.on_call
    ]
