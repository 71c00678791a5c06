"""Rasa REST client (bot layer): one user message in, Rasa's replies out, within a time limit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

REPLY_TIMEOUT_SECONDS = 5.0


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


def _message(raw: dict[str, Any]) -> RasaMessage | None:
    text = raw.get("text")
    buttons = tuple(
        RasaButton(title=str(button.get("title", "")), payload=str(button.get("payload", "")))
        for button in raw.get("buttons") or []
        if button.get("payload")
    )
    if not text and not buttons:
        return None
    return RasaMessage(text=str(text or ""), buttons=buttons)


class RasaClient:
    """Talks to Rasa's REST channel; the sender is always a pseudonym, never a Telegram id."""

    def __init__(self, base_url: str, *, timeout: float = REPLY_TIMEOUT_SECONDS) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def converse(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[RasaMessage]:
        """Send one message and return Rasa's replies; NluUnavailableError when Rasa cannot answer."""
        try:
            response = self._http.post(
                "/webhooks/rest/webhook", json={"sender": sender, "message": text, "metadata": metadata}
            )
            response.raise_for_status()
            payload = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("Rasa unavailable: %s", type(error).__name__)
            raise NluUnavailableError(type(error).__name__) from error
        messages = [_message(raw) for raw in payload if isinstance(raw, dict)]
        return [message for message in messages if message is not None]

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()
