"""Encryption at rest: what people write is ciphertext in the tables, authenticated, and rotates to a new key;
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from bot.cli.main import main
from services.booking import drafts
from services.booking import service as booking
from services.booking.models import Appointment, BookingDraft
from services.config import ConfigurationError, load_settings
from services.crypto.columns import EncryptedText
from services.crypto.keys import DecryptionError, KeyRing, KeyRingNotConfiguredError, derive_key
from services.crypto.rotation import RotationError, encrypted_columns, rotate_keys
from services.escalation.models import CaseMessage, CasePriority, EscalationCase, MessageDirection
from services.storage.database import create_database_engine, session_factory, transaction
from services.storage.migrate import upgrade_database
from tests.booking_factories import NOW, load_providers, provider_entry
from tests.conftest import BACKENDS, TEST_SECRET, key_ring_for, scratch_postgres_url
from tests.factories import make_user

KEY_A = "key-a-" + "a" * 40
KEY_B = "key-b-" + "b" * 40
KEY_C = "key-c-" + "c" * 40
MESSAGE = "Меня зовут Айгуль, муж бьёт меня, адрес: Чиланзар 5"
NOTE = "Сын 7 лет, нужен переводчик — boshqa odam bilmasin"
DRAFT_NOTE = "Please don't call, only Telegram"


def at(day: int, hour: int) -> datetime:
    """A wall-clock time in Tashkent in December 2026, as UTC."""
    return datetime(2026, 12, day, hour, tzinfo=ZoneInfo("Asia/Tashkent")).astimezone(UTC)


@dataclass(frozen=True)
class Stored:
    """Where one encrypted value lives: table, column, primary key column and value, and its plaintext."""

    table: str
    column: str
    key: str
    key_value: int
    plaintext: str

    def raw(self, session: Session) -> str:
        """The column as the database holds it, read with plain SQL."""
        query = text(f"SELECT {self.column} FROM {self.table} WHERE {self.key} = :key")
        return str(session.execute(query, {"key": self.key_value}).scalar_one())


def store_texts(session: Session, *, telegram_id: int = 5001, hour: int = 9) -> list[Stored]:
    """A case message, an appointment note and a booking draft note, written through the services and the ORM."""
    user = make_user(session, telegram_id=telegram_id, chat_id=telegram_id)
    case = EscalationCase(user_id=user.id, priority=CasePriority.URGENT, trigger="safety", locale="ru")
    session.add(case)
    session.flush()
    message = CaseMessage(case_id=case.id, direction=MessageDirection.FROM_USER, body=MESSAGE)
    session.add(message)
    appointment = booking.book_slot(
        session,
        pseudonym=user.pseudonym,
        provider_id="uz-test-clinic",
        starts_at=at(3, hour),
        note=NOTE,
        idempotency_key=f"encrypted-{telegram_id}",
        now=NOW,
    )
    drafts.start_draft(session, pseudonym=user.pseudonym, provider_id="uz-test-clinic", now=NOW)
    drafts.choose_time(session, pseudonym=user.pseudonym, starts_at=at(4, hour), now=NOW)
    drafts.set_note(session, pseudonym=user.pseudonym, note=DRAFT_NOTE, now=NOW)
    session.flush()
    return [
        Stored("case_messages", "body", "id", message.id, MESSAGE),
        Stored("appointments", "note", "id", appointment.id, NOTE),
        Stored("booking_drafts", "note", "user_id", user.id, DRAFT_NOTE),
    ]


def read_back(session: Session, stored: list[Stored]) -> list[str | None]:
    """The three values as the ORM reads them, fresh from the database."""
    session.expire_all()
    message, appointment, draft = stored
    return [
        session.scalar(select(CaseMessage.body).where(CaseMessage.id == message.key_value)),
        session.scalar(select(Appointment.note).where(Appointment.id == appointment.key_value)),
        session.scalar(select(BookingDraft.note).where(BookingDraft.user_id == draft.key_value)),
    ]


# -- the key ring ------------------------------------------------------------------------------------------------


def test_a_value_round_trips_and_is_different_ciphertext_every_time() -> None:
    ring = KeyRing(KEY_A.encode())
    first, second = (ring.encrypt(MESSAGE, context="case_messages.body") for _ in range(2))
    assert first != second
    assert first.startswith(f"enc1:{ring.current_key_id}:")
    assert MESSAGE not in first and "Айгуль".encode().hex() not in first
    assert ring.decrypt(first, context="case_messages.body") == MESSAGE
    assert ring.decrypt(ring.encrypt("", context="x"), context="x") == ""


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda token: token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:], id="ciphertext"),
        pytest.param(lambda token: token[:20] + ("A" if token[20] != "A" else "B") + token[21:], id="nonce"),
        pytest.param(lambda token: token.replace(token.split(":")[1], "0badc0de"), id="key-id"),
        pytest.param(lambda token: token[:-10], id="truncated"),
        pytest.param(lambda token: token.split(":", 2)[2], id="no-header"),
        pytest.param(lambda _token: MESSAGE, id="plaintext"),
    ],
)
def test_a_tampered_value_is_refused(tamper: object) -> None:
    ring = KeyRing(KEY_A.encode())
    token = ring.encrypt(MESSAGE, context="case_messages.body")
    with pytest.raises(DecryptionError) as refused:
        ring.decrypt(tamper(token), context="case_messages.body")  # type: ignore[operator]
    assert MESSAGE not in str(refused.value)


def test_a_value_moved_to_another_column_is_refused() -> None:
    ring = KeyRing(KEY_A.encode())
    token = ring.encrypt(NOTE, context="appointments.note")
    with pytest.raises(DecryptionError, match="authentication"):
        ring.decrypt(token, context="case_messages.body")


def test_old_keys_decrypt_only_the_current_key_encrypts_and_unknown_keys_are_named() -> None:
    old, new = KeyRing(KEY_A.encode()), KeyRing(KEY_B.encode(), [KEY_A.encode()])
    token = old.encrypt(NOTE, context="c")
    assert new.decrypt(token, context="c") == NOTE
    assert not new.is_current(token) and new.is_current(new.encrypt(NOTE, context="c"))
    assert new.encrypt(NOTE, context="c").startswith(f"enc1:{KeyRing(KEY_B.encode()).current_key_id}:")
    with pytest.raises(DecryptionError, match=f"key {old.current_key_id}.*OLD_SECRET_KEYS"):
        KeyRing(KEY_B.encode()).decrypt(token, context="c")


def test_keys_are_derived_per_purpose_and_the_key_id_reveals_neither() -> None:
    secret = KEY_A.encode()
    assert derive_key(secret) != derive_key(secret, purpose=b"something else")
    assert len(derive_key(secret)) == 32 and derive_key(secret) != secret[:32]
    key_id = KeyRing(secret).current_key_id
    assert key_id not in derive_key(secret).hex() and key_id not in secret.hex()


def test_old_secret_keys_are_read_comma_separated_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", KEY_B)
    monkeypatch.setenv("OLD_SECRET_KEYS", f" {KEY_A}, ,{KEY_C} ")
    settings = load_settings(_env_file=None)
    assert settings.old_secret_keys_bytes() == [KEY_A.encode(), KEY_C.encode()]
    assert KEY_A not in repr(settings)
    ring = KeyRing.from_settings(settings)
    assert ring.decrypt(KeyRing(KEY_C.encode()).encrypt("x", context="c"), context="c") == "x"
    monkeypatch.setenv("OLD_SECRET_KEYS", "")
    assert load_settings(_env_file=None).old_secret_keys_bytes() == []
    monkeypatch.setenv("OLD_SECRET_KEYS", f"{KEY_A},too-short")
    with pytest.raises(ConfigurationError, match="OLD_SECRET_KEYS: each comma-separated key must be at least 32"):
        load_settings(_env_file=None)


def test_every_free_text_column_is_encrypted() -> None:
    assert {f"{table.name}.{column.name}" for table, column in encrypted_columns()} == {
        "appointments.note",
        "booking_drafts.note",
        "case_messages.body",
        "deferred_questions.text",  # a message kept while Rasa was away
        "pending_updates.payload",  # an update received and not yet handled
    }
    for table, column in encrypted_columns():
        assert isinstance(column.type, EncryptedText) and column.type.context == f"{table.name}.{column.name}"


# -- in the database ---------------------------------------------------------------------------------------------


@pytest.fixture
def clinic(session: Session) -> str:
    load_providers(session, provider_entry())
    return "uz-test-clinic"


def test_the_tables_hold_only_ciphertext_and_the_orm_reads_plaintext(session: Session, clinic: str) -> None:
    stored = store_texts(session)
    ring = key_ring_for(TEST_SECRET)
    for value in stored:
        raw = value.raw(session)
        assert raw.startswith(f"enc1:{ring.current_key_id}:")
        assert value.plaintext not in raw
        assert not [word for word in value.plaintext.split() if len(word) >= 5 and word in raw]
        assert ring.decrypt(raw, context=f"{value.table}.{value.column}") == value.plaintext
    assert read_back(session, stored) == [MESSAGE, NOTE, DRAFT_NOTE]
    assert booking.get_appointment(session, appointment_id=stored[1].key_value).note == NOTE  # type: ignore[union-attr]


def test_a_tampered_row_fails_to_load_instead_of_returning_garbage(session: Session, clinic: str) -> None:
    message = store_texts(session)[0]
    raw = message.raw(session)
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    session.execute(
        text("UPDATE case_messages SET body = :body WHERE id = :id"), {"body": forged, "id": message.key_value}
    )
    session.expire_all()
    with pytest.raises(DecryptionError):
        session.scalar(select(CaseMessage.body).where(CaseMessage.id == message.key_value))


def test_an_engine_without_a_key_ring_refuses_to_read_or_write(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    configured = create_database_engine(url, key_ring=key_ring_for(TEST_SECRET))
    upgrade_database(configured)
    with transaction(session_factory(configured)) as session:
        load_providers(session, provider_entry())
        store_texts(session)
    configured.dispose()
    unconfigured = create_engine(url)  # not the project's engine: no key ring
    try:
        with session_factory(unconfigured)() as session, pytest.raises(KeyRingNotConfiguredError):
            session.scalar(select(CaseMessage.body))
        with session_factory(unconfigured)() as session:
            case_id = session.scalar(select(EscalationCase.id))
            session.add(CaseMessage(case_id=case_id, direction=MessageDirection.FROM_USER, body="plain words"))
            with pytest.raises(StatementError) as refused:
                session.flush()
            assert isinstance(refused.value.orig, KeyRingNotConfiguredError)
            session.rollback()
        with unconfigured.connect() as connection:
            bodies = connection.execute(text("SELECT body FROM case_messages")).scalars().all()
        assert bodies and all(body.startswith("enc1:") for body in bodies)
    finally:
        unconfigured.dispose()


# -- rotation ----------------------------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def scratch_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (rotation commits, so it cannot share the rolled-back one)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rotation.db'}"
    else:
        yield from scratch_postgres_url()


def engine_with(url: str, current: str, *old: str) -> Engine:
    """An engine configured as a process with SECRET_KEY=current and OLD_SECRET_KEYS=old is."""
    settings = load_settings(database_url=url, secret_key=current, old_secret_keys=",".join(old), _env_file=None)
    return create_database_engine(settings.database_url, key_ring=KeyRing.from_settings(settings))


def rotate_with_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, current: str, *old: str
) -> tuple[int, str]:
    """`yoldosh db rotate-keys --batch-size 2` with these keys in the environment."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", current)
    monkeypatch.setenv("OLD_SECRET_KEYS", ",".join(old))
    code = main(["db", "rotate-keys", "--batch-size", "2"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_rotation_moves_every_value_to_the_new_key(
    scratch_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine_a = engine_with(scratch_url, KEY_A)
    upgrade_database(engine_a)
    with transaction(session_factory(engine_a)) as session:
        load_providers(session, provider_entry())
        stored = [
            value for person in range(3) for value in store_texts(session, telegram_id=6001 + person, hour=9 + person)
        ]
        # One value written before encryption at rest existed: rotation encrypts it too.
        legacy = store_texts(session, telegram_id=6100, hour=11)[1]
        session.execute(
            text("UPDATE appointments SET note = :note WHERE id = :id"), {"note": NOTE, "id": legacy.key_value}
        )
    engine_a.dispose()

    # SECRET_KEY is now B, A is kept as old: everything still reads.
    engine_ba = engine_with(scratch_url, KEY_B, KEY_A)
    with session_factory(engine_ba)() as session:
        for group in range(3):
            assert read_back(session, stored[group * 3 : group * 3 + 3]) == [MESSAGE, NOTE, DRAFT_NOTE]
    engine_ba.dispose()

    code, output = rotate_with_the_cli(monkeypatch, capsys, scratch_url, KEY_B, KEY_A)
    key_b = KeyRing(KEY_B.encode()).current_key_id
    assert code == 0, output
    assert f"under key {key_b}: 11 re-encrypted from an old key, 1 encrypted for the first time, 0 already" in output
    assert rotate_with_the_cli(monkeypatch, capsys, scratch_url, KEY_B, KEY_A)[1].startswith(
        f"text at rest under key {key_b}: 0 re-encrypted from an old key, 0 encrypted for the first time, 12 already"
    )

    # A is gone: B alone reads everything; no stored value opens with A any more.
    engine_b = engine_with(scratch_url, KEY_B)
    only_a = KeyRing(KEY_A.encode())
    with session_factory(engine_b)() as session:
        for group in range(3):
            assert read_back(session, stored[group * 3 : group * 3 + 3]) == [MESSAGE, NOTE, DRAFT_NOTE]
        assert session.scalar(select(Appointment.note).where(Appointment.id == legacy.key_value)) == NOTE
        for value in [*stored, legacy]:
            raw = value.raw(session)
            assert raw.startswith(f"enc1:{key_b}:") and value.plaintext not in raw
            with pytest.raises(DecryptionError):
                only_a.decrypt(raw, context=f"{value.table}.{value.column}")
    engine_b.dispose()
    engine_a = engine_with(scratch_url, KEY_A)
    with session_factory(engine_a)() as session, pytest.raises(DecryptionError):
        read_back(session, stored[:3])
    engine_a.dispose()


def test_rotation_stops_at_a_value_no_key_opens_and_names_only_its_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'lost-key.db'}"
    engine_c = engine_with(url, KEY_C)
    upgrade_database(engine_c)
    with transaction(session_factory(engine_c)) as session:
        load_providers(session, provider_entry())
        note = store_texts(session)[1]
    engine_c.dispose()
    engine_b = engine_with(url, KEY_B, KEY_A)
    with pytest.raises(RotationError, match=rf"^appointments.note row {note.key_value}: value is under key"):
        rotate_keys(session_factory(engine_b))
    engine_b.dispose()
    code, output = rotate_with_the_cli(monkeypatch, capsys, url, KEY_B, KEY_A)
    assert code == 1 and f"appointments.note row {note.key_value}" in output and NOTE not in output
