"""A stand-in for the Telegram Bot API (test tooling): a local aiohttp server answering and refusing as Telegram does.

It serves /bot<TOKEN>/<method> from its own thread and event loop, so both blocking tests (`wait_for`) and tests
running the bot on their own loop (`await until(...)`) work. It keeps the chats and messages it has seen, enforces
Telegram's limits (text length in UTF-16 units, HTML parse mode, button data, unknown chats, 48-hour deletion,
callback query answers, optional flood limits) and records every refusal in `errors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)
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
class ApiError:
    """A request the stand-in refused as Telegram would: 4xx status and Telegram's description."""

    call: ApiCall
    status: int
    description: str
    retry_after: int | None = None

    @property
    def rate_limited(self) -> bool:
        """A 429 flood-control answer rather than a bad request."""
        return self.status == 429


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


class Refusal(Exception):
    """Raised inside a method to answer with a Telegram error."""

    def __init__(self, description: str, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.description, self.status, self.retry_after = description, status, retry_after


# --- HTML parse mode, as tdlib's parse_html does it -----------------------------------------------------------------
HTML_TAGS = {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji", "span"}
HTML_TAGS |= {"pre", "code", "blockquote"}
ENTITY_TYPES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline"}
ENTITY_TYPES |= {"s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler"}
ENTITY_TYPES |= {"span": "spoiler", "pre": "pre", "code": "code", "a": "text_link", "tg-emoji": "custom_emoji"}
NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}


class HtmlError(ValueError):
    """Telegram's "can't parse entities" reason."""


def _is_space(byte: int) -> bool:
    return byte in b" \t\r\n\f\v"


def _html_entity(data: bytes, pos: int) -> tuple[int, int] | None:
    """The code point an &-entity at `pos` stands for and where it ends, or None when it is no entity."""
    end, value = pos + 1, 0
    if data[end : end + 1] == b"#":
        end += 1
        hexadecimal = data[end : end + 1] == b"x"
        end += hexadecimal
        digits = b"0123456789abcdefABCDEF" if hexadecimal else b"0123456789"
        while end < len(data) and data[end] in digits:
            value = value * (16 if hexadecimal else 10) + int(chr(data[end]), 16)
            end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return None
    else:
        while end < len(data) and chr(data[end]).isascii() and chr(data[end]).isalpha():
            end += 1
        if data[pos + 1 : end] not in NAMED_ENTITIES:
            return None
        value = ord(NAMED_ENTITIES[data[pos + 1 : end]])
    if 0xD800 <= value <= 0xDFFF:
        raise HtmlError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate "
            "code units"
        )
    return value, end + (data[end : end + 1] == b";")


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str, *, strict_ampersands: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """The text a user sees and its entities, or HtmlError with Telegram's wording and byte offsets.

    Telegram itself copies an "&" that starts no entity as it is; with `strict_ampersands` the stand-in refuses it,
    as the Bot API documentation asks ("All <, > and & symbols that are not a part of a tag or an HTML entity must
    be replaced"), so unescaped text is caught before it meets a "<".
    """
    data = source.encode()

    def at(index: int) -> int:
        return data[index] if index < len(data) else 0

    out = bytearray()
    offset = 0  # in UTF-16 units
    open_tags: list[tuple[str, str, int, int]] = []  # tag, argument, UTF-16 offset, position in `out`
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == ord("&"):
            decoded = _html_entity(data, i)
            if decoded is not None:
                out += chr(decoded[0]).encode()
                offset += 1 + (decoded[0] > 0xFFFF)
                i = decoded[1]
                continue
            if strict_ampersands:
                raise HtmlError(f'Unescaped "&" at byte offset {i}')
        if byte != ord("<"):
            offset += (byte & 0xC0 != 0x80) + (byte >= 0xF0)
            out.append(byte)
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != ord("/"):
            while at(i) and not _is_space(at(i)) and at(i) != ord(">"):
                i += 1
            if not at(i):
                raise HtmlError(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].decode(errors="replace").lower()
            if tag not in HTML_TAGS:
                raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument, i = _html_attributes(data, i, tag, begin)
            if tag == "span" and argument != "spoiler":
                raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
            open_tags.append((tag, argument, offset, len(out)))
            i += 1
            continue
        if not open_tags:
            raise HtmlError(f"Unexpected end tag at byte offset {begin}")
        while at(i) and not _is_space(at(i)) and at(i) != ord(">"):
            i += 1
        end_tag = data[begin + 2 : i].decode(errors="replace").lower()
        while _is_space(at(i)):
            i += 1
        if at(i) != ord(">"):
            raise HtmlError(f"Unclosed end tag at byte offset {begin}")
        tag, argument, start, position = open_tags.pop()
        if end_tag and end_tag != tag:
            raise HtmlError(f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", found "</{end_tag}>"')
        if offset > start:
            _add_entity(entities, tag, argument, start, offset - start, out[position:].decode(errors="replace"))
        i += 1
    if open_tags:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{open_tags[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # a language only counts on <pre><code class="language-…">
    return out.decode(), sorted(entities, key=lambda entity: (entity["offset"], -entity["length"]))


def _html_attributes(data: bytes, i: int, tag: str, begin: int) -> tuple[str, int]:
    """Read a start tag's attributes up to its ">"; returns the argument Telegram keeps and the index of ">"."""

    def at(index: int) -> int:
        return data[index] if index < len(data) else 0

    argument = ""
    while at(i) != ord(">"):
        while at(i) and _is_space(at(i)):
            i += 1
        if at(i) == ord(">"):
            break
        name_begin = i
        while at(i) and not _is_space(at(i)) and at(i) not in b"=>":
            i += 1
        name = data[name_begin:i].decode(errors="replace")
        if not name:
            raise HtmlError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        while at(i) and _is_space(at(i)):
            i += 1
        if at(i) != ord("="):
            if tag == "blockquote" and name == "expandable":
                argument = "expandable"
                continue
            raise HtmlError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte offset {begin}'
            )
        i += 1
        while at(i) and _is_space(at(i)):
            i += 1
        if not at(i):
            raise HtmlError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        if at(i) not in b"'\"":
            token_begin = i
            while at(i) and ((chr(at(i)).isascii() and chr(at(i)).isalnum()) or at(i) in b".-"):
                i += 1
            value = data[token_begin:i].decode().lower()
            if not _is_space(at(i)) and at(i) != ord(">"):
                raise HtmlError(f"Unexpected end of name token at byte offset {token_begin}")
        else:
            quote, i, raw = at(i), i + 1, bytearray()
            while at(i) and at(i) != quote:
                decoded = _html_entity(data, i) if at(i) == ord("&") else None
                if decoded is not None:
                    raw += chr(decoded[0]).encode()
                    i = decoded[1]
                else:
                    raw.append(at(i))
                    i += 1
            i += at(i) == quote
            value = raw.decode(errors="replace")
        if not at(i):
            raise HtmlError(f"Unclosed start tag at byte offset {begin}")
        if (tag, name) in {("a", "href"), ("tg-emoji", "emoji-id")}:
            argument = value
        elif (tag, name) == ("code", "class") and value.startswith("language-"):
            argument = value.removeprefix("language-")
        elif (tag, name) == ("span", "class") and value.startswith("tg-"):
            argument = value.removeprefix("tg-")
    return argument, i


def _add_entity(entities: list[dict[str, Any]], tag: str, argument: str, offset: int, length: int, inner: str) -> None:
    entity: dict[str, Any] = {"type": ENTITY_TYPES.get(tag, tag), "offset": offset, "length": length}
    last = entities[-1] if entities else {}
    same_span = last.get("offset") == offset and last.get("length") == length
    if tag == "blockquote":
        entity["type"] = "expandable_blockquote" if argument == "expandable" else "blockquote"
    elif tag == "a":
        entity["url"] = argument or inner.strip()
        if not entity["url"] or " " in entity["url"]:
            return  # Telegram drops a link it cannot read as a URL
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise HtmlError("Invalid custom emoji identifier specified")
        entity["custom_emoji_id"] = argument
    elif tag == "pre" and same_span and last.get("type") == "code" and last.get("language"):
        last["type"] = "pre"
        return
    elif tag == "code" and argument:
        entity["language"] = argument
    entities.append(entity)


# --- request parameters -----------------------------------------------------------------------------------------
class Params:
    """A request's parameters, read as the Bot API reads them (form values are JSON-encoded strings)."""

    def __init__(self, method: str, raw: dict[str, Any]) -> None:
        self.method, self.raw = method, raw

    def has(self, name: str) -> bool:
        """Whether the parameter was sent and is not empty."""
        return self.raw.get(name) not in (None, "")

    def text(self, name: str) -> str | None:
        """A string parameter."""
        value = self.raw.get(name)
        return None if value is None else str(value)

    def number(self, name: str, *, required: bool = False) -> float | None:
        """A numeric parameter."""
        if not self.has(name):
            if required:
                raise Refusal(f'Bad Request: parameter "{name}" is required')
            return None
        try:
            return float(self.raw[name])
        except (TypeError, ValueError):
            raise Refusal(f'Bad Request: parameter "{name}" must be a Number') from None

    def integer(self, name: str, *, required: bool = False) -> int | None:
        """An integer parameter."""
        value = self.number(name, required=required)
        return None if value is None else int(value)

    def json(self, name: str) -> Any:
        """A JSON object or array parameter."""
        value = self.raw.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise Refusal(f"Bad Request: can't parse {name} JSON object") from None

    def flag(self, name: str) -> bool:
        """A Boolean parameter."""
        return self.raw.get(name) in (True, "true", "True", "1", 1)


async def read_params(request: web.Request) -> dict[str, Any]:
    """Query string plus a JSON, urlencoded or multipart body; uploaded files as {"filename", "bytes"}."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.read()
        params.update(json.loads(body) if body else {})
        return params
    for name, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            params[name] = {"filename": value.filename, "bytes": value.file.read()}
        else:
            params[name] = value
    return params


@dataclass
class TokenBucket:
    """A flood limit: `rate` requests a second on average, `capacity` at once."""

    rate: float
    capacity: float
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    def wait(self, now: float) -> float:
        """Seconds until one request is allowed (0 when it is allowed now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


# --- the server -------------------------------------------------------------------------------------------------
@dataclass(repr=False)
class BotApiStandIn:
    """Serves /bot<TOKEN>/<method> on 127.0.0.1; answers like Telegram for the methods Yoldosh uses.

    `calls` holds every request but getUpdates, refused ones included; `errors` the ones Telegram would refuse
    (not those made to fail with `fail_next`); `updates` the updates not yet confirmed by a getUpdates offset.
    """

    calls: list[ApiCall] = field(default_factory=list)
    errors: list[ApiError] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    deleted: dict[int, set[int]] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    deliveries: list[tuple[int, int]] = field(default_factory=list)
    strict_ampersands: bool = True
    _chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    _messages: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    _next_message_id: dict[int, int] = field(default_factory=dict)
    _topics: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    _open_queries: set[str] = field(default_factory=set)
    _last_update_id: int = 0
    _next_serial: int = 1
    _clock_offset: float = 0.0
    _latency: float = 0.0
    _chat_limit: tuple[float, float] | None = None
    _chat_buckets: dict[int, TokenBucket] = field(default_factory=dict)
    _overall_bucket: TokenBucket | None = None
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _port: int = 0
    _arrived: asyncio.Event | None = None
    _delivering: asyncio.Lock | None = None
    _session: aiohttp.ClientSession | None = None
    _stopping: bool = False
    _in_flight: dict[str, int] = field(default_factory=dict)
    _most_in_flight: dict[str, int] = field(default_factory=dict)
    _handlers: dict[str, Callable[[Params], Any]] = field(default_factory=dict)

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

    # --- what the test does -------------------------------------------------------------------------------------
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

    def fail_next(self, method: str, status: int, body: dict[str, Any]) -> None:
        """Make the next call of `method` fail with this HTTP status and Bot API body (not counted in `errors`)."""
        with self._lock:
            self.failures.setdefault(method, []).append((status, body))

    def known_chat(self, chat_id: int, **chat: Any) -> None:
        """Let the bot write to a chat it has not seen in an update (as if the user had started the bot earlier)."""
        kind = "private" if chat_id > 0 else "supergroup" if chat_id < -1_000_000_000_000 else "group"
        with self._lock:
            self._chats.setdefault(chat_id, {"id": chat_id, "type": kind, **chat})

    def add_supergroup(self, chat_id: int, *, title: str = "Yoldosh operators", is_forum: bool = True) -> None:
        """A supergroup the bot administers (a forum with topics unless told otherwise)."""
        if chat_id >= 0:
            raise ValueError("supergroup ids are negative, e.g. -1001234567890")
        with self._lock:
            self._chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": title, "is_forum": is_forum}

    def latency(self, seconds: float) -> None:
        """Delay every answer but getUpdates by this round trip (asyncio.sleep: other requests go on meanwhile)."""
        self._latency = seconds

    def limit_per_chat(self, per_second: float, burst: int = 1) -> None:
        """Answer 429 when the bot sends, copies, forwards or edits faster than this in one chat."""
        with self._lock:
            self._chat_limit, self._chat_buckets = (per_second, float(burst)), {}

    def limit_overall(self, per_second: float, burst: int | None = None) -> None:
        """Answer 429 when the bot sends, copies, forwards or edits faster than this across all chats."""
        with self._lock:
            self._overall_bucket = TokenBucket(per_second, float(burst or max(1, math.floor(per_second))))

    def advance_clock(self, seconds: float) -> None:
        """Let time pass for message dates and the 48-hour deletion window."""
        with self._lock:
            self._clock_offset += seconds

    def calls_to(self, method: str) -> list[ApiCall]:
        """Every recorded call of one method, in order."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def messages_in(self, chat_id: int) -> list[dict[str, Any]]:
        """The chat's messages still there (not deleted), oldest first, as Bot API Message objects (copies)."""
        with self._lock:
            live = [message for message in self._messages.get(chat_id, {}).values() if not self._is_deleted(message)]
            return copy.deepcopy(sorted(live, key=lambda message: int(message["message_id"])))

    def max_concurrent(self, method: str) -> int:
        """The most requests of one method the stand-in has had in flight at once."""
        with self._lock:
            return self._most_in_flight.get(method, 0)

    def assert_no_errors(self, *, allow_rate_limits: bool = False) -> None:
        """Fail the test if Telegram would have refused any request."""
        with self._lock:
            refused = [error for error in self.errors if not (allow_rate_limits and error.rate_limited)]
        assert not refused, "Bot API refused: " + "; ".join(f"{e.call.method}: {e.description}" for e in refused)

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

    # --- bookkeeping (call with the lock held) -----------------------------------------------------------------
    def _now(self) -> int:
        return int(time.time() + self._clock_offset)

    def _serial(self) -> int:
        self._next_serial += 1
        return self._next_serial

    def _new_message_id(self, chat_id: int) -> int:
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def _is_deleted(self, message: dict[str, Any]) -> bool:
        return int(message["message_id"]) in self.deleted.get(int(message["chat"]["id"]), set())

    def _take_in(self, update: dict[str, Any]) -> dict[str, Any]:
        """Number an update and learn from it: its chats, the user's messages, open callback queries."""
        update = {"update_id": max(next(UPDATE_IDS), self._last_update_id + 1), **update}
        self._last_update_id = max(self._last_update_id, int(update["update_id"]))
        for chat in _chats_in(update):
            self._chats[int(chat["id"])] = {**self._chats.get(int(chat["id"]), {}), **chat}
        for kind in ("message", "edited_message", "channel_post"):
            message = update.get(kind)
            if isinstance(message, dict) and "message_id" in message and "chat" in message:
                chat_id, message_id = int(message["chat"]["id"]), int(message["message_id"])
                self._next_message_id[chat_id] = max(self._next_message_id.get(chat_id, 0), message_id)
                stored = self._messages.setdefault(chat_id, {})
                stored.setdefault(message_id, {}).update(copy.deepcopy(message))
        if isinstance(update.get("callback_query"), dict):
            self._open_queries.add(str(update["callback_query"]["id"]))
        return update

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

    def _refuse(self, call: ApiCall, refusal: Refusal) -> dict[str, Any]:
        self.errors.append(ApiError(call, refusal.status, refusal.description, refusal.retry_after))
        body: dict[str, Any] = {"ok": False, "error_code": refusal.status, "description": refusal.description}
        if refusal.retry_after is not None:
            body["parameters"] = {"retry_after": refusal.retry_after}
        return body

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

    def _chat(self, params: Params, name: str = "chat_id") -> dict[str, Any]:
        if not params.has(name):
            raise Refusal(f"Bad Request: {name} is empty")
        try:
            chat_id = int(str(params.raw[name]))
        except ValueError:
            raise Refusal("Bad Request: chat not found") from None
        if chat_id not in self._chats:
            raise Refusal("Bad Request: chat not found")
        return self._chats[chat_id]

    def _message(self, chat_id: int, message_id: int | None) -> dict[str, Any] | None:
        message = self._messages.get(chat_id, {}).get(message_id or 0)
        return None if message is None or self._is_deleted(message) else message

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
        wait = max((bucket.wait(now) for bucket in buckets), default=0.0)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise Refusal(f"Too Many Requests: retry after {seconds}", status=429, retry_after=seconds)
        for bucket in buckets:
            bucket.tokens -= 1

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

    def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.text("callback_query_id") or ""
        if query_id not in self._open_queries:
            raise Refusal(QUERY_INVALID)
        self._open_queries.discard(query_id)
        return True

    def _to_edit(self, params: Params) -> dict[str, Any]:
        if params.has("inline_message_id"):
            raise Refusal("Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat(params)
        message = self._message(int(chat["id"]), params.integer("message_id"))
        if message is None:
            raise Refusal("Bad Request: message to edit not found")
        if not sent_by_bot(message):
            raise Refusal("Bad Request: message can't be edited")
        return message

    def _edited(
        self, message: dict[str, Any], changes: dict[str, Any], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        changes = {**changes, "reply_markup": markup}
        if all(message.get(key) == value for key, value in changes.items()):
            raise Refusal(NOT_MODIFIED)
        self._throttle(int(message["chat"]["id"]))
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = self._now()
        return copy.deepcopy(message)

    def _edit_text(self, params: Params) -> dict[str, Any]:
        message = self._to_edit(params)
        if "text" not in message:
            raise Refusal("Bad Request: there is no text in the message to edit")
        content = self._message_text(params)
        return self._edited(message, {"entities": None, **content}, self._markup(params))

    def _edit_reply_markup(self, params: Params) -> dict[str, Any]:
        return self._edited(self._to_edit(params), {}, self._markup(params))

    def _deletable(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        message = self._message(chat_id, message_id)
        if message is not None and self._now() - int(message["date"]) >= DELETABLE_FOR:
            raise Refusal("Bad Request: message can't be deleted for everyone")
        return message

    def _delete_message(self, params: Params) -> bool:
        chat_id = int(self._chat(params)["id"])
        message_id = params.integer("message_id") or 0
        if self._deletable(chat_id, message_id) is None:
            raise Refusal("Bad Request: message to delete not found")
        self.deleted.setdefault(chat_id, set()).add(message_id)
        return True

    def _delete_messages(self, params: Params) -> bool:
        chat_id = int(self._chat(params)["id"])
        ids = params.json("message_ids")
        if not params.has("message_ids") or ids == []:
            raise Refusal("Bad Request: message identifiers are not specified")
        if not isinstance(ids, list):
            raise Refusal("Bad Request: expected an Array of message identifiers")
        if len(ids) > 100:
            raise Refusal("Bad Request: too many message identifiers specified")
        if any(not isinstance(message_id, int) or message_id <= 0 for message_id in ids):
            raise Refusal("Bad Request: invalid message identifier specified")
        found = [message_id for message_id in ids if self._deletable(chat_id, message_id) is not None]
        self.deleted.setdefault(chat_id, set()).update(found)  # missing ones are skipped, as Telegram does
        return True

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


def _chats_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every "chat" object inside an update."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "chat" and isinstance(inner, dict) and "id" in inner:
                yield inner
            else:
                yield from _chats_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _chats_in(inner)


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
