"""Booking conversations (bot layer): each step calls one booking service and renders the next screen."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.dialogue import booking_screens as screens
from bot.dialogue.replies import Reply
from services.booking import drafts
from services.booking import service as booking
from services.booking.errors import (
    AppointmentNotFoundError,
    AppointmentStateError,
    NoteTooLongError,
    SlotUnavailableError,
)
from services.booking.requested_day import open_times_on
from services.booking.service import NOTE_MAX_LENGTH
from services.booking.types import Slot
from services.directory.service import ProviderNotFoundError, get_provider_card
from services.directory.types import ProviderCard
from services.i18n.catalogs import Translator
from services.storage.base import utcnow
from services.storage.database import read_transaction, transaction

log = logging.getLogger(__name__)

SEARCH_DAYS = 21


class BookingFlow:
    """Provider → day → time → note → confirm, and the user's appointments; state lives in the database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @staticmethod
    def _card(session: Session, _: Translator, provider_id: str) -> ProviderCard:
        return get_provider_card(session, provider_id=provider_id, locale=_.locale)

    @staticmethod
    def _slots(session: Session, provider_id: str, now: datetime) -> list[Slot]:
        today = now.date() - timedelta(days=1)  # the provider's today may still be yesterday in UTC
        slots = booking.available_slots(session, provider_id=provider_id, start=today, days=SEARCH_DAYS, now=now)
        return [slot for slot in slots if slot.remaining > 0 and slot.starts_at > now]

    def start(
        self, _: Translator, pseudonym: str, provider_id: str, *, reschedule_of: int | None = None
    ) -> list[Reply]:
        """Begin booking at a provider: the days with free times, or the times of the day the user asked for."""
        provider_id, asked = screens.parse_book_arg(provider_id)
        now = utcnow()
        try:
            with transaction(self._sessions) as session:
                draft = drafts.start_draft(
                    session, pseudonym=pseudonym, provider_id=provider_id, now=now, reschedule_of_id=reschedule_of
                )
                card = self._card(session, _, draft.provider_id)
                slots = self._slots(session, draft.provider_id, now)
                requested = open_times_on(session, provider_id=draft.provider_id, day=asked, now=now) if asked else None
        except ProviderNotFoundError:
            return [screens.booking_gone(_)]
        if requested is None:
            return [screens.choose_day(_, card, slots)]
        if requested.refusal is None:
            return [screens.choose_time(_, card, requested.day, list(requested.slots))]
        return [screens.day_unavailable(_, card, requested.day, requested.refusal, slots)]

    def days(self, _: Translator, pseudonym: str) -> list[Reply]:
        """Back to the day picker of the booking in progress."""
        now = utcnow()
        with transaction(self._sessions) as session:
            draft = drafts.current_draft(session, pseudonym=pseudonym)
            if draft is None:
                return [screens.booking_gone(_)]
            card = self._card(session, _, draft.provider_id)
            return [screens.choose_day(_, card, self._slots(session, draft.provider_id, now))]

    def day(self, _: Translator, pseudonym: str, value: str) -> list[Reply]:
        """The free times of one day."""
        try:
            chosen = datetime.strptime(value, screens.DAY_FORMAT).date()
        except ValueError:
            return [screens.booking_gone(_)]
        return self._times(_, pseudonym, chosen)

    def _times(self, _: Translator, pseudonym: str, chosen: date) -> list[Reply]:
        now = utcnow()
        with transaction(self._sessions) as session:
            draft = drafts.current_draft(session, pseudonym=pseudonym)
            if draft is None:
                return [screens.booking_gone(_)]
            card = self._card(session, _, draft.provider_id)
            return [screens.choose_time(_, card, chosen, self._slots(session, draft.provider_id, now))]

    def time(self, _: Translator, pseudonym: str, value: str) -> list[Reply]:
        """A time is chosen: ask for a note (a new booking) or go straight to confirming (a move)."""
        starts_at = screens.parse_slot_data(value)
        if starts_at is None:
            return [screens.booking_gone(_)]
        now = utcnow()
        try:
            with transaction(self._sessions) as session:
                draft = drafts.choose_time(session, pseudonym=pseudonym, starts_at=starts_at, now=now)
                card = self._card(session, _, draft.provider_id)
        except drafts.NoDraftError:
            return [screens.booking_gone(_)]
        if draft.awaiting_note:
            return [screens.ask_note(_)]
        return [screens.confirm(_, card, starts_at, draft.note)]

    def awaits_note(self, pseudonym: str) -> bool:
        """True when the user's next text is the note of the booking in progress."""
        with read_transaction(self._sessions) as session:
            draft = drafts.current_draft(session, pseudonym=pseudonym)
        return bool(draft and draft.awaiting_note)

    def note(self, _: Translator, pseudonym: str, text: str | None) -> list[Reply]:
        """The note (or none): show everything for confirmation."""
        now = utcnow()
        try:
            with transaction(self._sessions) as session:
                draft = drafts.set_note(session, pseudonym=pseudonym, note=text, now=now)
                card = self._card(session, _, draft.provider_id)
        except NoteTooLongError:
            return [screens.note_too_long(_, NOTE_MAX_LENGTH)]
        except drafts.NoDraftError:
            return [screens.booking_gone(_)]
        if draft.starts_at is None:
            return self.days(_, pseudonym)
        return [screens.confirm(_, card, draft.starts_at, draft.note)]

    def confirm(self, _: Translator, pseudonym: str) -> list[Reply]:
        """Make the booking; a double tap shows the same booking again."""
        now = utcnow()
        try:
            with transaction(self._sessions) as session:
                appointment = drafts.confirm_draft(session, pseudonym=pseudonym, now=now)
                card = self._card(session, _, appointment.provider_id)
        except drafts.NoDraftError:
            return [screens.booking_gone(_)]
        except SlotUnavailableError as refused:
            return [screens.unavailable(_, refused.reason, refused.alternatives)]
        except AppointmentStateError:
            return [screens.appointment_unchangeable(_)]
        log.info("appointment booked")
        metrics.booked(appointment, now)
        return [screens.booked(_, card, appointment)]

    def abort(self, _: Translator, pseudonym: str) -> list[Reply]:
        """Stop booking."""
        with transaction(self._sessions) as session:
            drafts.discard_draft(session, pseudonym=pseudonym)
        return [screens.booking_abandoned(_)]

    def appointments(self, _: Translator, pseudonym: str) -> list[Reply]:
        """The user's upcoming appointments."""
        now = utcnow()
        with transaction(self._sessions) as session:
            items = [
                (appointment, self._card(session, _, appointment.provider_id))
                for appointment in booking.list_appointments(session, pseudonym=pseudonym, now=now)
            ]
        return screens.appointments(_, items)

    def _own(self, session: Session, pseudonym: str, appointment_id: int) -> booking.AppointmentView | None:
        now = utcnow()
        mine = booking.list_appointments(session, pseudonym=pseudonym, now=now)
        return next((appointment for appointment in mine if appointment.id == appointment_id), None)

    def cancel_ask(self, _: Translator, pseudonym: str, appointment_id: int) -> list[Reply]:
        """Ask before cancelling one appointment."""
        with transaction(self._sessions) as session:
            appointment = self._own(session, pseudonym, appointment_id)
            if appointment is None:
                return [screens.appointment_unchangeable(_)]
            card = self._card(session, _, appointment.provider_id)
        return [screens.cancel_confirm(_, appointment, card)]

    def cancel(self, _: Translator, pseudonym: str, appointment_id: int) -> list[Reply]:
        """Cancel one appointment (a second tap changes nothing)."""
        try:
            with transaction(self._sessions) as session:
                booking.cancel_appointment(session, pseudonym=pseudonym, appointment_id=appointment_id, now=utcnow())
        except (AppointmentNotFoundError, AppointmentStateError):
            return [screens.appointment_unchangeable(_)]
        log.info("appointment cancelled")
        return [screens.cancelled(_)]

    def move(self, _: Translator, pseudonym: str, appointment_id: int) -> list[Reply]:
        """Choose a new time for one appointment."""
        with transaction(self._sessions) as session:
            appointment = self._own(session, pseudonym, appointment_id)
        if appointment is None:
            return [screens.appointment_unchangeable(_)]
        return self.start(_, pseudonym, appointment.provider_id, reschedule_of=appointment.id)
