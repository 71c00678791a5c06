"""The aiohttp server: its thread and event loop, routing /bot<TOKEN>/<method>, recording every call and refusal."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.telegram_standin.callbacks import CallbackQueries
from tests.telegram_standin.control import StandInControls
from tests.telegram_standin.editing import Editing
from tests.telegram_standin.params import Params, read_params
from tests.telegram_standin.protocol import BOT_USER, SENDING, TOKEN
from tests.telegram_standin.records import ApiCall, Refusal
from tests.telegram_standin.sending import Sending
from tests.telegram_standin.topics import ForumTopics
from tests.telegram_standin.updates import Updates

log = logging.getLogger(__package__)  # "tests.telegram_standin", the logger's name before the split


@dataclass(repr=False)
class BotApiStandIn(Updates, StandInControls, Sending, Editing, CallbackQueries, ForumTopics):
    """Serves /bot<TOKEN>/<method> on 127.0.0.1; answers like Telegram for the methods Yoldosh uses.

    `calls` holds every request but getUpdates, refused ones included; `errors` the ones Telegram would refuse
    (not those made to fail with `fail_next`); `updates` the updates not yet confirmed by a getUpdates offset.
    The fields are StandInState's (state.py); the methods come by topic from the mixins this class combines.
    """

    def __post_init__(self) -> None:
        self._handlers = {
            "getMe": lambda params: BOT_USER,
            "getUpdates": lambda params: [],  # served by _get_updates
            "setMyCommands": lambda params: True,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
            **dict.fromkeys(SENDING, self._send),
            "sendChatAction": self._chat_action,
            "answerCallbackQuery": self._answer_callback_query,
            "editMessageText": self._edit_text,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "createForumTopic": self._create_topic,
            "editForumTopic": self._edit_topic,
            "closeForumTopic": lambda params: self._close_topic(params, closed=True),
            "reopenForumTopic": lambda params: self._close_topic(params, closed=False),
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
        }

    def __repr__(self) -> str:
        return f"BotApiStandIn(port={self._port}, {len(self.calls)} calls, {len(self.errors)} errors)"

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL should be."""
        assert self._port, "start() the stand-in first"
        return f"http://127.0.0.1:{self._port}/bot"

    def start(self) -> None:
        """Serve from a background thread running its own event loop."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="bot-api-stand-in", daemon=True)
        self._thread.start()
        if not ready.wait(10) or not self._port:
            raise RuntimeError("the Bot API stand-in did not start")

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def _serve(self, ready: threading.Event) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._arrived, self._delivering = asyncio.Event(), asyncio.Lock()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        try:
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
            self._port = int(runner.addresses[0][1])
        finally:
            ready.set()
        loop.run_forever()
        self._stopping = True
        self._arrived.set()
        if self._session is not None:
            loop.run_until_complete(self._session.close())
        loop.run_until_complete(runner.cleanup())
        leftovers = asyncio.all_tasks(loop)  # webhook deliveries still queued
        for task in leftovers:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        loop.close()

    # --- serving ----------------------------------------------------------------------------------------------
    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        requested = request.match_info["method"]
        method = next((name for name in self._handlers if name.lower() == requested.lower()), requested)
        with self._lock:
            self._in_flight[method] = self._in_flight.get(method, 0) + 1
            self._most_in_flight[method] = max(self._most_in_flight.get(method, 0), self._in_flight[method])
        try:
            return await self._answer(method, await read_params(request))
        finally:
            with self._lock:
                self._in_flight[method] -= 1

    async def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        if method != "getUpdates" and self._latency:
            await asyncio.sleep(self._latency)
        with self._lock:
            failure = self.failures.get(method)
            if failure:
                injected_status, injected_body = failure.pop(0)
                self.calls.append(ApiCall(method, params))
                self._lock.notify_all()
                return web.json_response(injected_body, status=injected_status)
        if method == "getUpdates":
            return await self._get_updates(ApiCall(method, params))
        with self._lock:
            call = ApiCall(method, params)
            self.calls.append(call)
            try:
                handler = self._handlers.get(method)
                if handler is None:
                    raise Refusal("Not Found", status=404)
                status, body = 200, {"ok": True, "result": handler(Params(method, params))}
            except Refusal as refusal:
                status, body = refusal.status, self._refuse(call, refusal)
            except Exception as error:  # a bug in the stand-in must fail the test, not hang it
                log.exception("the Bot API stand-in failed on %s", method)
                status, body = 500, self._refuse(call, Refusal(f"stand-in crashed: {error!r}", status=500))
            self._lock.notify_all()
        return web.json_response(body, status=status)
