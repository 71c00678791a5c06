"""The conversation engine (bot layer): first contact, consent, menu and directory browsing for any channel."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.dialogue import booking_screens, counselor_screens, flood_screens, nearby_screens, privacy_screens, screens
from bot.dialogue import callbacks as cb
from bot.dialogue import support_screens as support
from bot.dialogue.booking_flow import BookingFlow
from bot.dialogue.listing import Listing, parse_listing
from bot.dialogue.media_screens import MediaKind, media_answer
from bot.dialogue.payloads import PayloadTokens
from bot.dialogue.replies import Reply, rows
from bot.rasa.client import NluUnavailableError, RasaClient
from services.content.schema import COUNTRY_CODES
from services.deferred import service as deferred
from services.deferred.service import WaitingQuestion
from services.directory.categories import CATEGORY_CODES
from services.directory.nearby import find_nearest_providers
from services.directory.service import ProviderNotFoundError, find_providers, get_provider_card
from services.escalation import hours
from services.escalation.intake import IncomingMessage, escalate, pass_on
from services.escalation.models import CasePriority
from services.escalation.service import active_case
from services.escalation.types import CaseView
from services.i18n.catalogs import Translator
from services.i18n.locales import SUPPORTED_LOCALES, match_locale
from services.privacy.erasure import erase_everywhere
from services.privacy.export import export_user_data
from services.safety.scanner import scan_message
from services.safety.types import SafetyAssessment
from services.storage.base import utcnow
from services.storage.database import read_transaction, transaction
from services.trail import service as trail
from services.users import service as users
from services.users.pseudonyms import pseudonym_for
from services.users.types import UserView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sender:
    """Who wrote, as the channel knows them; turned into a pseudonym before anything is stored."""

    channel: str
    external_id: str | int
    chat_id: int | None = None
    language_code: str | None = None


def _is_bare_command(text: str) -> bool:
    """A slash command with nothing after it carries no words of the user's own for the safety net."""
    words = text.split()
    return len(words) == 1 and words[0].startswith("/") and words[0][1:].replace("@", "").replace("_", "").isalnum()


BOOKING_ACTIONS = frozenset(
    {
        cb.BOOK,
        cb.BOOK_DAYS,
        cb.BOOK_DAY,
        cb.BOOK_TIME,
        cb.BOOK_SKIP_NOTE,
        cb.BOOK_CONFIRM,
        cb.BOOK_ABORT,
        cb.APPOINTMENTS,
        cb.APPOINTMENT_CANCEL,
        cb.APPOINTMENT_CANCEL_YES,
        cb.APPOINTMENT_MOVE,
    }
)


class Dialogue:
    """Answers a sender's /start, button presses and text with replies, backed by the services."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        secret_key: bytes,
        default_locale: str,
        retention_days: int,
        nlu: RasaClient | None = None,
        counselors_connected: bool = False,
        tracker_store: Engine | None = None,
    ) -> None:
        self._sessions = sessions
        self._tracker_store = tracker_store  # Rasa's conversations, for /my_data and erasure (None: in memory)
        self._counselors_connected = counselors_connected
        self._wake_desk: Callable[[], None] = lambda: None
        self._nlu = nlu
        self._payloads = PayloadTokens()
        self._secret_key = secret_key
        self._default_locale = default_locale
        self._retention_days = retention_days
        self._booking = BookingFlow(sessions)

    def on_desk_work(self, wake: Callable[[], None]) -> None:
        """Call `wake` (from any thread) whenever something waits for the counselors' desk."""
        self._wake_desk = wake

    def _pseudonym(self, sender: Sender) -> str:
        return pseudonym_for(self._secret_key, channel=sender.channel, external_id=sender.external_id)

    def _user(self, sender: Sender) -> UserView | None:
        with read_transaction(self._sessions) as session:
            return users.find_user(session, pseudonym=self._pseudonym(sender))

    def _user_and_case(self, sender: Sender) -> tuple[UserView | None, CaseView | None]:
        """The sender and their open case, if the desk is connected, in one read."""
        with read_transaction(self._sessions) as session:
            user = users.find_user(session, pseudonym=self._pseudonym(sender))
            if user is None or not self._counselors_connected:
                return user, None
            return user, active_case(session, pseudonym=user.pseudonym)

    def _translator(self, sender: Sender, user: UserView | None) -> Translator:
        locale = (user.locale if user else None) or match_locale(sender.language_code) or self._default_locale
        return Translator(locale)

    def start(self, sender: Sender, user: UserView | None = None) -> list[Reply]:
        """First contact (or /start again): welcome and the language picker."""
        user = user or self._user(sender)
        _ = self._translator(sender, user)
        preselected = (user.locale if user else None) or match_locale(sender.language_code)
        return [screens.language_picker(_, preselected)]

    @metrics.turn("button")
    def press(self, sender: Sender, data: str) -> list[Reply]:
        """A tapped button; stale or unknown buttons get the menu, never an error."""
        data = self._payloads.resolve(data) or data
        callback = cb.parse(data)
        user = self._user(sender)
        if data.startswith("/") and user is not None and user.has_consented:
            return self._converse(user, data, sender)
        _ = self._translator(sender, user)
        match callback.action, callback.args:
            case cb.LANGUAGE, _args:
                return self._choose_language(sender, user, callback.args)
            case cb.QUICK_EXIT, ():
                return [support.quick_exit_line(_)]
            case cb.EMERGENCY, ():
                return [support.emergency(_, user.country_code if user else None)]
        consented = bool(user and user.has_consented)
        if user is None:
            return self.start(sender)
        match callback.action, callback.args:
            case cb.SHOW_CONSENT, ():
                return [screens.consent(_, self._retention_days)]
            case cb.CONSENT_ACCEPT, ():
                return self._accept(sender, _)
            case cb.CONSENT_DECLINE, ():
                with transaction(self._sessions) as session:
                    users.decline_consent(session, pseudonym=user.pseudonym)
                return [screens.consent_declined(_)]
            case cb.MENU, ():
                return [screens.main_menu(_, consented=consented)]
            case cb.SERVICES, ():
                return [screens.categories(_)]
            case cb.CHANGE_LANGUAGE, ():
                return [screens.language_picker(_, user.locale)]
            case cb.PRIVACY, ():
                return [support.with_quick_exit(_, screens.privacy(_, self._retention_days, consented=consented))]
            case cb.DELETE_ASK, ():
                return [support.with_quick_exit(_, screens.delete_confirm(_))]
            case cb.COUNSELOR, ():
                return self._request_counselor(sender, user, _, "request")
            case cb.COUNSELOR, (cb.MISUNDERSTOOD,):
                return self._request_counselor(sender, user, _, "misunderstanding")
            case cb.MAP, (provider_id,):
                return self._on_map(_, provider_id, consented=consented)
            case cb.BOOK_START, ():
                return [booking_screens.book_start(_)]
        if callback.action in BOOKING_ACTIONS:
            return self._book(_, user, callback) if consented else [screens.needs_consent(_)]
        match callback.action, callback.args:
            case cb.NEARBY, (category, latitude, longitude) if category in CATEGORY_CODES:
                return self._nearby(_, latitude, longitude, category)
            case cb.DELETE_CONFIRM, ():
                return self._delete(sender, _)
            case cb.CATEGORY, (category,) if category in CATEGORY_CODES:
                if user.country_code:
                    return self._providers(_, user, Listing(category, user.country_code), 0)
                return [screens.countries(_, category)]
            case cb.CHANGE_COUNTRY, (category,) if category in CATEGORY_CODES:
                return [screens.countries(_, category)]
            case cb.COUNTRY, (category, country) if category in CATEGORY_CODES and country in COUNTRY_CODES:
                return self._providers(_, user, Listing(category, country), 0)
            case cb.PAGE, args if (page := parse_listing(args)) is not None:
                return self._providers(_, user, *page)
        return [screens.expired_button(_, consented=consented)]

    @metrics.turn("text")
    def say(self, sender: Sender, text: str) -> list[Reply]:
        """A text message or command; the safety net reads it before anything else does."""
        user, case = self._user_and_case(sender)
        command = text.strip().split(maxsplit=1)[0].split("@")[0].lower() if text.strip().startswith("/") else None
        with metrics.stage("safety"):
            assessment = None if _is_bare_command(text) else scan_message(text, lang=user.locale if user else None)
        if assessment is not None and assessment.is_urgent:
            return self._urgent_help(sender, user, assessment, IncomingMessage("text", text))
        if case is not None and command is None:
            return self._pass_on(case, IncomingMessage("text", text))
        if command == "/exit":
            return [support.quick_exit_line(self._translator(sender, user))]
        if command == "/start" or command == "/language" or user is None or user.locale is None:
            return self.start(sender, user)
        _ = self._translator(sender, user)
        consented = user.has_consented
        match command:
            case "/help":
                return [screens.main_menu(_, consented=consented)]
            case "/services":
                return [screens.categories(_)]
            case "/privacy":
                return [support.with_quick_exit(_, screens.privacy(_, self._retention_days, consented=consented))]
            case "/delete_my_data":
                return [support.with_quick_exit(_, screens.delete_confirm(_))]
            case "/my_data":
                return self._my_data(user, _)
            case "/book":
                return [booking_screens.book_start(_)]
            case "/appointments":
                return self._booking.appointments(_, user.pseudonym) if consented else [screens.needs_consent(_)]
            case "/counselor":
                return self._request_counselor(sender, user, _, "request")
            case None:
                pass
            case _unknown:
                return [screens.unknown_command(_, consented=consented)]
        if not consented:
            return [screens.needs_consent(_)]
        if command is None and self._booking.awaits_note(user.pseudonym):
            return self._booking.note(_, user.pseudonym, text)
        replies = self._converse(user, text, sender)
        if assessment is not None and assessment.is_sensitive and self._counselors_connected:
            replies.append(counselor_screens.offer_counselor(_))
        return replies

    def _converse(self, user: UserView, text: str, sender: Sender) -> list[Reply]:
        """Free text goes to Rasa under the user's pseudonym; if Rasa cannot answer, the menu still works and the
        text is kept to be answered once Rasa is back (channels that can write later: those with a chat)."""
        _ = Translator(user.locale or self._default_locale)
        if self._nlu is None:
            return [screens.free_text_fallback(_, consented=True)]
        replies = self._ask_nlu(user, text, sender)
        if replies is not None:
            return replies
        kept = sender.chat_id is not None and self._defer(user, text)
        return [screens.nlu_unavailable(_, kept=kept)]

    def _ask_nlu(self, user: UserView, text: str, sender: Sender) -> list[Reply] | None:
        """Rasa's answer as replies (a case opened when it asks for one); None when Rasa cannot answer now."""
        assert self._nlu is not None
        _ = Translator(user.locale or self._default_locale)
        metadata = {"locale": _.locale, "country": user.country_code}
        try:
            with metrics.stage("rasa"):
                messages = self._nlu.converse(sender=user.pseudonym, text=text, metadata=metadata)
        except NluUnavailableError:
            metrics.RASA_ERRORS.inc()
            return None
        replies = [
            Reply(message.text, rows(*(self._payloads.button(b.title, b.payload) for b in message.buttons), per_row=2))
            for message in messages
            if message.text or message.buttons
        ]
        for message in messages:
            if message.escalation == "urgent" and self._counselors_connected:
                replies.extend(
                    self._open_urgent_case(sender, user, _, "crisis_intent", None, IncomingMessage("text", text))
                )
            elif message.escalation == "request":
                replies.extend(self._request_counselor(sender, user, _, "request"))
        return replies or [screens.free_text_fallback(_, consented=True)]

    def _defer(self, user: UserView, text: str) -> bool:
        with transaction(self._sessions) as session:
            return deferred.defer_question(session, pseudonym=user.pseudonym, text=text)

    def answer_deferred(self, question: WaitingQuestion) -> list[Reply] | None:
        """The late answer to a question kept while Rasa was away, after a line saying so; None while Rasa still
        cannot answer; no replies when the person has gone or is talking with a counselor now (Rasa is paused)."""
        if self._nlu is None:
            return None
        sender = Sender(channel="telegram", external_id=question.chat_id, chat_id=question.chat_id)
        with read_transaction(self._sessions) as session:
            user = users.find_user(session, pseudonym=question.pseudonym)
            case = active_case(session, pseudonym=question.pseudonym) if user and self._counselors_connected else None
        if user is None or case is not None or not user.has_consented:
            return []
        replies = self._ask_nlu(user, question.text, sender)
        if replies is None:
            return None
        return [screens.late_answer(Translator(user.locale or self._default_locale)), *replies]

    @metrics.turn("media")
    def media(self, sender: Sender, kind: MediaKind, caption: str = "", message_id: int | None = None) -> list[Reply]:
        """A voice note, picture, file, sticker or contact: a kind answer (or to the counselor during a case);
        a caption passes the safety net first."""
        user, case = self._user_and_case(sender)
        incoming = IncomingMessage(kind.value, caption or None, message_id)
        with metrics.stage("safety"):
            assessment = scan_message(caption, lang=user.locale if user else None) if caption else None
        if assessment is not None and assessment.is_urgent:
            return self._urgent_help(sender, user, assessment, incoming)
        if case is not None:
            return self._pass_on(case, incoming)
        if user is None or user.locale is None:
            return self.start(sender, user)
        return [media_answer(self._translator(sender, user), kind, consented=user.has_consented)]

    @metrics.turn("location")
    def location(self, sender: Sender, latitude: float, longitude: float, message_id: int | None = None) -> list[Reply]:
        """A shared location: the nearest services, any kind; the location itself is not stored (during a case the
        counselor sees it instead)."""
        user, case = self._user_and_case(sender)
        if case is not None and message_id is not None:
            return self._pass_on(case, IncomingMessage("location", None, message_id))
        if user is None or user.locale is None:
            return self.start(sender, user)
        return self._nearby(self._translator(sender, user), str(latitude), str(longitude), None)

    def remember_messages(self, sender: Sender, message_ids: list[int]) -> bool:
        """Store recent message ids for the quick exit; False when the sender has not consented (nothing stored)."""
        with transaction(self._sessions) as session:
            return trail.remember_messages(session, pseudonym=self._pseudonym(sender), message_ids=message_ids)

    def take_recent_messages(self, sender: Sender) -> list[int]:
        """The stored recent message ids of this sender, forgotten as they are returned."""
        with transaction(self._sessions) as session:
            return trail.take_recent_messages(session, pseudonym=self._pseudonym(sender))

    def _urgent_help(
        self, sender: Sender, user: UserView | None, assessment: SafetyAssessment, incoming: IncomingMessage
    ) -> list[Reply]:
        """Emergency numbers at once when the safety net finds danger, whatever else is going on; the counselors
        are alerted with the message."""
        log.info("safety net: urgent message")
        _ = self._translator(sender, user)
        replies = [support.emergency(_, user.country_code if user else None)]
        category = assessment.urgent_categories[0].value if assessment.urgent_categories else None
        if self._counselors_connected:
            replies.extend(self._open_urgent_case(sender, user, _, "safety_net", category, incoming))
        if user is None or user.locale is None:
            replies.extend(self.start(sender, user))
        return replies

    def _pass_on(self, case: CaseView, incoming: IncomingMessage) -> list[Reply]:
        """During a case the user's messages go to the counselors, not to the bot: no answer of its own."""
        with transaction(self._sessions) as session:
            pass_on(session, case_id=case.id, message=incoming)
        self._wake_desk()
        return []

    def _open_urgent_case(
        self,
        sender: Sender,
        user: UserView | None,
        _: Translator,
        trigger: str,
        category: str | None,
        incoming: IncomingMessage,
    ) -> list[Reply]:
        country = user.country_code if user else None
        with transaction(self._sessions) as session:
            outcome = escalate(
                session,
                pseudonym=self._pseudonym(sender),
                priority=CasePriority.URGENT,
                trigger=trigger,
                category=category,
                locale=_.locale,
                reply_chat_id=sender.chat_id,
                message=incoming,
            )
        metrics.case_opened(outcome)
        self._wake_desk()
        return [counselor_screens.counselor_alerted(_, on_duty=hours.desk_is_open(country, utcnow()))]

    def _request_counselor(self, sender: Sender, user: UserView, _: Translator, trigger: str) -> list[Reply]:
        """The user asked for a person: a case opens and the desk is alerted (or, with no desk, honest numbers)."""
        if not self._counselors_connected:
            return [support.counselor_not_connected(_, user.country_code)]
        if not user.has_consented:  # a case keeps what they write; danger alone opens one without consent
            return [screens.needs_consent(_)]
        with transaction(self._sessions) as session:
            outcome = escalate(
                session,
                pseudonym=user.pseudonym,
                priority=CasePriority.NORMAL,
                trigger=trigger,
                locale=_.locale,
                reply_chat_id=sender.chat_id,
            )
        if not outcome.opened:
            return [counselor_screens.already_with_counselor(_)]
        metrics.case_opened(outcome)
        self._wake_desk()
        now = utcnow()
        return [
            counselor_screens.counselor_requested(
                _,
                on_duty=hours.desk_is_open(user.country_code, now),
                next_opening=hours.next_opening(user.country_code, now),
                country=user.country_code,
            )
        ]

    def _book(self, _: Translator, user: UserView, callback: cb.Callback) -> list[Reply]:
        """A booking button (the user has consented)."""
        flow, pseudonym = self._booking, user.pseudonym
        match callback.action, callback.args:
            case cb.BOOK, (provider_id,):
                return flow.start(_, pseudonym, provider_id)
            case cb.BOOK_DAYS, ():
                return flow.days(_, pseudonym)
            case cb.BOOK_DAY, (day,):
                return flow.day(_, pseudonym, day)
            case cb.BOOK_TIME, (slot,):
                return flow.time(_, pseudonym, slot)
            case cb.BOOK_SKIP_NOTE, ():
                return flow.note(_, pseudonym, None)
            case cb.BOOK_CONFIRM, ():
                return flow.confirm(_, pseudonym)
            case cb.BOOK_ABORT, ():
                return flow.abort(_, pseudonym)
            case cb.APPOINTMENTS, ():
                return flow.appointments(_, pseudonym)
            case cb.APPOINTMENT_CANCEL, (number,) if number.isdigit():
                return flow.cancel_ask(_, pseudonym, int(number))
            case cb.APPOINTMENT_CANCEL_YES, (number,) if number.isdigit():
                return flow.cancel(_, pseudonym, int(number))
            case cb.APPOINTMENT_MOVE, (number,) if number.isdigit():
                return flow.move(_, pseudonym, int(number))
        return [screens.expired_button(_, consented=True)]

    def _on_map(self, _: Translator, provider_id: str, *, consented: bool) -> list[Reply]:
        try:
            with transaction(self._sessions) as session:
                card = get_provider_card(session, provider_id=provider_id, locale=_.locale)
        except ProviderNotFoundError:
            return [screens.expired_button(_, consented=consented)]
        return [nearby_screens.on_map(_, card)]

    def _nearby(self, _: Translator, latitude: str, longitude: str, category: str | None) -> list[Reply]:
        try:
            lat, lon = float(latitude), float(longitude)
        except ValueError:
            return [screens.expired_button(_, consented=False)]
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return [screens.expired_button(_, consented=False)]
        with transaction(self._sessions) as session:
            results = find_nearest_providers(session, locale=_.locale, latitude=lat, longitude=lon, category=category)
        return nearby_screens.nearby(_, results, lat, lon)

    def apology(self, sender: Sender) -> list[Reply]:
        """Something failed while handling this sender's update; works even when the database does not."""
        try:
            user = self._user(sender)
        except SQLAlchemyError:
            user = None
        return [screens.apology(self._translator(sender, user))]

    def slow_down(self, sender: Sender) -> list[Reply]:
        """The sender writes faster than they can be answered: one calm request to pause, in their language."""
        return [flood_screens.slow_down(self._translator(sender, self._user(sender)))]

    def _choose_language(self, sender: Sender, user: UserView | None, args: tuple[str, ...]) -> list[Reply]:
        if len(args) != 1 or args[0] not in SUPPORTED_LOCALES:
            return self.start(sender)
        with transaction(self._sessions) as session:
            user = users.choose_locale(session, pseudonym=self._pseudonym(sender), locale=args[0])
        _ = Translator(args[0])
        if user.has_consented:
            return [screens.main_menu(_, consented=True)]
        return [screens.consent(_, self._retention_days)]

    def _accept(self, sender: Sender, _: Translator) -> list[Reply]:
        with transaction(self._sessions) as session:
            users.give_consent(session, pseudonym=self._pseudonym(sender), chat_id=sender.chat_id)
        return [screens.main_menu(_, consented=True)]

    def _delete(self, sender: Sender, _: Translator) -> list[Reply]:
        """Erase everywhere (cases under a hold stay anonymised), then clear the chat where Telegram still allows."""
        pseudonym = self._pseudonym(sender)
        receipt = erase_everywhere(self._sessions, tracker_store=self._tracker_store, pseudonym=pseudonym)
        log.info("user data erased on request" if receipt.found else "erase requested with nothing stored")
        return [privacy_screens.erased(_, receipt)]

    def _my_data(self, user: UserView, _: Translator) -> list[Reply]:
        """The user's copy of everything stored about them, as a file."""
        with read_transaction(self._sessions) as session:
            export = export_user_data(session, pseudonym=user.pseudonym, tracker_store=self._tracker_store)
        return [privacy_screens.my_data(_, export) if export else screens.nothing_to_delete(_)]

    def _providers(self, _: Translator, user: UserView, listing: Listing, offset: int) -> list[Reply]:
        with transaction(self._sessions) as session:
            if user.has_consented and user.country_code != listing.country:
                users.choose_country(session, pseudonym=user.pseudonym, country_code=listing.country)
            page = find_providers(
                session,
                locale=_.locale,
                category=listing.category,
                country_code=listing.country,
                city_code=listing.city,
                filters=listing.filters,
                limit=screens.PAGE_SIZE,
                offset=offset,
            )
        return screens.provider_page(_, page, listing.category, listing.country, listing.city)
