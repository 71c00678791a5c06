"""A simulated member of a forum supergroup (a counselor): writes in topics and taps the bot's buttons there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.telegram_standin.html import utf16_length
from tests.telegram_standin.protocol import callback_data_of, sent_by_bot, shown_text
from tests.telegram_standin.server import BotApiStandIn


@dataclass
class ForumMember:
    """A person in the counselors' forum group."""

    api: BotApiStandIn
    chat_id: int
    user_id: int
    first_name: str = "Counselor"

    def _from(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": self.first_name, "language_code": "en"}

    def _message(self, topic: int | None, **content: Any) -> dict[str, Any]:
        with self.api._lock:
            message_id, date = self.api._new_message_id(self.chat_id), self.api._now()
            chat = dict(self.api._chats[self.chat_id])
        message = {"message_id": message_id, "date": date, "chat": chat, "from": self._from(), **content}
        if topic is not None:
            message |= {"message_thread_id": topic, "is_topic_message": True}
        return message

    def says(self, text: str, topic: int | None = None) -> int:
        """Write in a topic (or the general one); commands get their entity."""
        command = text.split()[0] if text.startswith("/") else ""
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_length(command)}] if command else []
        return self.api.push_update({"message": self._message(topic, text=text, entities=entities)})

    def sends_photo(self, topic: int, caption: str | None = None) -> int:
        """Send a photo into a topic."""
        with self.api._lock:
            serial = self.api._serial()
        photo = [{"file_id": f"desk-photo-{serial}", "file_unique_id": f"desk-u-{serial}", "width": 640, "height": 480}]
        content: dict[str, Any] = {"photo": photo, **({"caption": caption} if caption else {})}
        return self.api.push_update({"message": self._message(topic, **content)})

    def bot_messages(self, topic: int | None = None) -> list[dict[str, Any]]:
        """The bot's messages in the group (in one topic, when given), oldest first."""
        messages = [message for message in self.api.messages_in(self.chat_id) if sent_by_bot(message)]
        if topic is None:
            return messages
        return [message for message in messages if message.get("message_thread_id") == topic]

    def sees(self, topic: int | None = None) -> list[str]:
        """The texts of the bot's messages in the group or one topic."""
        return [text for text in map(shown_text, self.bot_messages(topic)) if text is not None]

    def taps(self, callback_data: str, message: dict[str, Any] | None = None) -> int:
        """Tap a button on the bot's latest group message offering it, or on `message` as this member last saw it
        (a button another member's tap has since replaced)."""
        offering = [found for found in self.bot_messages() if callback_data in callback_data_of(found)]
        assert message is not None or offering, f"no message in the group offers {callback_data}"
        with self.api._lock:
            query_id = str(5_000_000_000_000 + self.api._serial())
        query = {"id": query_id, "from": self._from(), "chat_instance": f"ci{self.chat_id}", "data": callback_data}
        return self.api.push_update({"callback_query": {**query, "message": message or offering[-1]}})
