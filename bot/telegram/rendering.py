"""Turn dialogue replies into Telegram messages (bot layer): HTML-escaped text, inline keyboards, splitting."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.dialogue.replies import Reply

MAX_MESSAGE_LENGTH = 4096


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Cut text into pieces of at most `limit` characters, at paragraph, then line, then word boundaries."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), 0) or max(window.rfind("\n"), 0) or max(window.rfind(" "), 0) or limit
        pieces.append(rest[:cut].rstrip())
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
