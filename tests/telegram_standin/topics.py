"""Forum topics: createForumTopic, editForumTopic, closeForumTopic and reopenForumTopic in a supergroup."""

from __future__ import annotations

from typing import Any

from tests.telegram_standin.html import utf16_length
from tests.telegram_standin.params import Params
from tests.telegram_standin.protocol import BOT_USER
from tests.telegram_standin.records import Refusal
from tests.telegram_standin.state import StandInState


class ForumTopics(StandInState):
    """The forum topic methods (called with the lock held)."""

    def _forum(self, params: Params) -> int:
        chat = self._chat(params)
        if chat.get("type") != "supergroup" or not chat.get("is_forum"):
            raise Refusal("Bad Request: the chat is not a forum")
        return int(chat["id"])

    def _create_topic(self, params: Params) -> dict[str, Any]:
        chat_id = self._forum(params)
        name = params.text("name") or ""
        if not name.strip() or utf16_length(name) > 128:
            raise Refusal("Bad Request: TOPIC_TITLE_EMPTY" if not name.strip() else "Bad Request: TOPIC_TITLE_INVALID")
        topic = {"name": name, "icon_color": params.integer("icon_color") or 7322096}
        thread_id = self._new_message_id(chat_id)
        self._topics.setdefault(chat_id, {})[thread_id] = {**topic, "closed": False}
        service = {"message_id": thread_id, "date": self._now(), "chat": self._chats[chat_id], "from": BOT_USER}
        service |= {"message_thread_id": thread_id, "is_topic_message": True, "forum_topic_created": topic}
        self._messages.setdefault(chat_id, {})[thread_id] = service
        return {"message_thread_id": thread_id, **topic}

    def _topic(self, params: Params) -> dict[str, Any]:
        chat_id = self._forum(params)
        topic = self._topics.get(chat_id, {}).get(params.integer("message_thread_id") or 0)
        if topic is None:
            raise Refusal("Bad Request: message thread not found")
        return topic

    def _edit_topic(self, params: Params) -> bool:
        topic = self._topic(params)
        changes = {name: params.raw[name] for name in ("name", "icon_custom_emoji_id") if params.has(name)}
        if all(topic.get(name) == value for name, value in changes.items()):
            raise Refusal("Bad Request: TOPIC_NOT_MODIFIED")
        topic.update(changes)
        return True

    def _close_topic(self, params: Params, *, closed: bool) -> bool:
        topic = self._topic(params)
        if topic["closed"] == closed:
            raise Refusal("Bad Request: TOPIC_NOT_MODIFIED")
        topic["closed"] = closed
        return True
