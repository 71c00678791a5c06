"""Engine and session factory (services layer): created per process at start-up, never at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from services.crypto.columns import install_key_ring
from services.crypto.keys import KeyRing


def _enable_sqlite_integrity(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (savepoints work then).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL never corrupts the database and survives a crashed process; only a power cut can lose the
    # last commits. It spares an fsync per commit (the embedded default; production runs on PostgreSQL).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READ_ONLY = "yoldosh_read_only"


def _begin_sqlite_transaction(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads, then writes, fails at once with
    # "database is locked" when another writer got in between (busy_timeout cannot help it upgrade its snapshot).
    # A transaction opened by `read_transaction` never writes, so it reads a WAL snapshot without waiting.
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_database_engine(database_url: str, *, key_ring: KeyRing, **options: Any) -> Engine:
    """An engine for DATABASE_URL that encrypts text at rest with `key_ring` (`KeyRing.from_settings(settings)`).

    SQL parameters never appear in errors or logs (they may hold chat ids). SQLite gets foreign keys, WAL and a
    busy timeout on every connection.
    """
    options.setdefault("hide_parameters", True)
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, **options)
        event.listen(engine, "connect", _enable_sqlite_integrity)
        event.listen(engine, "begin", _begin_sqlite_transaction)
    else:
        engine = create_engine(database_url, pool_pre_ping=True, **options)
    install_key_ring(engine, key_ring)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with sessions.begin() as session:
        yield session


@contextmanager
def read_transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that only reads: on SQLite it does not queue behind writers (a write in it fails)."""
    with sessions.begin() as session:
        session.connection(execution_options={READ_ONLY: True})
        yield session
