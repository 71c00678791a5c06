"""Shared fixtures: migrated SQLite and PostgreSQL databases, one rolled-back transaction per test."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.processes import running_servers
from bot.rasa.servers import action_server_spec, rasa_server_spec
from bot.rasa.training import ensure_model
from bot.telegram.application import build_application
from services.config import Settings, load_settings
from services.crypto.keys import KeyRing
from services.deferred.models import DeferredQuestion
from services.inbox.models import InboundUpdate, PendingUpdate, UpdateState
from services.safety.loader import load_lexicon
from services.storage.database import create_database_engine, transaction
from services.storage.migrate import upgrade_database
from tests.telegram_standin import TOKEN, BotApiStandIn

TEST_SECRET = b"test-secret-key-that-is-long-enough-0123456789"
BACKENDS = ("sqlite", "postgresql")


def key_ring_for(secret: bytes) -> KeyRing:
    """The key ring of a process started with SECRET_KEY=`secret`, built from its settings as production does."""
    return KeyRing.from_settings(load_settings(secret_key=secret.decode(), old_secret_keys="", _env_file=None))


def postgres_admin_url() -> str | None:
    """The PostgreSQL URL tests may use to create scratch databases, or None when none is configured."""
    url = os.environ.get("YOLDOSH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url else None


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get("YOLDOSH_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required here but {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


def scratch_postgres_url() -> Iterator[str]:
    """Create a uniquely named database for this test session and drop it afterwards."""
    admin_url = postgres_admin_url()
    if admin_url is None:
        _postgres_unavailable("YOLDOSH_TEST_POSTGRES_URL is empty")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"yoldosh_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        _postgres_unavailable(str(error).splitlines()[0])
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file for this test session."""
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'yoldosh.db'}"


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A scratch PostgreSQL database for this test session."""
    yield from scratch_postgres_url()


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated database engine, once per backend per session."""
    url = request.getfixturevalue(f"{request.param}_url")
    database_engine = create_database_engine(url, key_ring=key_ring_for(TEST_SECRET))
    upgrade_database(database_engine)
    yield database_engine
    database_engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory whose commits land in savepoints of one outer transaction rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One session inside the test's rolled-back transaction."""
    with sessions() as db_session:
        yield db_session


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The repository root."""
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def served_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SQLite database prepared as `yoldosh run` prepares it (migrated, directory loaded), for transport tests."""
    from bot.preparation import prepare_database
    from services.storage.database import session_factory

    url = f"sqlite:///{tmp_path_factory.mktemp('served') / 'yoldosh.db'}"
    database_engine = create_database_engine(url, key_ring=key_ring_for(TEST_SECRET))
    prepare_database(database_engine, session_factory(database_engine))
    database_engine.dispose()
    yield url


@pytest.fixture
def served_sessions(served_database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the prepared database, as a running process has them."""
    from services.storage.database import session_factory

    database_engine = create_database_engine(served_database_url, key_ring=key_ring_for(TEST_SECRET))
    yield session_factory(database_engine)
    database_engine.dispose()


@pytest.fixture
def dialogue(served_sessions: sessionmaker[Session]) -> object:
    """A dialogue engine on the prepared database, as a running process has it."""
    from bot.dialogue.flow import Dialogue

    return Dialogue(sessions=served_sessions, secret_key=TEST_SECRET, default_locale="ru", retention_days=180)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def model() -> Path:
    """The trained model for the current inputs (trained now only if none exists)."""
    return ensure_model().path


@pytest.fixture(scope="session")
def rasa_url(model: Path, served_database_url: str) -> Iterator[str]:
    """Rasa and the action server running on free ports against the prepared database."""
    settings = load_settings(
        database_url=served_database_url,
        secret_key=TEST_SECRET.decode(),
        _env_file=None,
        rasa_url=f"http://127.0.0.1:{free_port()}",
        action_server_port=free_port(),
    )
    with running_servers([action_server_spec(settings), rasa_server_spec(settings, model)]):
        yield settings.rasa_url


@pytest.fixture
def api() -> Iterator[BotApiStandIn]:
    """A Bot API stand-in serving on a free port."""
    standin = BotApiStandIn()
    standin.start()
    yield standin
    standin.stop()


def bot_settings(api: BotApiStandIn, database_url: str, **overrides: Any) -> Settings:
    """Settings of a bot talking to the stand-in on this database."""
    return load_settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api.base_url,
        database_url=database_url,
        secret_key="t" * 40,
        _env_file=None,
        **overrides,
    )


@asynccontextmanager
async def serving_bot(
    api: BotApiStandIn,
    dialogue: Any,
    sessions: sessionmaker[Session],
    database_url: str,
    tracker_store: Any = None,
    **overrides: Any,
) -> AsyncIterator[Any]:
    """The real PTB application long polling the stand-in, started and stopped as `yoldosh run` does.

    The safety net is compiled first, as `yoldosh run` does, so a test's first message is not slow. Updates an
    earlier test's bot left queued at its stop, and questions kept while its Rasa was away, are forgotten: they
    belong to that test's stand-in, not this one (taking updates back after a crash is tested with a process of
    its own, tests/test_bot_killed.py; late answers in tests/test_late_answers.py).
    """
    load_lexicon().compile_all()
    with transaction(sessions) as session:
        session.execute(delete(DeferredQuestion))
        session.execute(delete(PendingUpdate))
        session.execute(delete(InboundUpdate).where(InboundUpdate.state != UpdateState.DONE))
    settings = bot_settings(api, database_url, **overrides)
    application = build_application(settings, dialogue, sessions, tracker_store=tracker_store)
    await application.initialize()
    await application.post_init(application)  # type: ignore[misc]
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


@pytest.fixture
async def running_bot(
    api: BotApiStandIn, dialogue: object, served_database_url: str, served_sessions: sessionmaker[Session]
) -> AsyncIterator[Any]:
    """The real PTB application, long polling the stand-in, on the prepared database (no Rasa)."""
    async with serving_bot(api, dialogue, served_sessions, served_database_url) as application:
        yield application
