"""Replies as plain values (bot layer): text plus button rows, rendered by each channel its own way."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback data


@dataclass(frozen=True)
class Button:
    """A choice the user can tap; `data` is what comes back, never translated text."""

    label: str
    data: str

    def __post_init__(self) -> None:
        if len(self.data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {self.data[:20]}…")


@dataclass(frozen=True)
class Venue:
    """A place to show on a map (Telegram sends it as a venue message after the text)."""

    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True)
class Document:
    """A file for the user (their copy of their data); the reply's text is its caption."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class Reply:
    """One message from Yoldosh; `clear_chat` asks the channel to remove the conversation before showing it, along
    with `clear_message_ids` (messages the dialogue's stored trail knew of, when that trail is already gone)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)
    venue: Venue | None = None
    clear_chat: bool = False
    document: Document | None = None
    clear_message_ids: tuple[int, ...] = ()

    def all_buttons(self) -> list[Button]:
        """The buttons in reading order."""
        return [button for row in self.buttons for button in row]


def rows(*buttons: Button, per_row: int = 1) -> tuple[tuple[Button, ...], ...]:
    """Lay buttons out `per_row` to a row."""
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))
