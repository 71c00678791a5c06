"""Waiting out a database restart (bot layer): a turn that meets an unreachable database is run again, so the
person's message is answered a few seconds late instead of with an apology."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)

T = TypeVar("T")

# A restart of PostgreSQL takes seconds; beyond this the turn fails and the error handler apologises.
DATABASE_PATIENCE_SECONDS = 60.0
FIRST_WAIT_SECONDS = 0.2
LONGEST_WAIT_SECONDS = 5.0


async def off_the_loop(work: Callable[..., T], *args: Any, patience: float = DATABASE_PATIENCE_SECONDS) -> T:
    """`work(*args)` in a thread; while the database is unreachable, wait and run it again (up to `patience` s).

    A turn stopped by a lost connection rolled its transaction back, so running it again repeats no write of
    ours; at worst Rasa hears the same sentence twice.
    """
    deadline = time.monotonic() + patience
    wait = FIRST_WAIT_SECONDS
    while True:
        try:
            return await asyncio.to_thread(work, *args)
        except OperationalError:
            if time.monotonic() + wait > deadline:
                raise
            log.warning("database unreachable during a turn; trying again in %.1f s", wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT_SECONDS)
