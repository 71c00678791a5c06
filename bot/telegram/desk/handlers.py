"""The counselors' forum group (bot layer): commands, a case's buttons, and counselors' words to the user.

Only registered counselors act through the bot; everyone else in the group gets a short refusal. Every open, view,
claim, transfer, note and close is audited by the services.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import metrics
from bot.dialogue import callbacks as cb
from bot.dialogue import counselor_screens, desk_screens
from bot.dialogue.desk_vocabulary import CANNED_REPLIES, OUTCOMES
from bot.dialogue.replies import Reply
from bot.telegram.context import YoldoshContext
from bot.telegram.desk.worker import DeskPlace, DeskWorker
from bot.telegram.handlers import media_kind
from bot.telegram.rendering import telegram_messages
from services.escalation import desk
from services.escalation.counselors import NotACounselorError, require_counselor
from services.escalation.holds import HoldReasonRequiredError, place_hold
from services.escalation.models import MessageDirection
from services.escalation.service import (
    CaseAlreadyClaimedError,
    CaseClosedError,
    CaseNotFoundError,
    NotYourCaseError,
    case_queue,
    claim_case,
    close_case,
    held_case,
    record_case_message,
    transfer_case,
)
from services.escalation.types import CaseView
from services.i18n.catalogs import Translator
from services.storage.base import utcnow
from services.storage.database import transaction

log = logging.getLogger(__name__)

DESK_KEY = "desk"
REFUSALS = (
    NotACounselorError,
    NotYourCaseError,
    CaseClosedError,
    CaseNotFoundError,
    desk.NoReplyChatError,
    HoldReasonRequiredError,
)


@dataclass
class Desk:
    """What the desk handlers share: the database, the forum and the worker that feeds it."""

    sessions: sessionmaker[Session]
    place: DeskPlace
    worker: DeskWorker

    @property
    def translator(self) -> Translator:
        """The desk's language."""
        return Translator(self.place.locale)

    def run(self, work: Any, **kwargs: Any) -> Any:
        """Call one service function in its own transaction (from a worker thread)."""
        with transaction(self.sessions) as session:
            return work(session, **kwargs)


def _desk(context: YoldoshContext) -> Desk:
    found: Desk = context.application.bot_data[DESK_KEY]
    return found


def refusal_text(_: Translator, error: Exception) -> str:
    """Why the desk refused, in its language."""
    match error:
        case NotACounselorError():
            return _("Only registered counselors can use the desk.")
        case NotYourCaseError():
            return _("Only the counselor who claimed this case can do this. Tap Claim first.")
        case CaseClosedError():
            return _("This case is closed.")
        case HoldReasonRequiredError():
            return _("Write the reason after the command: /hold reason (at most 200 characters).")
        case desk.NoReplyChatError():
            return _("This message cannot reach the user: their chat is no longer known.")
        case CaseAlreadyClaimedError(case=case):
            claimer = case.claimed_by.alias if case.claimed_by else "?"
            return _("Case #{number} is already claimed by {name}.").format(number=case.id, name=claimer)
    return _("This case no longer exists.")


async def _say(context: YoldoshContext, reply: Reply, topic: int | None) -> None:
    place = _desk(context).place
    for text, markup in telegram_messages(reply):
        await context.bot.send_message(
            place.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup, message_thread_id=topic
        )


async def _to_user(context: YoldoshContext, chat_id: int, reply: Reply) -> list[int]:
    ids = []
    for text, markup in telegram_messages(reply):
        sent = await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
        ids.append(sent.message_id)
    context.recent_messages.add(chat_id, ids)  # the user's quick exit removes the counselor's messages too
    return ids


async def _refresh_card(context: YoldoshContext, case: CaseView) -> None:
    """Show the card's new state (claimed, transferred, closed) where the card is."""
    desk_ = _desk(context)
    if case.card_message_id is None:
        return
    card = await asyncio.to_thread(desk_.run, desk.case_card, case_id=case.id, locale=desk_.place.locale)
    reply = desk_screens.case_card(desk_.translator, card, timezone=desk_.place.timezone, now=utcnow())
    (text, markup), *_rest = telegram_messages(reply)
    with contextlib.suppress(TelegramError):  # unchanged or too old to edit: the topic's messages tell the rest
        await context.bot.edit_message_text(
            text, desk_.place.chat_id, case.card_message_id, parse_mode=ParseMode.HTML, reply_markup=markup
        )


# --- messages in the group ------------------------------------------------------------------------------------
async def on_desk_message(update: Update, context: YoldoshContext) -> None:
    """A message in the counselors' group: a desk command, or a counselor writing in a case's topic."""
    message, person = update.effective_message, update.effective_user
    if message is None or person is None or person.is_bot:
        return
    desk_ = _desk(context)
    _ = desk_.translator
    text = message.text or ""
    command, _sep, argument = text.partition(" ") if text.startswith("/") else ("", "", text)
    command = command.split("@")[0].lower()
    topic = message.message_thread_id if message.is_topic_message else None
    try:
        if command == "/queue":
            await asyncio.to_thread(desk_.run, require_counselor, telegram_user_id=person.id)
            cases = await asyncio.to_thread(desk_.run, case_queue)
            await _say(context, desk_screens.queue(_, cases), topic)
            return
        case = await asyncio.to_thread(desk_.run, desk.case_of_topic, topic_id=topic) if topic else None
        if case is None:
            if command:
                await _say(context, Reply(_("Use this command inside a case's topic.")), topic)
            return
        await _in_topic(context, message, person.id, case, command, argument.strip())
    except REFUSALS as error:
        await _say(context, Reply(refusal_text(_, error)), topic)


async def _in_topic(
    context: YoldoshContext, message: Message, counselor: int, case: CaseView, command: str, argument: str
) -> None:
    desk_ = _desk(context)
    _ = desk_.translator
    topic = case.topic_id
    match command:
        case "/note":
            if not argument:
                await _say(context, Reply(_("Write the note after the command: /note text")), topic)
                return
            await asyncio.to_thread(
                desk_.run,
                record_case_message,
                case_id=case.id,
                direction=MessageDirection.NOTE,
                body=argument,
                counselor_telegram_id=counselor,
            )
            await _say(context, Reply(_("Note saved. The user does not see it.")), topic)
        case "/canned":
            await asyncio.to_thread(desk_.run, require_counselor, telegram_user_id=counselor)
            await _say(context, desk_screens.canned_choice(_, case), topic)
        case "/close":
            if argument in OUTCOMES:
                await _close(context, case.id, counselor, argument)
            else:
                await asyncio.to_thread(desk_.run, require_counselor, telegram_user_id=counselor)
                await _say(context, desk_screens.outcome_choice(_, case), topic)
        case "/hold":
            await asyncio.to_thread(
                desk_.run, place_hold, case_id=case.id, counselor_telegram_id=counselor, reason=argument
            )
            await _say(
                context,
                Reply(
                    _("Case #{number} is on hold: it is kept even if the user asks to delete their data.").format(
                        number=case.id
                    )
                ),
                topic,
            )
        case "/case":
            card = await asyncio.to_thread(
                desk_.run, desk.case_card, case_id=case.id, locale=desk_.place.locale, counselor_telegram_id=counselor
            )
            await _say(context, desk_screens.case_card(_, card, timezone=desk_.place.timezone, now=utcnow()), topic)
        case "":
            await _relay_to_user(context, message, counselor, case)
        case _other:
            await _say(context, Reply(_("Desk commands: /note, /canned, /close, /case, /hold, /queue.")), topic)


async def _relay_to_user(context: YoldoshContext, message: Message, counselor: int, case: CaseView) -> None:
    """The claiming counselor's message goes to the user under the counselor's alias."""
    desk_ = _desk(context)
    kind = "text" if message.text else media_kind(message).value
    body = message.text or message.caption
    target = await asyncio.to_thread(
        desk_.run,
        desk.counselor_writes,
        case_id=case.id,
        counselor_telegram_id=counselor,
        body=body,
        content_type=kind,
    )
    user_ = Translator(target.case.locale)
    try:
        if message.text:
            await _to_user(context, target.chat_id, counselor_screens.counselor_says(user_, target.alias, message.text))
        else:
            await _to_user(context, target.chat_id, counselor_screens.counselor_sends(user_, target.alias))
            copied = await context.bot.copy_message(target.chat_id, desk_.place.chat_id, message.message_id)
            context.recent_messages.add(target.chat_id, [copied.message_id])
    except TelegramError as error:
        log.warning("counselor message not delivered: %s", type(error).__name__)
        await _say(
            context, Reply(desk_.translator("Not delivered: the user's chat refused the message.")), case.topic_id
        )


# --- buttons --------------------------------------------------------------------------------------------------
async def on_desk_button(update: Update, context: YoldoshContext) -> None:
    """Claim, Transfer, Close, an outcome or a ready reply, tapped in the counselors' group."""
    query, person = update.callback_query, update.effective_user
    assert query is not None and person is not None
    desk_ = _desk(context)
    _ = desk_.translator
    callback = cb.parse(query.data or "")
    if not callback.args or not callback.args[0].isdigit():
        with contextlib.suppress(TelegramError):
            await query.answer()
        return
    case_id = int(callback.args[0])
    notice: str | None
    try:
        match callback.action, callback.args[1:]:
            case cb.DESK_CLAIM, ():
                notice = await _claim(context, case_id, person.id)
            case cb.DESK_TRANSFER, ():
                notice = await _transfer(context, case_id, person.id)
            case cb.DESK_CLOSE, ():
                case = await asyncio.to_thread(desk_.run, held_case, case_id=case_id, counselor_telegram_id=person.id)
                await _say(context, desk_screens.outcome_choice(_, case), case.topic_id)
                notice = None
            case cb.DESK_OUTCOME, (outcome,) if outcome in OUTCOMES:
                notice = await _close(context, case_id, person.id, outcome)
            case cb.DESK_CANNED, (number,) if number.isdigit() and 1 <= int(number) <= len(CANNED_REPLIES):
                notice = await _canned(context, case_id, person.id, int(number))
            case _unknown:
                notice = None
    except (*REFUSALS, CaseAlreadyClaimedError) as error:
        notice = refusal_text(_, error)
    with contextlib.suppress(TelegramError):  # an old button's query may have expired: the action still happened
        await query.answer(notice, show_alert=notice is not None and len(notice) > 60)


async def _claim(context: YoldoshContext, case_id: int, counselor: int) -> str:
    desk_ = _desk(context)
    case = await asyncio.to_thread(desk_.run, claim_case, case_id=case_id, counselor_telegram_id=counselor)
    metrics.case_claimed(case)
    await _refresh_card(context, case)
    alias = case.claimed_by.alias if case.claimed_by else ""
    await _say(context, Reply(desk_.translator("{name} has claimed this case.").format(name=alias)), case.topic_id)
    chat_id = await asyncio.to_thread(desk_.run, desk.reply_chat, case_id=case_id)
    if chat_id is not None:
        with contextlib.suppress(TelegramError):
            await _to_user(context, chat_id, counselor_screens.counselor_joined(Translator(case.locale), alias))
    return desk_.translator("You have case #{number}.").format(number=case_id)


async def _transfer(context: YoldoshContext, case_id: int, counselor: int) -> str:
    desk_ = _desk(context)
    case = await asyncio.to_thread(desk_.run, transfer_case, case_id=case_id, counselor_telegram_id=counselor)
    await _refresh_card(context, case)
    await _say(context, desk_screens.alert(desk_.translator, case, now=utcnow()), None)
    chat_id = await asyncio.to_thread(desk_.run, desk.reply_chat, case_id=case_id)
    if chat_id is not None:
        with contextlib.suppress(TelegramError):
            await _to_user(context, chat_id, counselor_screens.counselor_handed_over(Translator(case.locale)))
    return desk_.translator("Case #{number} is back in the queue.").format(number=case_id)


def _close_and_forget(session: Session, *, case_id: int, counselor: int, outcome: str) -> tuple[CaseView, int | None]:
    chat_id = desk.reply_chat(session, case_id=case_id)
    return close_case(session, case_id=case_id, counselor_telegram_id=counselor, outcome=outcome), chat_id


async def _close(context: YoldoshContext, case_id: int, counselor: int, outcome: str) -> str:
    desk_ = _desk(context)
    case, chat_id = await asyncio.to_thread(
        desk_.run, _close_and_forget, case_id=case_id, counselor=counselor, outcome=outcome
    )
    await _refresh_card(context, case)
    _ = desk_.translator
    await _say(
        context,
        Reply(_("Case #{number} closed: {outcome}.").format(number=case_id, outcome=_(OUTCOMES[outcome]))),
        case.topic_id,
    )
    if case.topic_id is not None:
        with contextlib.suppress(TelegramError):
            await context.bot.close_forum_topic(desk_.place.chat_id, case.topic_id)
    if chat_id is not None:
        with contextlib.suppress(TelegramError):
            await _to_user(context, chat_id, counselor_screens.case_closed(Translator(case.locale)))
    return _("Case #{number} closed.").format(number=case_id)


async def _canned(context: YoldoshContext, case_id: int, counselor: int, number: int) -> str:
    desk_ = _desk(context)
    case = await asyncio.to_thread(desk_.run, held_case, case_id=case_id, counselor_telegram_id=counselor)
    text = Translator(case.locale)(CANNED_REPLIES[number - 1])
    target = await asyncio.to_thread(
        desk_.run, desk.counselor_writes, case_id=case_id, counselor_telegram_id=counselor, body=text
    )
    await _to_user(
        context, target.chat_id, counselor_screens.counselor_says(Translator(case.locale), target.alias, text)
    )
    await _say(context, Reply(f"💬 {target.alias}: {text}"), case.topic_id)
    return desk_.translator("Sent.")


def register(application: Application[Any, Any, Any, Any, Any, Any], desk_: Desk) -> None:
    """Attach the desk's handlers (before the private-chat ones) for the counselors' group only."""
    application.bot_data[DESK_KEY] = desk_
    group = filters.Chat(desk_.place.chat_id) & ~filters.UpdateType.EDITED & ~filters.StatusUpdate.ALL
    application.add_handler(MessageHandler(group, on_desk_message))
    application.add_handler(CallbackQueryHandler(on_desk_button, pattern=rf"^{cb.DESK_PREFIX}[a-z]\|"))
