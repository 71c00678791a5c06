"""What the stand-in records and raises: a request as sent, a refusal as recorded, a refusal as raised."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class ApiCall:
    """One Bot API request as the bot sent it."""

    method: str
    params: dict[str, Any]

    def json(self, name: str) -> Any:
        """A JSON-encoded parameter (reply_markup, commands), decoded."""
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class ApiError:
    """A request the stand-in refused as Telegram would: 4xx status and Telegram's description."""

    call: ApiCall
    status: int
    description: str
    retry_after: int | None = None

    @property
    def rate_limited(self) -> bool:
        """A 429 flood-control answer rather than a bad request."""
        return self.status == 429


class Refusal(Exception):
    """Raised inside a method to answer with a Telegram error."""

    def __init__(self, description: str, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.description, self.status, self.retry_after = description, status, retry_after
