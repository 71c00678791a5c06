"""Updates: queueing them for getUpdates long polling, POSTing them to a webhook, and the webhook methods."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from types import EllipsisType
from typing import Any

import aiohttp
from aiohttp import web

from tests.telegram_standin.params import Params
from tests.telegram_standin.protocol import SECRET_HEADER
from tests.telegram_standin.records import ApiCall, Refusal
from tests.telegram_standin.state import StandInState


class Updates(StandInState):
    """push_update and deliver for the test; getUpdates, setWebhook, deleteWebhook, getWebhookInfo for the bot."""

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates (or POST it to the webhook, when one is set); returns its update_id."""
        with self._lock:
            update = self._take_in(update)
            if self.webhook.get("url") and self._loop is not None:
                asyncio.run_coroutine_threadsafe(
                    self._post_update(update, self.webhook.get("secret_token")), self._loop
                )
            else:
                self.updates.append(update)
            self._lock.notify_all()
        if self._loop is not None and self._arrived is not None:
            self._loop.call_soon_threadsafe(self._arrived.set)
        return int(update["update_id"])

    async def deliver(self, update: dict[str, Any], *, secret_token: str | EllipsisType | None = ...) -> int:
        """POST one update to the webhook as Telegram does; returns the HTTP status the bot answered.

        The secret header carries the secret given to setWebhook unless `secret_token` overrides it (None omits it).
        Awaitable from any event loop (the bot's own included): the request is made from the stand-in's loop.
        """
        with self._lock:
            assert self.webhook.get("url"), "no webhook set: the bot has not called setWebhook"
            update = self._take_in(update)
            secret = self.webhook.get("secret_token") if secret_token is ... else secret_token
        assert self._loop is not None
        return await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(self._post_update(update, secret), self._loop)
        )

    async def _get_updates(self, call: ApiCall) -> web.Response:
        params = Params(call.method, call.params)
        try:
            offset = params.integer("offset") or 0
            limit = min(max(params.integer("limit") or 100, 1), 100)
            deadline = time.monotonic() + min(max(params.number("timeout") or 0.0, 0.0), 1.0)
        except Refusal as refusal:
            with self._lock:
                return web.json_response(self._refuse(call, refusal), status=refusal.status)
        assert self._arrived is not None
        while True:
            self._arrived.clear()
            with self._lock:
                if self.webhook.get("url"):
                    conflict = Refusal(
                        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                        "the webhook first",
                        status=409,
                    )
                    self.calls.append(call)
                    return web.json_response(self._refuse(call, conflict), status=409)
                if offset > 0:
                    self.updates = [update for update in self.updates if update["update_id"] >= offset]
                pending = self.updates[offset:] if offset < 0 else self.updates
                if pending or time.monotonic() >= deadline or self._stopping:
                    return web.json_response({"ok": True, "result": pending[:limit]})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), max(deadline - time.monotonic(), 0.0))

    async def _post_update(self, update: dict[str, Any], secret: str | None) -> int:
        assert self._delivering is not None
        async with self._delivering:  # one at a time, in order, as Telegram delivers to one bot
            if self._session is None:
                self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
            headers = {"Content-Type": "application/json"}
            if secret is not None:
                headers[SECRET_HEADER] = secret
            try:
                async with self._session.post(self.webhook["url"], data=json.dumps(update), headers=headers) as answer:
                    await answer.read()
                    status = answer.status
            except aiohttp.ClientError:
                status = 0
            with self._lock:
                self.deliveries.append((int(update["update_id"]), status))
                self._lock.notify_all()
            return status

    # --- the methods (called with the lock held) --------------------------------------------------------------
    def _set_webhook(self, params: Params) -> bool:
        if not params.has("url"):
            return self._delete_webhook(params)
        self.webhook = {"url": params.text("url"), "secret_token": params.text("secret_token")}
        if params.flag("drop_pending_updates"):
            self.updates.clear()
        return True

    def _delete_webhook(self, params: Params) -> bool:
        self.webhook = {}
        if params.flag("drop_pending_updates"):
            self.updates.clear()
        return True

    def _webhook_info(self, params: Params) -> dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}
