"""Where a bot turn's time goes (bench layer): timestamps around the bot's steps, written by the bot process.

`install(path)` wraps a few bot functions in the benchmark's bot process only (bot/ itself is untouched); each
span is one line "name update_id start end" on the monotonic clock, which the benchmark process shares, so the
spans line up with the moments it pushed updates and saw replies.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

UPDATE_ID: ContextVar[int] = ContextVar("bench_update_id", default=0)
UPDATE_SPAN = "update"


class TraceFile:
    """Span lines appended to a file from any thread, flushed line by line."""

    def __init__(self, path: Path) -> None:
        self._stream = path.open("a", buffering=1, encoding="utf-8")
        self._lock = threading.Lock()

    def span(self, name: str, update_id: int, started: float, ended: float) -> None:
        """Record one span."""
        with self._lock:
            self._stream.write(f"{name} {update_id} {started:.6f} {ended:.6f}\n")


def _sync_span(trace: TraceFile, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            trace.span(name, UPDATE_ID.get(), started, time.perf_counter())

    return wrapper


def _send_span(trace: TraceFile, function: Callable[..., Any]) -> Callable[..., Any]:
    """DeliveryLimiter.process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args)."""

    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        endpoint = kwargs.get("endpoint", args[4] if len(args) > 4 else "?")
        started = time.perf_counter()
        try:
            return await function(*args, **kwargs)
        finally:
            trace.span(f"send:{endpoint}", UPDATE_ID.get(), started, time.perf_counter())

    return wrapper


def _update_span(trace: TraceFile, function: Callable[..., Any]) -> Callable[..., Any]:
    """PerChatUpdateProcessor.do_process_update(self, update, coroutine): names the update for the spans inside."""

    @functools.wraps(function)
    async def wrapper(self: Any, update: Any, coroutine: Any) -> Any:
        update_id = int(getattr(update, "update_id", 0) or 0)
        UPDATE_ID.set(update_id)
        started = time.perf_counter()
        try:
            return await function(self, update, coroutine)
        finally:
            trace.span(UPDATE_SPAN, update_id, started, time.perf_counter())

    return wrapper


def install(path: Path) -> list[str]:
    """Wrap the bot's steps in this process; returns the steps that could not be found (the bot changed)."""
    from bot.dialogue import flow
    from bot.rasa import client
    from bot.telegram import delivery, updates

    trace = TraceFile(path)
    missing: list[str] = []
    plain = [
        (updates.UpdateLedger, "_in_transaction", "ledger"),
        (flow.Dialogue, "say", "dialogue.say"),
        (flow.Dialogue, "_user", "db.user"),
        (flow.Dialogue, "remember_messages", "db.trail"),
        (client.RasaClient, "converse", "rasa"),
        (flow, "scan_message", "safety"),
    ]
    for owner, attribute, name in plain:
        if hasattr(owner, attribute):
            setattr(owner, attribute, _sync_span(trace, name, getattr(owner, attribute)))
        else:
            missing.append(f"{getattr(owner, '__name__', owner)}.{attribute}")
    if hasattr(delivery.DeliveryLimiter, "process_request"):
        delivery.DeliveryLimiter.process_request = _send_span(trace, delivery.DeliveryLimiter.process_request)  # type: ignore[method-assign]
    else:
        missing.append("DeliveryLimiter.process_request")
    if hasattr(updates.PerChatUpdateProcessor, "do_process_update"):
        updates.PerChatUpdateProcessor.do_process_update = _update_span(  # type: ignore[method-assign]
            trace, updates.PerChatUpdateProcessor.do_process_update
        )
    else:
        missing.append("PerChatUpdateProcessor.do_process_update")
    return missing


def read_trace(path: Path) -> dict[int, list[tuple[str, float, float]]]:
    """The spans of each update, in the order they ended."""
    spans: dict[int, list[tuple[str, float, float]]] = {}
    if not path.exists():
        return spans
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 4:
            spans.setdefault(int(parts[1]), []).append((parts[0], float(parts[2]), float(parts[3])))
    return spans
