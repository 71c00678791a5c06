"""The retention purge as a job of the running bot (bot layer): every hour, soon after start; idempotent, so
several workers running it at once only repeat each other's work."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.failures import describe_failure
from services.privacy.retention import purge_expired_data

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3600.0
FIRST_RUN_AFTER_SECONDS = 120.0
JOB_NAME = "retention purge"


def register(
    application: Application[Any, Any, Any, Any, Any, Any],
    sessions: sessionmaker[Session],
    *,
    tracker_store: Engine | None,
    retention_days: int,
    interval: float = INTERVAL_SECONDS,
    first: float = FIRST_RUN_AFTER_SECONDS,
) -> None:
    """Purge what is older than `retention_days` every `interval` seconds, from the database and Rasa's tracker."""
    if application.job_queue is None:
        raise RuntimeError("the retention purge needs python-telegram-bot[job-queue]")

    async def purge(_context: Any) -> None:
        try:
            report = await asyncio.to_thread(
                purge_expired_data, sessions, tracker_store=tracker_store, retention_days=retention_days
            )
        except Exception as error:  # the next run tries again; the bot keeps serving
            log.error("retention purge failed: %s", describe_failure(error))
            return
        log.info("retention purge: %s", report.summary())

    application.job_queue.run_repeating(purge, interval=interval, first=first, name=JOB_NAME)
