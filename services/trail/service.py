"""The quick-exit trail (services layer): which recent chat messages to delete when a user leaves in a hurry.

Only message ids are kept, only for users who consented, and only for Telegram's 48-hour deletion window.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.storage.base import utcnow
from services.trail.models import TrailMessage
from services.users.repository import find_by_id, find_by_pseudonym

# Telegram lets a bot delete messages in a private chat for 48 hours.
DELETABLE_FOR = timedelta(hours=48)


def remember_messages(
    session: Session, *, pseudonym: str, message_ids: Iterable[int], now: datetime | None = None
) -> bool:
    """Keep these message ids for the quick exit; False (nothing kept) unless the user has consented."""
    user = find_by_pseudonym(session, pseudonym)
    if user is None or user.consent_at is None:
        return False
    now = now or utcnow()
    session.add_all(TrailMessage(user_id=user.id, message_id=message_id, sent_at=now) for message_id in message_ids)
    return True


def remember_delivered(session: Session, *, user_id: int, message_ids: Iterable[int], now: datetime) -> bool:
    """Keep the ids of messages a worker delivered (reminders) for the quick exit; False unless the user consents."""
    user = find_by_id(session, user_id)
    if user is None or user.consent_at is None:
        return False
    session.add_all(TrailMessage(user_id=user.id, message_id=message_id, sent_at=now) for message_id in message_ids)
    return True


def take_recent_messages(session: Session, *, pseudonym: str, now: datetime | None = None) -> list[int]:
    """The ids of the user's messages still deletable, oldest first; forgets the whole trail."""
    user = find_by_pseudonym(session, pseudonym)
    if user is None:
        return []
    since = (now or utcnow()) - DELETABLE_FOR
    ids = session.scalars(
        select(TrailMessage.message_id)
        .where(TrailMessage.user_id == user.id, TrailMessage.sent_at >= since)
        .order_by(TrailMessage.message_id)
    ).all()
    session.execute(delete(TrailMessage).where(TrailMessage.user_id == user.id))
    return list(ids)


def purge_trail(session: Session, *, now: datetime | None = None) -> int:
    """Forget trail entries Telegram would no longer let us delete; returns how many."""
    result = session.execute(delete(TrailMessage).where(TrailMessage.sent_at < (now or utcnow()) - DELETABLE_FOR))
    return int(result.rowcount)  # type: ignore[attr-defined]
