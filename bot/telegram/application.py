"""Build the python-telegram-bot application (bot layer): one place wires the bot, handlers and commands."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.dialogue.commands import localized_commands
from bot.dialogue.flow import Dialogue
from bot.telegram import deferred_job, flood, handlers, outbox_worker, provider_buttons, retention_job
from bot.telegram.context import DIALOGUE_KEY, RECENT_KEY, YoldoshContext
from bot.telegram.delivery import DeliveryLimiter
from bot.telegram.desk import handlers as desk_handlers
from bot.telegram.desk.worker import DeskPlace, DeskWorker
from bot.telegram.quick_exit import RecentMessages
from bot.telegram.updates import DurableUpdateQueue, PerChatUpdateProcessor, UpdateLedger
from services.config import Settings
from services.i18n.catalogs import Translator
from services.i18n.locales import SUPPORTED_LOCALES
from services.inbox.service import STALE_CLAIM_AFTER

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


# Dialogue turns (database, Rasa) run in threads; the default pool of min(32, cores + 4) would cap concurrency.
TURN_THREADS = 64


def build_application(
    settings: Settings,
    dialogue: Dialogue,
    sessions: sessionmaker[Session],
    *,
    sole_poller: bool = True,
    tracker_store: Engine | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Telegram application for these settings, talking to TELEGRAM_API_BASE_URL.

    `sole_poller` (long polling: this process is the only consumer) lets a start take back at once every update
    the previous run stored and did not finish; webhook workers share the ledger, keep each chat in order
    across workers, and take back what a dead worker left once it is stale.
    `tracker_store` is Rasa's, for the hourly retention purge (None: Rasa keeps conversations in memory).
    """
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to serve Telegram")
    assert settings.default_locale in SUPPORTED_LOCALES
    ledger = UpdateLedger(sessions, settings.pseudonym_key_bytes())
    recent = RecentMessages()
    flood_guard = flood.FloodGuard(recent=recent)
    desk = _desk(settings, sessions)
    serving: list[asyncio.Task[None]] = []

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=TURN_THREADS, thread_name_prefix="yoldosh-turn")
        )
        await _take_back_unfinished(application, ledger, untouched_for=0.0 if sole_poller else STALE_SECONDS)
        if sole_poller:
            await ledger.release_unfinished()
        await _register_commands(application, settings.default_locale)
        log.info("Telegram commands registered for %d languages", len(COMMAND_LANGUAGES))
        if desk is not None:
            serving.append(asyncio.create_task(desk.worker.serve(application.bot), name="counselor desk"))

    async def post_stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        for task in serving:
            task.cancel()
        await asyncio.gather(*serving, return_exceptions=True)
        serving.clear()

    base_url = settings.telegram_api_base_url
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(base_url)
        .base_file_url(base_url.removesuffix("/bot") + "/file/bot")
        .rate_limiter(DeliveryLimiter(overall_per_second=settings.telegram_messages_per_second))
        .update_queue(DurableUpdateQueue(ledger))
        .concurrent_updates(
            PerChatUpdateProcessor(
                ledger, settings.telegram_concurrent_updates, flood_guard, shared_ledger=not sole_poller
            )
        )
        .context_types(ContextTypes(context=YoldoshContext))
        .post_init(post_init)
        .post_stop(post_stop)
        .build()
    )
    application.bot_data[DIALOGUE_KEY] = dialogue
    application.bot_data[RECENT_KEY] = recent
    if desk is not None:
        desk_handlers.register(application, desk)  # first: the private-chat button handler takes any data
        dialogue.on_desk_work(desk.worker.wake)
    flood.register(application, flood_guard)
    provider_buttons.register(application, sessions, locale=settings.default_locale)  # before the users' buttons
    handlers.register(application)
    outbox_worker.register(application, sessions, default_locale=settings.default_locale)
    deferred_job.register(application, sessions)
    retention_job.register(
        application, sessions, tracker_store=tracker_store, retention_days=settings.data_retention_days
    )
    if not sole_poller:
        _watch_for_abandoned_updates(application, ledger)
    return application


STALE_SECONDS = STALE_CLAIM_AFTER.total_seconds()


async def _take_back_unfinished(
    application: Application[Any, Any, Any, Any, Any, Any], ledger: UpdateLedger, *, untouched_for: float
) -> None:
    """Queue again, oldest first, the stored updates a dead process never finished (already stored: not again)."""
    updates = await ledger.take_back(application.bot, untouched_for=untouched_for)
    for update in updates:
        application.update_queue.put_nowait(update)
    if updates:
        log.info("%d updates left unfinished by a stopped worker will be handled now", len(updates))


def _watch_for_abandoned_updates(application: Application[Any, Any, Any, Any, Any, Any], ledger: UpdateLedger) -> None:
    """Webhook workers: every half minute, show the updates this worker holds are alive (however slow their turn),
    and take back those another worker stored and then stopped touching (it died)."""
    assert application.job_queue is not None

    async def look(_context: Any) -> None:
        await ledger.keep_alive()
        await _take_back_unfinished(application, ledger, untouched_for=STALE_SECONDS)

    application.job_queue.run_repeating(look, interval=STALE_SECONDS / 3, first=STALE_SECONDS / 3, name="abandoned")


def _desk(settings: Settings, sessions: sessionmaker[Session]) -> desk_handlers.Desk | None:
    """The counselors' desk when COUNSELOR_CHAT_ID names their forum group."""
    if settings.counselor_chat_id is None:
        return None
    place = DeskPlace(
        chat_id=settings.counselor_chat_id,
        locale=settings.counselor_desk_locale,
        timezone=settings.counselor_desk_timezone,
    )
    return desk_handlers.Desk(sessions=sessions, place=place, worker=DeskWorker(sessions, place))
