"""Bot API facts the stand-in and tests share: token, bot user, Telegram's limits and wording, Message readers."""

from __future__ import annotations

import itertools
import random
from typing import Any

TOKEN = "123456:TEST-token-for-the-local-stand-in-only"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Yoldosh", "username": "yoldosh_test_bot"}
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_TEXT, MAX_CAPTION, MAX_CALLBACK_DATA = 4096, 1024, 64
DELETABLE_FOR = 48 * 3600
SENDING = {"sendMessage", "sendVenue", "sendLocation", "sendDocument", "sendPhoto", "sendVoice"}
CONTENT = {"text", "entities", "caption", "caption_entities", "photo", "document", "voice", "sticker", "location"}
CONTENT |= {"venue", "contact"}
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice"}
CHAT_ACTIONS |= {"upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
# Telegram numbers one bot's updates in one increasing sequence, never restarting at 1: so do all stand-ins of a
# test process (a ledger of handled updates outlives each stand-in).
UPDATE_IDS = itertools.count(random.randrange(100_000_000, 500_000_000))


def sent_by_bot(message: dict[str, Any]) -> bool:
    """Whether the bot sent this Bot API message."""
    return bool(message.get("from", {}).get("id") == BOT_USER["id"])


def shown_text(message: dict[str, Any]) -> str | None:
    """A message's text or caption as the user reads it (HTML already rendered)."""
    return message.get("text", message.get("caption"))


def callback_data_of(message: dict[str, Any]) -> list[str]:
    """The callback data of each inline button under a message."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [str(button.get("callback_data", "")) for row in rows for button in row]
