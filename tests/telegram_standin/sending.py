"""Sending methods: sendMessage and the other send* methods, sendChatAction, copyMessage, forwardMessage."""

from __future__ import annotations

import copy
from typing import Any

from tests.telegram_standin.checks import MessageChecks
from tests.telegram_standin.params import Params
from tests.telegram_standin.protocol import BOT_USER, CHAT_ACTIONS, CONTENT
from tests.telegram_standin.records import Refusal


class Sending(MessageChecks):
    """The methods that put a message in a chat (called with the lock held)."""

    def _send(self, params: Params) -> dict[str, Any]:
        chat, method = self._chat(params), params.method
        if method == "sendMessage":
            return self._post(chat, self._message_text(params), params)
        if method in ("sendLocation", "sendVenue"):
            location = {
                "latitude": params.number("latitude", required=True),
                "longitude": params.number("longitude", required=True),
            }
            if method == "sendLocation":
                return self._post(chat, {"location": location}, params)
            venue = {"location": location, "title": params.text("title"), "address": params.text("address")}
            for name in ("title", "address"):
                if not params.has(name):
                    raise Refusal(f'Bad Request: parameter "{name}" is required')
            return self._post(chat, {"venue": venue, "location": location}, params)
        kind = method.removeprefix("send").lower()
        if not params.has(kind):
            raise Refusal(f"Bad Request: there is no {kind} in the request")
        return self._post(chat, {kind: self._file(kind, params.raw[kind], params), **self._caption(params)}, params)

    def _file(self, kind: str, value: Any, params: Params) -> Any:
        serial = self._serial()
        given = value if isinstance(value, str) and not value.startswith("attach://") else f"file-{kind}-{serial}"
        described: dict[str, Any] = {"file_id": given, "file_unique_id": f"unique-{serial}"}
        if isinstance(value, dict):
            described["file_size"] = len(value.get("bytes") or b"")
        if kind == "photo":
            return [{**described, "width": 1280, "height": 960}]
        if kind == "voice":
            return {**described, "duration": params.integer("duration") or 1, "mime_type": "audio/ogg"}
        filename = value.get("filename") if isinstance(value, dict) else None
        return {**described, **({"file_name": filename} if filename else {})}

    def _chat_action(self, params: Params) -> bool:
        self._chat(params)
        if params.text("action") not in CHAT_ACTIONS:
            raise Refusal("Bad Request: wrong parameter action in request")
        return True

    def _source(self, params: Params, verb: str) -> dict[str, Any]:
        if not params.has("from_chat_id"):
            raise Refusal('Bad Request: parameter "from_chat_id" is required')
        chat = self._chat(params, "from_chat_id")
        source = self._message(int(chat["id"]), params.integer("message_id"))
        if source is None or not any(key in source for key in CONTENT):
            raise Refusal(f"Bad Request: message to {verb} not found")
        return source

    def _copy_message(self, params: Params) -> dict[str, int]:
        chat, source = self._chat(params), self._source(params, "copy")
        content = {key: copy.deepcopy(source[key]) for key in CONTENT if key in source}
        if params.raw.get("caption") is not None and "text" not in content:
            content = {key: value for key, value in content.items() if not key.startswith("caption")}
            content |= self._caption(params)
        return {"message_id": self._post(chat, content, params)["message_id"]}

    def _forward_message(self, params: Params) -> dict[str, Any]:
        chat, source = self._chat(params), self._source(params, "forward")
        content = {key: copy.deepcopy(source[key]) for key in CONTENT if key in source}
        sender = source.get("from", BOT_USER)
        content["forward_origin"] = {"type": "user", "date": source["date"], "sender_user": sender}
        return self._post(chat, content, params, keyboard=False)  # a forward carries no keyboard of the bot's
