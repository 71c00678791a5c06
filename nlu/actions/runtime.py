"""What the action server process holds (transport layer): one session factory, set at server start."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker


@dataclass(frozen=True)
class ActionRuntime:
    """Database access and defaults for every action in this process."""

    sessions: sessionmaker[Session]
    default_locale: str
    retention_days: int


_current: ActionRuntime | None = None


def install(runtime: ActionRuntime | None) -> None:
    """Set (or clear) the process's runtime; the server does this at start and stop, tests per test."""
    global _current
    _current = runtime


def current() -> ActionRuntime:
    """The installed runtime; actions fail loudly if the server did not install one."""
    if _current is None:
        raise RuntimeError("action runtime not installed: start the server with `python -m nlu.actions.server`")
    return _current
