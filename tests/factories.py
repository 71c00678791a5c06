"""Test data factories: users and directory content built through the services, never raw SQL."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.users import service as users
from services.users.pseudonyms import pseudonym_for
from services.users.types import UserView
from tests.conftest import TEST_SECRET


def make_user(
    session: Session, *, telegram_id: int = 1001, locale: str = "uz", consented: bool = True, chat_id: int = 1001
) -> UserView:
    """A user who chose `locale` and, unless told otherwise, accepted the terms."""
    pseudonym = pseudonym_for(TEST_SECRET, channel="telegram", external_id=telegram_id)
    user = users.choose_locale(session, pseudonym=pseudonym, locale=locale)
    return users.give_consent(session, pseudonym=pseudonym, chat_id=chat_id) if consented else user
