"""Users: pseudonyms, language choice, consent and erasure, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.booking.models import Appointment
from services.directory.models import Provider
from services.users import service as users
from services.users.models import User
from services.users.pseudonyms import pseudonym_for
from services.users.types import CONSENT_VERSION
from tests.conftest import TEST_SECRET
from tests.factories import make_user


def test_pseudonym_is_keyed_stable_and_reveals_nothing() -> None:
    first = pseudonym_for(TEST_SECRET, channel="telegram", external_id=123456789)
    assert first == pseudonym_for(TEST_SECRET, channel="telegram", external_id="123456789")
    assert first != pseudonym_for(b"another-secret-key-of-enough-length-000", channel="telegram", external_id=123456789)
    assert first != pseudonym_for(TEST_SECRET, channel="console", external_id=123456789)
    assert "123456789" not in first and len(first) == 64


def test_choosing_a_language_stores_only_pseudonym_and_locale(session: Session) -> None:
    pseudonym = pseudonym_for(TEST_SECRET, channel="telegram", external_id=42)
    view = users.choose_locale(session, pseudonym=pseudonym, locale="uz_Cyrl")
    stored = session.scalars(select(User).where(User.pseudonym == pseudonym)).one()
    assert (stored.locale, stored.chat_id, stored.consent_at, stored.country_code) == ("uz_Cyrl", None, None, None)
    assert not view.has_consented


def test_changing_language_keeps_one_record(session: Session) -> None:
    pseudonym = pseudonym_for(TEST_SECRET, channel="telegram", external_id=43)
    users.choose_locale(session, pseudonym=pseudonym, locale="ru")
    users.choose_locale(session, pseudonym=pseudonym, locale="tg")
    assert session.scalar(select(func.count()).select_from(User).where(User.pseudonym == pseudonym)) == 1
    assert users.find_user(session, pseudonym=pseudonym).locale == "tg"  # type: ignore[union-attr]


def test_unsupported_locale_is_refused(session: Session) -> None:
    with pytest.raises(users.UnsupportedLocaleError):
        users.choose_locale(session, pseudonym="p" * 64, locale="de")


def test_consent_records_time_version_and_chat(session: Session) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    user = make_user(session, telegram_id=44, chat_id=4444)
    assert user.has_consented and user.consent_version == CONSENT_VERSION
    assert user.consent_at is not None and user.consent_at >= before
    stored = session.get(User, user.id)
    assert stored is not None and stored.chat_id == 4444


def test_declining_forgets_the_chat(session: Session) -> None:
    user = make_user(session, telegram_id=45)
    declined = users.decline_consent(session, pseudonym=user.pseudonym)
    assert not declined.has_consented
    stored = session.get(User, user.id)
    assert stored is not None and stored.chat_id is None and stored.locale == "uz"


def test_notifications_are_delivered_only_to_a_consenting_users_chat(session: Session) -> None:
    user = make_user(session, telegram_id=46, chat_id=4646)
    stranger = make_user(session, telegram_id=49, consented=False)
    assert users.delivery_chat_id(session, user_id=user.id) == 4646
    assert users.delivery_chat_id(session, user_id=stranger.id) is None
    users.decline_consent(session, pseudonym=user.pseudonym)
    assert users.delivery_chat_id(session, user_id=user.id) is None
    assert users.delivery_chat_id(session, user_id=10_000_000) is None


def test_follow_up_consent_needs_consent_and_is_forgotten_on_declining(session: Session) -> None:
    stranger = make_user(session, telegram_id=47, consented=False)
    with pytest.raises(users.ConsentRequiredError):
        users.set_follow_up_consent(session, pseudonym=stranger.pseudonym, agreed=True)
    assert users.set_follow_up_consent(session, pseudonym=stranger.pseudonym, agreed=False).follow_up_consent is False
    user = make_user(session, telegram_id=48)
    assert user.follow_up_consent is False
    assert users.set_follow_up_consent(session, pseudonym=user.pseudonym, agreed=True).follow_up_consent is True
    assert users.find_user(session, pseudonym=user.pseudonym).follow_up_consent is True  # type: ignore[union-attr]
    assert users.decline_consent(session, pseudonym=user.pseudonym).follow_up_consent is False


def test_consent_for_unknown_user_is_an_error(session: Session) -> None:
    with pytest.raises(users.UnknownUserError):
        users.give_consent(session, pseudonym="0" * 64)


def test_erasure_removes_the_user_and_their_appointments(session: Session) -> None:
    user = make_user(session, telegram_id=46)
    provider = Provider(
        id="test-clinic",
        country_code="UZ",
        region_code="r",
        city_code="c",
        latitude=41.0,
        longitude=69.0,
        phone="+998 71 200 00 00",
        timezone="Asia/Tashkent",
        languages=["uz"],
        is_free=True,
        women_staff=True,
        child_friendly=True,
        step_free=True,
        slot_minutes=30,
        slot_capacity=1,
        is_sample=True,
        content_hash="x",
    )
    session.add(provider)
    session.flush()
    starts = datetime(2026, 12, 3, 5, 30, tzinfo=UTC)
    session.add(
        Appointment(user_id=user.id, provider_id="test-clinic", starts_at=starts, ends_at=starts, idempotency_key="k1")
    )
    session.flush()
    assert users.delete_user_data(session, pseudonym=user.pseudonym) is True
    session.expire_all()
    assert session.get(User, user.id) is None
    assert session.scalar(select(func.count()).select_from(Appointment)) == 0
    assert users.delete_user_data(session, pseudonym=user.pseudonym) is False


def test_logged_database_errors_do_not_carry_the_values(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from bot.failures import describe_failure

    with engine.connect() as connection, pytest.raises(DBAPIError) as caught:
        connection.execute(
            text("INSERT INTO users (pseudonym, chat_id) VALUES (:pseudonym, :chat)"),
            {"pseudonym": None, "chat": 987654321},
        )
    assert "987654321" not in describe_failure(caught.value)
    assert describe_failure(caught.value).startswith("IntegrityError at ")
