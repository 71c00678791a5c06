"""Opaque tokens for button payloads longer than Telegram's 64-byte callback limit (bot layer)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from bot.dialogue import callbacks as cb
from bot.dialogue.replies import MAX_CALLBACK_BYTES, Button

TOKEN = "tok"
KEEP = 10_000


class PayloadTokens:
    """Remembers long payloads under short tokens (the newest 10,000); an unknown token is simply stale."""

    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._payloads: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def button(self, title: str, payload: str) -> Button:
        """A button whose data is the payload itself when it fits, else a token standing for it."""
        if len(payload.encode()) <= MAX_CALLBACK_BYTES:
            return Button(title, payload)
        token = cb.make(TOKEN, hashlib.sha256(payload.encode()).hexdigest()[:24])
        with self._lock:
            self._payloads[token] = payload
            self._payloads.move_to_end(token)
            while len(self._payloads) > self._keep:
                self._payloads.popitem(last=False)
        return Button(title, token)

    def resolve(self, data: str) -> str | None:
        """The payload a token stands for; None when `data` is no token or a forgotten one."""
        with self._lock:
            return self._payloads.get(data)
