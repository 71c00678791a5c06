"""Typed PTB callback context (bot layer): handlers reach the dialogue through it."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.dialogue.flow import Dialogue, Sender
from bot.telegram.patience import off_the_loop
from bot.telegram.quick_exit import RecentMessages

DIALOGUE_KEY = "dialogue"
RECENT_KEY = "recent_messages"


class YoldoshContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Callback context carrying Yoldosh's dialogue engine."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], **kwargs: Any) -> None:
        super().__init__(application=application, **kwargs)

    @property
    def dialogue(self) -> Dialogue:
        """The process's dialogue engine."""
        dialogue: Dialogue = self.application.bot_data[DIALOGUE_KEY]
        return dialogue

    @property
    def recent_messages(self) -> RecentMessages:
        """This process's memory of recent message ids (the only trail of people who have not consented)."""
        recent: RecentMessages = self.application.bot_data[RECENT_KEY]
        return recent

    async def remember_trail(self, sender: Sender, chat_id: int, message_ids: list[int]) -> None:
        """Keep message ids for the quick exit: in memory always, and stored for a consenting user (restarts)."""
        if message_ids:
            self.recent_messages.add(chat_id, message_ids)
            await off_the_loop(self.dialogue.remember_messages, sender, message_ids)

    async def take_trail(self, sender: Sender, chat_id: int) -> list[int]:
        """Every remembered message id of this chat, stored or in memory; forgets them."""
        stored = await off_the_loop(self.dialogue.take_recent_messages, sender)
        return sorted({*stored, *self.recent_messages.take(chat_id)})
