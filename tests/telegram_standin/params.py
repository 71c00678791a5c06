"""Request parameters: read from the query string and body, then parsed and validated as the Bot API does."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.telegram_standin.records import Refusal


class Params:
    """A request's parameters, read as the Bot API reads them (form values are JSON-encoded strings)."""

    def __init__(self, method: str, raw: dict[str, Any]) -> None:
        self.method, self.raw = method, raw

    def has(self, name: str) -> bool:
        """Whether the parameter was sent and is not empty."""
        return self.raw.get(name) not in (None, "")

    def text(self, name: str) -> str | None:
        """A string parameter."""
        value = self.raw.get(name)
        return None if value is None else str(value)

    def number(self, name: str, *, required: bool = False) -> float | None:
        """A numeric parameter."""
        if not self.has(name):
            if required:
                raise Refusal(f'Bad Request: parameter "{name}" is required')
            return None
        try:
            return float(self.raw[name])
        except (TypeError, ValueError):
            raise Refusal(f'Bad Request: parameter "{name}" must be a Number') from None

    def integer(self, name: str, *, required: bool = False) -> int | None:
        """An integer parameter."""
        value = self.number(name, required=required)
        return None if value is None else int(value)

    def json(self, name: str) -> Any:
        """A JSON object or array parameter."""
        value = self.raw.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise Refusal(f"Bad Request: can't parse {name} JSON object") from None

    def flag(self, name: str) -> bool:
        """A Boolean parameter."""
        return self.raw.get(name) in (True, "true", "True", "1", 1)


async def read_params(request: web.Request) -> dict[str, Any]:
    """Query string plus a JSON, urlencoded or multipart body; uploaded files as {"filename", "bytes"}."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.read()
        params.update(json.loads(body) if body else {})
        return params
    for name, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            params[name] = {"filename": value.filename, "bytes": value.file.read()}
        else:
            params[name] = value
    return params
