"""Get a database ready to serve (bot layer): migrate to the newest schema and load the directory."""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.content.reader import read_directory
from services.directory.service import InvalidContentError, load_directory
from services.directory.types import LoadReport
from services.storage.database import transaction
from services.storage.migrate import upgrade_database

log = logging.getLogger(__name__)


def prepare_database(engine: Engine, sessions: sessionmaker[Session]) -> LoadReport:
    """Migrate, then upsert the directory content; both are no-ops when nothing changed."""
    upgrade_database(engine)
    content = read_directory()
    if content.problems:
        raise InvalidContentError(f"{content.problems[0]} (and {len(content.problems) - 1} more)")
    with transaction(sessions) as session:
        report = load_directory(session, content=content)
    log.info("directory: %d new, %d updated, %d unchanged", report.created, report.updated, report.unchanged)
    return report
