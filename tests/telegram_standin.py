"""A local HTTP stand-in for the Telegram Bot API: queues updates for getUpdates, records every call."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "123456:TEST-token-for-the-local-stand-in-only"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Yoldosh", "username": "yoldosh_test_bot"}


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
class BotApiStandIn:
    """Serves /bot<TOKEN>/<method> on 127.0.0.1; answers like Telegram for the methods Yoldosh uses."""

    calls: list[ApiCall] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    _next_update_id: int = 1
    _next_message_id: int = 1000
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL should be."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def start(self) -> None:
        """Serve in a background thread."""
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                standin._handle(self)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- what the test does -------------------------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for the bot's next getUpdates; returns its update_id."""
        with self._lock:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id += 1
            self.updates.append(update)
            self._lock.notify_all()
            return int(update["update_id"])

    def fail_next(self, method: str, status: int, body: dict[str, Any]) -> None:
        """Make the next call of `method` fail with this HTTP status and Bot API body."""
        with self._lock:
            self.failures.setdefault(method, []).append((status, body))

    def calls_to(self, method: str) -> list[ApiCall]:
        """Every recorded call of one method, in order."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, predicate: Callable[[list[ApiCall]], bool], timeout: float = 10.0) -> list[ApiCall]:
        """Block until `predicate(calls)` holds; fail the test after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate(self.calls):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    methods = [call.method for call in self.calls]
                    raise AssertionError(f"timed out waiting; calls so far: {methods}")
                self._lock.wait(remaining)
            return list(self.calls)

    async def until(self, predicate: Callable[[list[ApiCall]], bool], timeout: float = 10.0) -> list[ApiCall]:
        """Like `wait_for`, but yields to the event loop the bot runs on."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                calls = list(self.calls)
            if predicate(calls):
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting; calls so far: {[call.method for call in calls]}")
            await asyncio.sleep(0.02)

    # --- serving -----------------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        prefix = f"/bot{TOKEN}/"
        if not request.path.startswith(prefix):
            self._respond(request, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        method = request.path.removeprefix(prefix)
        params = self._params(request)
        with self._lock:
            failure = self.failures.get(method)
            if failure:
                status, body = failure.pop(0)
                self.calls.append(ApiCall(method, params))
                self._lock.notify_all()
                self._respond(request, status, body)
                return
        if method == "getUpdates":
            result: Any = self._get_updates(params)
        else:
            with self._lock:
                result = self._answer(method, params)
                self.calls.append(ApiCall(method, params))
                self._lock.notify_all()
        self._respond(request, 200, {"ok": True, "result": result})

    @staticmethod
    def _params(request: BaseHTTPRequestHandler) -> dict[str, Any]:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        content_type = request.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
            )
            params: dict[str, Any] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                filename = part.get_filename()
                params[str(name)] = {"filename": filename, "bytes": payload} if filename else payload.decode()
            return params
        if content_type.startswith("application/json"):
            return dict(json.loads(body or b"{}"))
        return dict(parse_qsl(body.decode()))

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        wait = min(float(params.get("timeout", 0) or 0), 1.0)
        deadline = time.monotonic() + wait
        with self._lock:
            while True:
                pending = [update for update in self.updates if update["update_id"] >= offset]
                remaining = deadline - time.monotonic()
                if pending or remaining <= 0:
                    return pending
                self._lock.wait(remaining)

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in {"sendMessage", "sendVenue", "sendDocument", "sendPhoto", "editMessageText"}:
            self._next_message_id += 1
            chat_id = int(params.get("chat_id", 0))
            message: dict[str, Any] = {
                "message_id": self._next_message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": BOT_USER,
            }
            if "text" in params:
                message["text"] = params["text"]
            if "message_thread_id" in params:
                message["message_thread_id"] = int(params["message_thread_id"])
            return message
        if method == "createForumTopic":
            self._next_message_id += 1
            return {"message_thread_id": self._next_message_id, "name": params.get("name"), "icon_color": 0}
        return True

    @staticmethod
    def _respond(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)


@dataclass
class TelegramUser:
    """A person in a private chat with the bot, producing updates the way Telegram would."""

    api: BotApiStandIn
    user_id: int = 777000111
    language_code: str | None = "ru"
    first_name: str = "Test"
    _message_id: int = 1

    def _from(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _message(self, **content: Any) -> dict[str, Any]:
        self._message_id += 1
        chat = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        return {"message_id": self._message_id, "date": int(time.time()), "chat": chat, "from": self._from(), **content}

    def says(self, text: str) -> int:
        """Send a text message (commands included)."""
        entities = (
            [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
        )
        return self.api.push_update({"message": self._message(text=text, entities=entities)})

    def sends(self, **content: Any) -> int:
        """Send a non-text message: sticker=…, photo=…, voice=…, document=…, location=…."""
        return self.api.push_update({"message": self._message(**content)})

    def taps(self, callback_data: str, message_id: int = 1) -> int:
        """Tap an inline button."""
        chat = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        message = {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": BOT_USER, "text": "…"}
        query = {
            "id": f"q{self._message_id}",
            "from": self._from(),
            "chat_instance": "ci",
            "data": callback_data,
            "message": message,
        }
        self._message_id += 1
        return self.api.push_update({"callback_query": query})
