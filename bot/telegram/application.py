"""Build the python-telegram-bot application (bot layer): one place wires the bot, handlers and commands."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot.dialogue.commands import localized_commands
from bot.dialogue.flow import Dialogue
from bot.telegram import handlers
from bot.telegram.context import DIALOGUE_KEY, YoldoshContext
from services.config import Settings
from services.i18n.catalogs import Translator
from services.i18n.locales import SUPPORTED_LOCALES

log = logging.getLogger(__name__)

# Telegram's language_code for setMyCommands is a two-letter ISO 639-1 code; uz_Cyrl users share "uz".
COMMAND_LANGUAGES: dict[str, str] = {"en": "en", "ru": "ru", "uz": "uz", "kk": "kk", "ky": "ky", "tg": "tg"}


async def _register_commands(application: Application[Any, Any, Any, Any, Any, Any], default_locale: str) -> None:
    bot = application.bot
    for locale, language_code in COMMAND_LANGUAGES.items():
        commands = [BotCommand(name, text) for name, text in localized_commands(Translator(locale))]
        await bot.set_my_commands(commands, language_code=language_code)
    default = [BotCommand(name, text) for name, text in localized_commands(Translator(default_locale))]
    await bot.set_my_commands(default)


def build_application(settings: Settings, dialogue: Dialogue) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Telegram application for these settings, talking to TELEGRAM_API_BASE_URL."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to serve Telegram")
    assert settings.default_locale in SUPPORTED_LOCALES

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await _register_commands(application, settings.default_locale)
        log.info("Telegram commands registered for %d languages", len(COMMAND_LANGUAGES))

    base_url = settings.telegram_api_base_url
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(base_url)
        .base_file_url(base_url.removesuffix("/bot") + "/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=3))
        .context_types(ContextTypes(context=YoldoshContext))
        .post_init(post_init)
        .build()
    )
    application.bot_data[DIALOGUE_KEY] = dialogue
    handlers.register(application)
    return application
