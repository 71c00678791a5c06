"""Migrations build the same schema as the models, on blank SQLite and blank PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from services.storage.database import create_database_engine
from services.storage.migrate import current_revision, head_revision, upgrade_database
from services.storage.models import Base
from tests.conftest import TEST_SECRET, key_ring_for, scratch_postgres_url

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def blank_sqlite(tmp_path: Path) -> Iterator[Engine]:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'blank.db'}", key_ring=key_ring_for(TEST_SECRET))
    yield engine
    engine.dispose()


@pytest.fixture
def blank_postgres() -> Iterator[Engine]:
    for url in scratch_postgres_url():
        engine = create_database_engine(url, key_ring=key_ring_for(TEST_SECRET))
        yield engine
        engine.dispose()


def _schema(engine: Engine) -> dict[str, dict[str, object]]:
    inspector = inspect(engine)
    schema: dict[str, dict[str, object]] = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        schema[table] = {
            "columns": {column["name"]: column["nullable"] for column in inspector.get_columns(table)},
            "primary_key": tuple(inspector.get_pk_constraint(table)["constrained_columns"]),
            "foreign_keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"]) for fk in inspector.get_foreign_keys(table)
            ),
            # PostgreSQL reports a unique constraint as an index too: compare the sets of unique column groups.
            "unique": sorted(
                {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
                | {tuple(i["column_names"]) for i in inspector.get_indexes(table) if i["unique"]}
            ),
        }
    return schema


def _model_diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)


def test_blank_databases_upgrade_to_the_same_schema(blank_sqlite: Engine, blank_postgres: Engine) -> None:
    for engine in (blank_sqlite, blank_postgres):
        assert current_revision(engine) is None
        upgrade_database(engine)
        assert current_revision(engine) == head_revision()
    assert _schema(blank_sqlite) == _schema(blank_postgres)
    assert set(_schema(blank_sqlite)) == set(Base.metadata.tables)


@pytest.mark.parametrize("backend", ["blank_sqlite", "blank_postgres"])
def test_migrated_schema_matches_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    engine: Engine = request.getfixturevalue(backend)
    upgrade_database(engine)
    assert _model_diff(engine) == []


def test_upgrade_twice_changes_nothing(blank_sqlite: Engine) -> None:
    upgrade_database(blank_sqlite)
    before = _schema(blank_sqlite)
    upgrade_database(blank_sqlite)
    assert _schema(blank_sqlite) == before


@pytest.mark.parametrize("backend", ["blank_sqlite", "blank_postgres"])
def test_revision_0003_keeps_users_appointments_and_outbox(backend: str, request: pytest.FixtureRequest) -> None:
    engine: Engine = request.getfixturevalue(backend)
    upgrade_database(engine, "0002")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO providers (id, country_code, region_code, city_code, latitude, longitude, phone, timezone,"
                " languages, is_free, women_staff, child_friendly, step_free, slot_minutes, slot_capacity, is_sample,"
                " active, content_hash, updated_at) VALUES ('p', 'UZ', 'r', 'c', 41, 69, '+998 71 000 00 00',"
                " 'Asia/Tashkent', '[]', true, true, true, true, 30, 2, true, true, 'x', :at)"
            ),
            {"at": AT},
        )
        connection.execute(
            text("INSERT INTO users (id, pseudonym, created_at, last_seen_at) VALUES (7, 'u7', :at, :at)"), {"at": AT}
        )
        for key in ("a", "b"):
            connection.execute(
                text(
                    "INSERT INTO appointments (user_id, provider_id, starts_at, ends_at, status, idempotency_key,"
                    " created_at) VALUES (7, 'p', :at, :at, 'booked', :key, :at)"
                ),
                {"at": AT, "key": key},
            )
        connection.execute(
            text(
                "INSERT INTO outbox (kind, user_id, payload, due_at, status, dedupe_key, attempts, created_at)"
                " VALUES ('k', 7, '{}', :at, 'pending', 'd', 0, :at)"
            ),
            {"at": AT},
        )
    upgrade_database(engine)
    with engine.connect() as connection:
        counts = [
            connection.scalar(text(f"SELECT COUNT(*) FROM {table}"))
            for table in ("users", "appointments", "outbox", "slot_seats")
        ]
        consent = connection.scalar(text("SELECT follow_up_consent FROM users"))
        seats = sorted(connection.execute(text("SELECT seat_number FROM slot_seats")).scalars())
    assert counts == [1, 2, 1, 2] and not consent and seats == [1, 2]
