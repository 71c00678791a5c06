"""Users and consent (services layer): identify by pseudonym, choose a language, give or decline consent."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.i18n.locales import SUPPORTED_LOCALES
from services.storage.base import utcnow
from services.users import repository
from services.users.models import User
from services.users.types import CONSENT_VERSION, UserView


class UnknownUserError(LookupError):
    """No user has this pseudonym."""


class UnsupportedLocaleError(ValueError):
    """The locale is not one of the seven Yoldosh speaks."""


class ConsentRequiredError(PermissionError):
    """The user has not accepted the terms, so nothing beyond the language choice may be stored."""


def _view(user: User) -> UserView:
    return UserView(
        id=user.id,
        pseudonym=user.pseudonym,
        locale=user.locale,
        country_code=user.country_code,
        consent_at=user.consent_at,
        consent_version=user.consent_version,
        follow_up_consent=user.follow_up_consent,
    )


def _require(session: Session, pseudonym: str) -> User:
    user = repository.find_by_pseudonym(session, pseudonym)
    if user is None:
        raise UnknownUserError(pseudonym)
    return user


def find_user(session: Session, *, pseudonym: str) -> UserView | None:
    """The user with this pseudonym, or None for someone new."""
    user = repository.find_by_pseudonym(session, pseudonym)
    return _view(user) if user else None


def choose_locale(session: Session, *, pseudonym: str, locale: str) -> UserView:
    """Record the chosen language, creating the user record (pseudonym and locale only) on first contact."""
    if locale not in SUPPORTED_LOCALES:
        raise UnsupportedLocaleError(locale)
    user = repository.find_by_pseudonym(session, pseudonym)
    if user is None:
        user = User(pseudonym=pseudonym)
        session.add(user)
    user.locale = locale
    user.last_seen_at = utcnow()
    session.flush()
    return _view(user)


def give_consent(session: Session, *, pseudonym: str, chat_id: int | None = None) -> UserView:
    """Record consent to the current terms with its time and version; keep the chat id to deliver messages."""
    user = _require(session, pseudonym)
    user.chat_id = chat_id
    user.consent_at = utcnow()
    user.consent_version = CONSENT_VERSION
    session.flush()
    return _view(user)


def delivery_chat_id(session: Session, *, user_id: int) -> int | None:
    """The chat to deliver a notification to: kept only while the user consents, so None means do not send."""
    user = repository.find_by_id(session, user_id)
    if user is None or user.consent_at is None:
        return None
    return user.chat_id


def decline_consent(session: Session, *, pseudonym: str) -> UserView:
    """Record that consent was declined: nothing beyond the language choice is kept."""
    user = _require(session, pseudonym)
    user.consent_at = None
    user.consent_version = None
    user.chat_id = None
    user.follow_up_consent = False
    session.flush()
    return _view(user)


def set_follow_up_consent(session: Session, *, pseudonym: str, agreed: bool) -> UserView:
    """Record whether a counselor may follow up (e.g. after a missed appointment); agreeing needs consent first."""
    user = _require(session, pseudonym)
    if agreed and user.consent_at is None:
        raise ConsentRequiredError("follow-up needs consent to the terms first")
    user.follow_up_consent = agreed
    session.flush()
    return _view(user)


def choose_country(session: Session, *, pseudonym: str, country_code: str) -> UserView:
    """Remember which country's services the user wants to see."""
    user = _require(session, pseudonym)
    user.country_code = country_code
    session.flush()
    return _view(user)


def delete_user_data(session: Session, *, pseudonym: str) -> bool:
    """Erase the user and everything that hangs off them (appointments, cases, outbox); False if none."""
    user = repository.find_by_pseudonym(session, pseudonym)
    if user is None:
        return False
    session.delete(user)
    session.flush()
    return True
