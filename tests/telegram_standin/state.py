"""What the stand-in remembers (chats, messages, topics, limits, the server's parts) and its bookkeeping helpers."""

from __future__ import annotations

import asyncio
import copy
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.telegram_standin.limits import TokenBucket
from tests.telegram_standin.params import Params
from tests.telegram_standin.protocol import UPDATE_IDS
from tests.telegram_standin.records import ApiCall, ApiError, Refusal


@dataclass(repr=False)
class StandInState:
    """The stand-in's fields (BotApiStandIn's constructor) and the helpers every part uses, lock held."""

    calls: list[ApiCall] = field(default_factory=list)
    errors: list[ApiError] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    deleted: dict[int, set[int]] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    deliveries: list[tuple[int, int]] = field(default_factory=list)
    strict_ampersands: bool = True
    _chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    _messages: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    _next_message_id: dict[int, int] = field(default_factory=dict)
    _topics: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    _open_queries: set[str] = field(default_factory=set)
    _last_update_id: int = 0
    _next_serial: int = 1
    _clock_offset: float = 0.0
    _latency: float = 0.0
    _chat_limit: tuple[float, float] | None = None
    _chat_buckets: dict[int, TokenBucket] = field(default_factory=dict)
    _overall_bucket: TokenBucket | None = None
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _port: int = 0
    _arrived: asyncio.Event | None = None
    _delivering: asyncio.Lock | None = None
    _session: aiohttp.ClientSession | None = None
    _stopping: bool = False
    _in_flight: dict[str, int] = field(default_factory=dict)
    _most_in_flight: dict[str, int] = field(default_factory=dict)
    _handlers: dict[str, Callable[[Params], Any]] = field(default_factory=dict)

    def _now(self) -> int:
        return int(time.time() + self._clock_offset)

    def _serial(self) -> int:
        self._next_serial += 1
        return self._next_serial

    def _new_message_id(self, chat_id: int) -> int:
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def _is_deleted(self, message: dict[str, Any]) -> bool:
        return int(message["message_id"]) in self.deleted.get(int(message["chat"]["id"]), set())

    def _take_in(self, update: dict[str, Any]) -> dict[str, Any]:
        """Number an update and learn from it: its chats, the user's messages, open callback queries."""
        update = {"update_id": max(next(UPDATE_IDS), self._last_update_id + 1), **update}
        self._last_update_id = max(self._last_update_id, int(update["update_id"]))
        for chat in _chats_in(update):
            self._chats[int(chat["id"])] = {**self._chats.get(int(chat["id"]), {}), **chat}
        for kind in ("message", "edited_message", "channel_post"):
            message = update.get(kind)
            if isinstance(message, dict) and "message_id" in message and "chat" in message:
                chat_id, message_id = int(message["chat"]["id"]), int(message["message_id"])
                self._next_message_id[chat_id] = max(self._next_message_id.get(chat_id, 0), message_id)
                stored = self._messages.setdefault(chat_id, {})
                stored.setdefault(message_id, {}).update(copy.deepcopy(message))
        if isinstance(update.get("callback_query"), dict):
            self._open_queries.add(str(update["callback_query"]["id"]))
        return update

    def _refuse(self, call: ApiCall, refusal: Refusal) -> dict[str, Any]:
        self.errors.append(ApiError(call, refusal.status, refusal.description, refusal.retry_after))
        body: dict[str, Any] = {"ok": False, "error_code": refusal.status, "description": refusal.description}
        if refusal.retry_after is not None:
            body["parameters"] = {"retry_after": refusal.retry_after}
        return body

    def _chat(self, params: Params, name: str = "chat_id") -> dict[str, Any]:
        if not params.has(name):
            raise Refusal(f"Bad Request: {name} is empty")
        try:
            chat_id = int(str(params.raw[name]))
        except ValueError:
            raise Refusal("Bad Request: chat not found") from None
        if chat_id not in self._chats:
            raise Refusal("Bad Request: chat not found")
        return self._chats[chat_id]

    def _message(self, chat_id: int, message_id: int | None) -> dict[str, Any] | None:
        message = self._messages.get(chat_id, {}).get(message_id or 0)
        return None if message is None or self._is_deleted(message) else message


def _chats_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every "chat" object inside an update."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "chat" and isinstance(inner, dict) and "id" in inner:
                yield inner
            else:
                yield from _chats_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _chats_in(inner)
