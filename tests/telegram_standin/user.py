"""A simulated Telegram user in a private chat with the bot, producing updates the way Telegram would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.telegram_standin.html import utf16_length
from tests.telegram_standin.protocol import BOT_USER, callback_data_of, sent_by_bot, shown_text
from tests.telegram_standin.server import BotApiStandIn


@dataclass
class TelegramUser:
    """A person in a private chat with the bot, producing updates the way Telegram would."""

    api: BotApiStandIn
    user_id: int = 777000111
    language_code: str | None = "ru"
    first_name: str = "Test"

    def __post_init__(self) -> None:
        self.api.known_chat(self.user_id, first_name=self.first_name)

    @property
    def chat(self) -> dict[str, Any]:
        """The private chat as Telegram describes it."""
        return {"id": self.user_id, "type": "private", "first_name": self.first_name}

    def _from(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _message(self, **content: Any) -> dict[str, Any]:
        with self.api._lock:
            message_id, date = self.api._new_message_id(self.user_id), self.api._now()
        return {"message_id": message_id, "date": date, "chat": self.chat, "from": self._from(), **content}

    def _file(self, kind: str) -> dict[str, Any]:
        with self.api._lock:
            serial = self.api._serial()
        return {"file_id": f"user-{kind}-{serial}", "file_unique_id": f"user-unique-{serial}"}

    def says(self, text: str) -> int:
        """Send a text message (commands included)."""
        command = text.split()[0] if text.startswith("/") else ""
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_length(command)}] if command else []
        return self.api.push_update({"message": self._message(text=text, entities=entities)})

    def sends(self, **content: Any) -> int:
        """Send any message content: sticker=…, photo=…, voice=…, document=…, location=…."""
        return self.api.push_update({"message": self._message(**content)})

    def sends_location(self, latitude: float, longitude: float) -> int:
        """Share a location."""
        return self.sends(location={"latitude": latitude, "longitude": longitude})

    def sends_contact(self, phone_number: str = "+998901234567", first_name: str | None = None) -> int:
        """Share the user's own contact card."""
        contact = {"phone_number": phone_number, "first_name": first_name or self.first_name, "user_id": self.user_id}
        return self.sends(contact=contact)

    def sends_voice(self, duration: int = 3) -> int:
        """Send a voice note."""
        return self.sends(voice={**self._file("voice"), "duration": duration, "mime_type": "audio/ogg"})

    def sends_sticker(self) -> int:
        """Send a sticker."""
        sticker = {"type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False}
        return self.sends(sticker={**self._file("sticker"), **sticker, "emoji": "🙂"})

    def sends_photo(self, caption: str | None = None) -> int:
        """Send a photo, optionally captioned."""
        photo = [{**self._file("photo"), "width": 1280, "height": 960}]
        return self.sends(photo=photo, **({"caption": caption} if caption else {}))

    def sends_document(self, file_name: str, caption: str | None = None) -> int:
        """Send a file."""
        document = {**self._file("document"), "file_name": file_name}
        return self.sends(document=document, **({"caption": caption} if caption else {}))

    def taps(self, callback_data: str, message_id: int | None = None) -> int:
        """Tap an inline button: by default on the bot's latest message offering it (or its latest message)."""
        live = [message for message in self.api.messages_in(self.user_id) if sent_by_bot(message)]
        offering = [message for message in live if callback_data in callback_data_of(message)]
        chosen: dict[str, Any] | None
        if message_id is None:
            chosen = (offering or live)[-1] if live else None
        else:
            chosen = next((message for message in live if message["message_id"] == message_id), None)
        with self.api._lock:
            query_id, now = str(4_000_000_000_000 + self.api._serial()), self.api._now()
        # tapped before the bot's keyboard arrived (tests do not wait): a stand-in message, as the old stand-in sent
        message = chosen or {
            "message_id": message_id or 1,
            "date": now,
            "chat": self.chat,
            "from": BOT_USER,
            "text": "…",
        }
        query = {"id": query_id, "from": self._from(), "chat_instance": f"ci{self.user_id}", "data": callback_data}
        return self.api.push_update({"callback_query": {**query, "message": message}})

    def sees(self) -> list[str]:
        """The texts (or captions) of the bot's messages still in the chat, oldest first."""
        texts = [shown_text(message) for message in self.api.messages_in(self.user_id) if sent_by_bot(message)]
        return [text for text in texts if text is not None]
