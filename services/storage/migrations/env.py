"""Alembic environment: migrates the connection it is handed, or DATABASE_URL (services layer)."""

from __future__ import annotations

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from services.crypto.columns import EncryptedText
from services.storage.base import UTCDateTime
from services.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render project column types as plain SQLAlchemy types so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, EncryptedText):
        return "sa.Text()"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against `config.attributes["connection"]` when given, else a fresh engine for DATABASE_URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from services.config import load_settings
    from services.crypto.keys import KeyRing
    from services.storage.database import create_database_engine

    settings = load_settings()
    engine = create_database_engine(settings.database_url, key_ring=KeyRing.from_settings(settings))
    try:
        with engine.connect() as fresh_connection:
            _run(fresh_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline SQL generation is not supported; run `yoldosh db upgrade`.")
run_migrations_online()
