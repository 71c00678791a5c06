"""Turn dialogue replies into Telegram messages (bot layer): HTML-escaped text, inline keyboards, splitting."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.dialogue.replies import Reply

MAX_MESSAGE_LENGTH = 4096


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def _prefix_within(text: str, limit: int) -> str:
    """The longest prefix of `text` whose UTF-16 length is at most `limit`."""
    if utf16_length(text[:limit]) <= limit:
        return text[:limit]
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if utf16_length(text[:middle]) <= limit else (low, middle - 1)
    return text[:low]


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Cut text into pieces of at most `limit` UTF-16 units, at paragraph, then line, then word boundaries."""
    pieces: list[str] = []
    rest = text
    while utf16_length(rest) > limit:
        window = _prefix_within(rest, limit)
        cut = max(window.rfind("\n\n"), 0) or max(window.rfind("\n"), 0) or max(window.rfind(" "), 0) or len(window)
        piece = rest[:cut].rstrip()
        if piece:  # text starting with blank space: Telegram refuses an empty message
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard, or None."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button.label, callback_data=button.data) for button in row] for row in reply.buttons]
    )


def telegram_messages(reply: Reply) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """(HTML text, keyboard) pairs for one reply; the keyboard rides on the last piece."""
    pieces = [html.escape(piece, quote=False) for piece in split_text(reply.text)]
    markup = keyboard(reply)
    return [(piece, markup if index == len(pieces) - 1 else None) for index, piece in enumerate(pieces)]
