"""Queries on users (services layer); never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.users.models import User


def find_by_pseudonym(session: Session, pseudonym: str) -> User | None:
    """The user with this pseudonym, if any."""
    return session.scalars(select(User).where(User.pseudonym == pseudonym)).one_or_none()


def find_by_id(session: Session, user_id: int) -> User | None:
    """The user with this id, if any."""
    return session.get(User, user_id)
