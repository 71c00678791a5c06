"""The scale-out topology with real processes: one action server, two Rasa servers on one PostgreSQL tracker store
and one Redis lock store, two `serve-bot --webhook` workers (each on its own Rasa) on one PostgreSQL database.

500 messages from 100 users (after their consent) are POSTed to worker A or B at random, each user's next one only
once the previous POST was answered 200, as Telegram delivers; many users at once. Every message is answered
exactly once, in order, and reminders falling due meanwhile go out once each across the two workers.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot.processes import running_server
from services.booking import service as booking
from services.booking.notifications import PROVIDER_ATTENDANCE, PROVIDER_BOOKED, REMINDER
from services.inbox.models import InboundUpdate, PendingUpdate, UpdateState
from services.outbox.models import OutboxMessage, OutboxStatus
from services.storage.database import create_database_engine, session_factory, transaction
from services.users.pseudonyms import pseudonym_for
from tests.booking_factories import load_providers, provider_entry
from tests.conftest import key_ring_for, scratch_postgres_url
from tests.telegram_standin import TelegramUser
from tests.topology import (
    SECRET,
    WebhookStandIn,
    Worker,
    action_server_spec,
    clear_redis_locks,
    deliver,
    free_port,
    prepare,
    redis_lock_clients,
    redis_lock_keys,
    running_bot_workers,
    running_rasa_replicas,
)

pytestmark = [pytest.mark.rasa, pytest.mark.postgres]

USERS = 100
# Three go to Rasa (one reply each), two are answered by the bot itself: the reply texts tell the order.
MESSAGES = ("hello", "/help", "are you a bot?", "/privacy", "thank you")
REMINDED = range(0, USERS, 5)  # every fifth user has an appointment whose two reminders fall due during the test
CLINIC = "uz-topology-clinic"
PROVIDER_CHAT = -1009876543210
# At most this many users are in a conversation at once (a user's slot frees once all their answers are in), and
# users think between messages: two Rasa replicas sharing two busy cores then answer within the bot's 5 s Rasa
# timeout (a later answer would be the "kept your message" text, then the late answer; bench.topology measures
# about 10 turns/s with 16 turns in flight).
CONCURRENT_USERS = 16
THINK_SECONDS = (0.3, 1.5)
SEED = 20261129
FIRST_USER = 8_100_000_000


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A scratch PostgreSQL database of this module's own."""
    yield from scratch_postgres_url()


@pytest.fixture
def api() -> Iterator[WebhookStandIn]:
    """The Bot API stand-in; updates go to the workers' webhooks, not through it."""
    standin = WebhookStandIn()
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def redis_locks() -> Iterator[None]:
    """Rasa's lock keys in the topology's Redis database, none left before or after."""
    try:
        clear_redis_locks()
    except (OSError, subprocess.CalledProcessError) as error:  # redis-cli missing or Redis down
        pytest.skip(f"Redis not available: {error}")
    yield
    clear_redis_locks()


class Chats:
    """What the bot has sent to each chat (sendMessage texts, oldest first), refreshed by one task for all users."""

    def __init__(self, api: WebhookStandIn) -> None:
        self._api = api
        self.texts: dict[int, list[str]] = {}

    def refresh(self) -> None:
        texts: dict[int, list[str]] = {}
        for call in self._api.calls_to("sendMessage"):
            texts.setdefault(int(call.params["chat_id"]), []).append(str(call.params.get("text", "")))
        self.texts = texts

    async def keep_fresh(self) -> None:
        while True:
            self.refresh()
            await asyncio.sleep(0.25)

    async def until(self, chat: int, count: int, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.texts.get(chat, [])) < count:
            assert time.monotonic() < deadline, f"chat {chat}: {len(self.texts.get(chat, []))} of {count} replies"
            await asyncio.sleep(0.25)
        return self.texts[chat]


def _update(api: WebhookStandIn, update_id: int) -> dict[str, Any]:
    with api._lock:
        return api.taken.pop(update_id)


async def _consent(
    api: WebhookStandIn, chats: Chats, client: httpx.AsyncClient, user: TelegramUser, pick: Any, count: int = 3
) -> int:
    """/start, English, I agree; each tap once its button is there; waits for `count` messages from the bot."""
    await deliver(client, pick(), _update(api, user.says("/start")))
    for button in ("lang|en", "consent:yes"):
        deadline = time.monotonic() + 120
        while not any(button in str(message.get("reply_markup", "")) for message in api.messages_in(user.user_id)):
            assert time.monotonic() < deadline, f"user {user.user_id}: no {button} button"
            await asyncio.sleep(0.25)
        await deliver(client, pick(), _update(api, user.taps(button)))
    return len(await chats.until(user.user_id, count, timeout=120))


def _engine(database_url: str) -> Engine:
    return create_database_engine(database_url, key_ring=key_ring_for(SECRET.encode()))


def _book_appointments(sessions: sessionmaker[Session], user_ids: list[int], due_from: datetime) -> set[int]:
    """Book each user at the clinic three days ahead; their reminders fall due one every second from `due_from`."""
    now = datetime.now(UTC)
    day = (now + timedelta(days=3)).astimezone(ZoneInfo("Asia/Tashkent")).date()
    starts_at = datetime(day.year, day.month, day.day, 10, 0, tzinfo=ZoneInfo("Asia/Tashkent")).astimezone(UTC)
    with transaction(sessions) as session:
        every_day = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "09:00-12:00")
        load_providers(
            session,
            provider_entry(CLINIC, hours=every_day, capacity=len(user_ids), telegram_chat_id=PROVIDER_CHAT),
            holidays={},
        )
    appointments = set()
    for user_id in user_ids:
        with transaction(sessions) as session:
            view = booking.book_slot(
                session,
                pseudonym=pseudonym_for(SECRET.encode(), channel="telegram", external_id=user_id),
                provider_id=CLINIC,
                starts_at=starts_at,
                note=None,
                idempotency_key=f"topology:{user_id}",
                now=now,
            )
            appointments.add(view.id)
    with transaction(sessions) as session:
        reminders = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == REMINDER).order_by(OutboxMessage.id)
        ).all()
        assert len(reminders) == 2 * len(user_ids), "a 24-hour and a 2-hour reminder each"
        for index, reminder in enumerate(reminders):
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == reminder.id)
                .values(due_at=due_from + timedelta(seconds=index))
            )
    return appointments


async def _converse(
    api: WebhookStandIn,
    chats: Chats,
    client: httpx.AsyncClient,
    user: TelegramUser,
    workers: list[Worker],
    rng: random.Random,
    slots: asyncio.Semaphore,
    answers: int,
) -> Counter[str]:
    """The user's messages, each to a worker picked at random, the next once the previous POST is answered (not
    its reply: the workers keep the order); the user's slot is free again once `answers` messages are in."""
    used: Counter[str] = Counter()
    async with slots:
        for message in MESSAGES:
            worker = rng.choice(workers)
            used[worker.name] += 1
            await deliver(client, worker, _update(api, user.says(message)))
            await asyncio.sleep(rng.uniform(*THINK_SECONDS))
        await chats.until(user.user_id, answers, timeout=300)
    return used


def _is_notice(message: str) -> bool:
    return f"Clinic {CLINIC}" in message


async def test_two_rasa_servers_and_two_webhook_workers_answer_every_message_once_in_order(
    model: Path, database_url: str, api: WebhookStandIn, redis_locks: None, tmp_path: Path
) -> None:
    started = time.monotonic()
    api.add_supergroup(PROVIDER_CHAT, title="Clinic staff", is_forum=False)
    prepare(database_url, tmp_path / "prepare.log")
    actions_port = free_port()
    with (
        running_server(action_server_spec(database_url, actions_port, tmp_path / "actions.log")),
        running_rasa_replicas(
            model, database_url=database_url, actions_port=actions_port, replicas=2, logs=tmp_path
        ) as rasa,
        running_bot_workers(
            2, database_url=database_url, api=api, rasa_urls=[url for url, _pid in rasa], logs=tmp_path
        ) as workers,
    ):
        up = time.monotonic()
        rng = random.Random(SEED)
        chats = Chats(api)
        refresher = asyncio.create_task(chats.keep_fresh())
        users = [TelegramUser(api, user_id=FIRST_USER + n, language_code="en") for n in range(USERS)]
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=200)) as client:
            try:
                # The reference: one user alone, each message answered before the next, tells the expected replies.
                reference = TelegramUser(api, user_id=FIRST_USER - 1, language_code="en")
                await _consent(api, chats, client, reference, lambda: workers[0])
                await asyncio.sleep(2.0)
                chats.refresh()
                consent_count = len(chats.texts[reference.user_id])
                expected: list[str] = []
                for index, message in enumerate(MESSAGES):
                    await deliver(client, workers[index % 2], _update(api, reference.says(message)))
                    await chats.until(reference.user_id, consent_count + len(expected) + 1, timeout=60)
                    await asyncio.sleep(2.0)  # nothing more comes for this message
                    chats.refresh()
                    expected = chats.texts[reference.user_id][consent_count:]
                assert len(expected) == len(MESSAGES), f"one reply per message expected, got {expected}"
                assert len(set(expected)) == len(expected), "each message has its own reply"

                consents = await asyncio.gather(
                    *(_consent(api, chats, client, user, lambda: rng.choice(workers), consent_count) for user in users)
                )
                assert set(consents) == {consent_count}
                consented = time.monotonic()

                engine = _engine(database_url)
                sessions = session_factory(engine)
                reminded = [users[n].user_id for n in REMINDED]
                due_from = datetime.now(UTC) + timedelta(seconds=5)
                appointments = await asyncio.to_thread(_book_appointments, sessions, reminded, due_from)

                slots = asyncio.Semaphore(CONCURRENT_USERS)
                answers = consent_count + len(MESSAGES)
                spread = await asyncio.gather(
                    *(_converse(api, chats, client, user, workers, rng, slots, answers) for user in users)
                )
                posted = time.monotonic()
                deadline = time.monotonic() + 120
                while chats.texts.get(PROVIDER_CHAT, []).__len__() < len(reminded) or sum(
                    sum(map(_is_notice, chats.texts.get(chat, []))) for chat in reminded
                ) < 2 * len(reminded):
                    assert time.monotonic() < deadline, "reminders or provider notices missing"
                    await asyncio.sleep(0.5)
                await asyncio.sleep(3.0)  # anything sent twice would show by now
                chats.refresh()
            finally:
                refresher.cancel()
        answered = time.monotonic()

        # Every message answered exactly once, in the user's order, whichever worker and Rasa took it.
        for user in users:
            texts = [message for message in chats.texts[user.user_id][consent_count:] if not _is_notice(message)]
            assert texts == expected, f"user {user.user_id}: {texts}"
        # Each reminder once: two per reminded user; one booking notice per appointment in the clinic's chat.
        for chat in reminded:
            assert sum(map(_is_notice, chats.texts[chat])) == 2, f"user {chat}: reminders {chats.texts[chat]}"
        assert len(chats.texts[PROVIDER_CHAT]) == len(reminded)
        with sessions() as session:
            rows = session.execute(select(OutboxMessage.kind, OutboxMessage.status, OutboxMessage.attempts)).all()
            claimers = session.scalars(select(OutboxMessage.claimed_by).distinct()).all()
            states = Counter(session.scalars(select(InboundUpdate.state)).all())
            pending = session.scalar(select(func.count()).select_from(PendingUpdate))
            per_sender = session.execute(
                text("SELECT sender_id, count(*) FROM events WHERE type_name = 'user' GROUP BY sender_id")
            ).all()
        engine.dispose()
        kinds = Counter(kind for kind, _status, _attempts in rows)
        assert kinds[REMINDER] == 2 * len(reminded) and kinds[PROVIDER_BOOKED] == len(appointments)
        delivered = {(status, attempts) for kind, status, attempts in rows if kind in (REMINDER, PROVIDER_BOOKED)}
        assert delivered == {(OutboxStatus.SENT, 1)}, "each claimed once and sent"
        assert {status for kind, status, _attempts in rows if kind == PROVIDER_ATTENDANCE} == {OutboxStatus.PENDING}
        # The ledger: every update handled, none left waiting.
        assert states == {UpdateState.DONE: (USERS + 1) * (3 + len(MESSAGES))}, states
        assert pending == 0
        # Rasa: both replicas' turns in the one tracker store, three per user; every lock released.
        rasa_turns = Counter(count for _sender, count in per_sender)
        assert len(rasa_turns) == 1 and rasa_turns.total() == USERS + 1, rasa_turns
        assert redis_lock_keys() == []
        assert redis_lock_clients() >= 2, "each replica keeps a connection to the lock store's Redis database"
        api.assert_no_errors()

    by_worker = sum(spread, Counter())
    print(
        f"\ntopology: up in {up - started:.0f} s; consent of {USERS} users {consented - up:.0f} s; "
        f"{USERS * len(MESSAGES)} messages answered in {posted - consented:.0f} s (worker A {by_worker['A']}, "
        f"B {by_worker['B']}), reminders done after {answered - consented:.0f} s; outbox claimed by "
        f"{len([c for c in claimers if c])} workers; total {time.monotonic() - started:.0f} s; logs in {tmp_path}"
    )
