"""Typed PTB callback context (bot layer): handlers reach the dialogue through it."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.dialogue.flow import Dialogue

DIALOGUE_KEY = "dialogue"


class YoldoshContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Callback context carrying Yoldosh's dialogue engine."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], **kwargs: Any) -> None:
        super().__init__(application=application, **kwargs)

    @property
    def dialogue(self) -> Dialogue:
        """The process's dialogue engine."""
        dialogue: Dialogue = self.application.bot_data[DIALOGUE_KEY]
        return dialogue
