"""Checks every sent or edited message must pass (text, caption, HTML, keyboard, thread, flood limits); storing it."""

from __future__ import annotations

import copy
import time
from typing import Any

from tests.telegram_standin.html import HtmlError, parse_html, utf16_length
from tests.telegram_standin.limits import TokenBucket, throttle
from tests.telegram_standin.params import Params
from tests.telegram_standin.protocol import BOT_USER, MAX_CALLBACK_DATA, MAX_CAPTION, MAX_TEXT
from tests.telegram_standin.records import Refusal
from tests.telegram_standin.state import StandInState


class MessageChecks(StandInState):
    """Checks and storage shared by the sending and editing methods (called with the lock held)."""

    def _text(self, params: Params, name: str) -> tuple[str, list[dict[str, Any]]]:
        source = params.text(name) or ""
        mode = (params.text("parse_mode") or "").lower()
        if mode == "html":
            try:
                return parse_html(source, strict_ampersands=self.strict_ampersands)
            except HtmlError as error:
                raise Refusal(f"Bad Request: can't parse entities: {error}") from None
        if mode not in ("", "markdown", "markdownv2"):  # Markdown is passed through unchecked
            raise Refusal("Bad Request: unsupported parse_mode")
        return source, params.json("entities" if name == "text" else "caption_entities") or []

    def _message_text(self, params: Params) -> dict[str, Any]:
        text, entities = self._text(params, "text")
        if not text.strip():
            raise Refusal("Bad Request: message text is empty")
        if utf16_length(text.strip()) > MAX_TEXT:
            raise Refusal("Bad Request: message is too long")
        return {"text": text, **({"entities": entities} if entities else {})}

    def _caption(self, params: Params) -> dict[str, Any]:
        caption, entities = self._text(params, "caption")
        if utf16_length(caption.strip()) > MAX_CAPTION:
            raise Refusal("Bad Request: message caption is too long")
        return {"caption": caption, **({"caption_entities": entities} if entities else {})} if caption else {}

    def _markup(self, params: Params) -> dict[str, Any] | None:
        markup = params.json("reply_markup")
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        for row in markup["inline_keyboard"]:
            for button in row:
                if not str(button.get("text", "")).strip():
                    raise Refusal("Bad Request: BUTTON_TEXT_INVALID")
                data = button.get("callback_data")
                if data is not None and len(str(data).encode()) > MAX_CALLBACK_DATA:
                    raise Refusal("Bad Request: BUTTON_DATA_INVALID")
                kinds = set(button) - {"text", "callback_data"}
                if not data and not kinds:
                    raise Refusal(
                        "Bad Request: can't parse InlineKeyboardButton: Text buttons are not allowed in the inline "
                        "keyboard"
                    )
        return markup if any(markup["inline_keyboard"]) else None

    def _topic_placement(self, params: Params, chat_id: int) -> dict[str, Any]:
        thread_id = params.integer("message_thread_id")
        if thread_id is None:
            return {}
        if thread_id not in self._topics.get(chat_id, {}):
            raise Refusal("Bad Request: message thread not found")
        return {"message_thread_id": thread_id, "is_topic_message": True}

    def _throttle(self, chat_id: int) -> None:
        now = time.monotonic()
        buckets = [self._overall_bucket] if self._overall_bucket else []
        if self._chat_limit is not None:
            buckets.append(self._chat_buckets.setdefault(chat_id, TokenBucket(*self._chat_limit)))
        throttle(buckets, now)

    def _post(
        self, chat: dict[str, Any], content: dict[str, Any], params: Params, *, keyboard: bool = True
    ) -> dict[str, Any]:
        """Check what every sent message shares (thread, reply, markup, flood limits) and store it in the chat."""
        chat_id = int(chat["id"])
        thread = self._topic_placement(params, chat_id)
        reply = params.json("reply_parameters") or {}
        reply_to = reply.get("message_id") if isinstance(reply, dict) else None
        reply_to = reply_to or params.integer("reply_to_message_id")
        allow_missing = params.flag("allow_sending_without_reply") or reply.get("allow_sending_without_reply")
        if reply_to and not allow_missing and self._message(chat_id, int(reply_to)) is None:
            raise Refusal("Bad Request: message to be replied not found")
        markup = self._markup(params) if keyboard else None
        self._throttle(chat_id)
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "date": self._now(),
            "chat": dict(chat),
            "from": BOT_USER,
            **thread,
            **content,
        }
        if markup:
            message["reply_markup"] = markup
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        return copy.deepcopy(message)
