"""Describe a failure for the logs without its message (bot layer): messages can carry user data."""

from __future__ import annotations

import traceback


def describe_failure(error: BaseException) -> str:
    """The exception types and where they were raised ("OperationalError at flow.py:62 in _user"), no text."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None and len(parts) < 5:
        frames = traceback.extract_tb(current.__traceback__)
        where = (
            f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""
        )
        parts.append(type(current).__name__ + where)
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)
