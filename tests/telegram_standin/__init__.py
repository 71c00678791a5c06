"""A stand-in for the Telegram Bot API (test tooling): a local aiohttp server answering and refusing as Telegram does.

It serves /bot<TOKEN>/<method> from its own thread and event loop, so both blocking tests (`wait_for`) and tests
running the bot on their own loop (`await until(...)`) work. It keeps the chats and messages it has seen, enforces
Telegram's limits (text length in UTF-16 units, HTML parse mode, button data, unknown chats, 48-hour deletion,
callback query answers, optional flood limits) and records every refusal in `errors`.

The package re-exports every public name of the single module it replaced, so importers need not know its layout.
"""

from tests.telegram_standin.html import ENTITY_TYPES, HTML_TAGS, NAMED_ENTITIES, HtmlError, parse_html, utf16_length
from tests.telegram_standin.limits import TokenBucket
from tests.telegram_standin.member import ForumMember
from tests.telegram_standin.params import Params, read_params
from tests.telegram_standin.protocol import (
    BOT_USER,
    CHAT_ACTIONS,
    CONTENT,
    DELETABLE_FOR,
    MAX_CALLBACK_DATA,
    MAX_CAPTION,
    MAX_TEXT,
    NOT_MODIFIED,
    QUERY_INVALID,
    SECRET_HEADER,
    SENDING,
    TOKEN,
    UPDATE_IDS,
    callback_data_of,
    sent_by_bot,
    shown_text,
)
from tests.telegram_standin.records import ApiCall, ApiError, Refusal
from tests.telegram_standin.server import BotApiStandIn, log
from tests.telegram_standin.user import TelegramUser

__all__ = [
    "BOT_USER",
    "CHAT_ACTIONS",
    "CONTENT",
    "DELETABLE_FOR",
    "ENTITY_TYPES",
    "HTML_TAGS",
    "MAX_CALLBACK_DATA",
    "MAX_CAPTION",
    "MAX_TEXT",
    "NAMED_ENTITIES",
    "NOT_MODIFIED",
    "QUERY_INVALID",
    "SECRET_HEADER",
    "SENDING",
    "TOKEN",
    "UPDATE_IDS",
    "ApiCall",
    "ApiError",
    "BotApiStandIn",
    "ForumMember",
    "HtmlError",
    "Params",
    "Refusal",
    "TelegramUser",
    "TokenBucket",
    "callback_data_of",
    "log",
    "parse_html",
    "read_params",
    "sent_by_bot",
    "shown_text",
    "utf16_length",
]
