"""JSON log lines for log collectors (bot layer): one object a line, the event and where it happened.

What a line carries is what the text format carries: the log call's own message (an event such as "appointment
booked", which never holds what a user wrote), its level, logger, process and time. Of an exception only its type
and the stack of code lines are kept, never the exception's message, which may quote data.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON: time (UTC, ISO 8601), level, logger, event, process and, if any, the error."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info and record.exc_info[0] is not None:
            error, _value, stack = record.exc_info
            line["error"] = error.__name__
            line["stack"] = "".join(traceback.format_tb(stack)).rstrip()
        return json.dumps(line, ensure_ascii=False)
