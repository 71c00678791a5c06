"""Rasa REST client (bot layer): one user message in, Rasa's replies out, within a time limit."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

REPLY_TIMEOUT_SECONDS = 5.0
# Rasa's work per turn grows with the conversation session's length; a fresh session every so many turns keeps a
# long conversation as quick as a short one (locale and country travel in every message's metadata).
TURNS_PER_SESSION = 30
SESSION_START = "/session_start"
REMEMBERED_SENDERS = 50_000


class NluUnavailableError(RuntimeError):
    """Rasa did not answer in time or answered with an error."""


@dataclass(frozen=True)
class RasaButton:
    """A button Rasa asked for: its title and the payload to send back."""

    title: str
    payload: str


@dataclass(frozen=True)
class RasaMessage:
    """One message Rasa wants the user to see."""

    text: str
    buttons: tuple[RasaButton, ...]
    escalation: str | None = None


ESCALATIONS = frozenset({"urgent", "request"})


def _escalation(raw: dict[str, Any]) -> str | None:
    """An action's request to bring in the counselors: {"custom": {"escalate": "urgent" | "request"}}."""
    custom = raw.get("custom")
    value = custom.get("escalate") if isinstance(custom, dict) else None
    return value if value in ESCALATIONS else None


def _message(raw: dict[str, Any]) -> RasaMessage | None:
    escalation = _escalation(raw)
    text = raw.get("text")
    buttons = tuple(
        RasaButton(title=str(button.get("title", "")), payload=str(button.get("payload", "")))
        for button in raw.get("buttons") or []
        if button.get("payload")
    )
    if not text and not buttons and escalation is None:
        return None
    return RasaMessage(text=str(text or ""), buttons=buttons, escalation=escalation)


class RasaClient:
    """Talks to Rasa's REST channel; the sender is always a pseudonym, never a Telegram id."""

    def __init__(
        self, base_url: str, *, timeout: float = REPLY_TIMEOUT_SECONDS, turns_per_session: int = TURNS_PER_SESSION
    ) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout)
        self._turns_per_session = turns_per_session
        self._turns: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def _post(self, sender: str, text: str, metadata: dict[str, Any]) -> Any:
        try:
            response = self._http.post(
                "/webhooks/rest/webhook", json={"sender": sender, "message": text, "metadata": metadata}
            )
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("Rasa unavailable: %s", type(error).__name__)
            raise NluUnavailableError(type(error).__name__) from error

    def _session_is_full(self, sender: str) -> bool:
        """Count this turn; True when the sender's session has reached its length (then the count restarts)."""
        with self._lock:
            turns = self._turns.pop(sender, 0) + 1
            full = turns > self._turns_per_session
            self._turns[sender] = 1 if full else turns
            while len(self._turns) > REMEMBERED_SENDERS:
                self._turns.popitem(last=False)
            return full

    def converse(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[RasaMessage]:
        """Send one message and return Rasa's replies; NluUnavailableError when Rasa cannot answer."""
        if self._session_is_full(sender):
            self._post(sender, SESSION_START, metadata)
        payload = self._post(sender, text, metadata)
        messages = [_message(raw) for raw in payload if isinstance(raw, dict)]
        return [message for message in messages if message is not None]

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()
