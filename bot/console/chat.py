"""Console chat (bot layer): replies printed as text, buttons as numbered choices, typed numbers tap them."""

from __future__ import annotations

import getpass
import logging
import os
from collections.abc import Callable, Iterable

from bot.dialogue.flow import Dialogue, Sender
from bot.dialogue.replies import Button, Reply
from bot.failures import describe_failure

log = logging.getLogger(__name__)

QUIT_WORDS = frozenset({"/quit"})
CLEAR_SCREEN = "\033[H\033[2J\033[3J"  # home, clear the screen and the scrollback


class ConsoleChat:
    """One terminal conversation: keeps the buttons on screen so a typed number can press one."""

    def __init__(self, dialogue: Dialogue, *, write: Callable[[str], None] = print, person: str | None = None) -> None:
        self._dialogue = dialogue
        self._write = write
        self._choices: list[Button] = []
        self.sender = Sender(
            channel="console",
            external_id=person or getpass.getuser(),
            language_code=os.environ.get("LANG", "").split(".")[0] or None,
        )

    def show(self, replies: Iterable[Reply]) -> None:
        """Print replies; number every button across them, starting at 1."""
        self._choices = []
        for reply in replies:
            if reply.clear_chat:
                self._write(CLEAR_SCREEN)
            self._write("")
            if reply.text:
                self._write(reply.text)
            if reply.venue is not None:
                venue = reply.venue
                self._write(f"📍 {venue.title}, {venue.address} ({venue.latitude:.5f}, {venue.longitude:.5f})")
            if reply.document is not None:
                self._write(f"📎 {reply.document.filename}")
                self._write(reply.document.content.decode("utf-8", errors="replace"))
            for row in reply.buttons:
                labels = []
                for button in row:
                    self._choices.append(button)
                    labels.append(f"[{len(self._choices)}] {button.label}")
                self._write("   ".join(labels))

    def handle(self, line: str) -> None:
        """One line typed by the user: a choice number presses that button, anything else is a message."""
        text = line.strip()
        if not text:
            return
        if text.isdigit() and 1 <= int(text) <= len(self._choices):
            data = self._choices[int(text) - 1].data
            self._turn(lambda: self._dialogue.press(self.sender, data))
        else:
            self._turn(lambda: self._dialogue.say(self.sender, text))

    def _turn(self, answer: Callable[[], list[Reply]]) -> None:
        """Show the dialogue's answer; one failed turn gets an apology and never ends the conversation."""
        try:
            replies = answer()
        except Exception as error:
            log.error("console turn failed: %s", describe_failure(error))
            replies = self._dialogue.apology(self.sender)
        self.show(replies)

    def run(self, read: Callable[[str], str] = input) -> None:
        """Loop until /quit, end of input or Ctrl-C."""
        self._write("Yoldosh console — type a number to choose, /quit to leave.")
        self._turn(lambda: self._dialogue.start(self.sender))
        while True:
            try:
                line = read("> ")
            except (EOFError, KeyboardInterrupt):
                self._write("")
                return
            if line.strip().lower() in QUIT_WORDS:
                return
            self.handle(line)
