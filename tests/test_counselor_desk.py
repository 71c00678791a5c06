"""The counselors' desk end to end: the real PTB application, a forum supergroup in the Bot API stand-in, a real
database, no Rasa (the desk must work with Rasa stopped). A crisis reaches a topic with its card; one counselor
claims; messages relay both ways; notes stay on the desk; the user gets the bot back after /close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.dialogue import counselor_screens, desk_screens, screens
from bot.dialogue.desk_vocabulary import CANNED_REPLIES
from bot.dialogue.flow import Dialogue
from bot.rasa.client import RasaClient
from bot.telegram.desk.handlers import DESK_KEY, Desk
from services.audit.service import actions_on
from services.escalation import hours
from services.escalation.counselors import add_counselor
from services.escalation.models import CaseStatus, EscalationCase
from services.escalation.service import active_case
from services.escalation.types import CaseView
from services.i18n.catalogs import Translator
from services.safety.loader import load_lexicon
from services.storage.base import utcnow
from services.storage.database import read_transaction, transaction
from services.users.pseudonyms import pseudonym_for
from tests.conftest import TEST_SECRET, free_port, serving_bot
from tests.telegram_standin import ApiCall, BotApiStandIn, ForumMember, TelegramUser
from tests.test_rasa import GREETING

DESK_CHAT = -1001777000555
DILNOZA, MALIKA, STRANGER = 91001, 91002, 91003
DANGER = "If you or someone near you is in danger right now, please call:"


@pytest.fixture
async def desk_bot(
    api: BotApiStandIn, served_database_url: str, served_sessions: sessionmaker[Session]
) -> AsyncIterator[Any]:
    """A bot serving users in private chats and the counselors in their forum group."""
    load_lexicon().compile_all()  # as `yoldosh run` does before serving
    api.add_supergroup(DESK_CHAT)
    with transaction(served_sessions) as session:
        add_counselor(session, telegram_user_id=DILNOZA, alias="Dilnoza")
        add_counselor(session, telegram_user_id=MALIKA, alias="Malika")
        # a fresh forum: cases of earlier tests had topics in another stand-in's group
        session.execute(update(EscalationCase).values(status=CaseStatus.CLOSED))
    dialogue = Dialogue(
        sessions=served_sessions,
        secret_key=TEST_SECRET,
        default_locale="ru",
        retention_days=180,
        counselors_connected=True,
    )
    async with serving_bot(
        api,
        dialogue,
        served_sessions,
        served_database_url,
        counselor_chat_id=DESK_CHAT,
        counselor_desk_locale="en",
    ) as application:
        yield application


def _to_chat(calls: list[ApiCall], chat_id: int) -> list[ApiCall]:
    return [
        call
        for call in calls
        if call.method in ("sendMessage", "copyMessage") and int(call.params["chat_id"]) == chat_id
    ]


async def _consented(api: BotApiStandIn, user: TelegramUser, locale: str) -> None:
    user.says("/start")
    user.taps(f"lang|{locale}")
    user.taps("consent:yes")
    await api.until(lambda calls: len(_to_chat(calls, user.user_id)) >= 3)


async def _topic_of_new_case(api: BotApiStandIn, before: int, timeout: float = 15) -> tuple[int, str]:
    """The topic the bot created after the first `before` createForumTopic calls (refused calls do not count)."""

    def created() -> list[tuple[int, str]]:
        with api._lock:
            topics = dict(api._topics.get(DESK_CHAT, {}))
        return sorted((thread, str(topic["name"])) for thread, topic in topics.items())[before:]

    await api.until(lambda _calls: bool(created()), timeout=timeout)
    return created()[0]


async def _sees(api: BotApiStandIn, who: TelegramUser | ForumMember, text: str, topic: int | None = None) -> None:
    def shown(_calls: list[ApiCall]) -> bool:
        seen = who.sees(topic) if isinstance(who, ForumMember) else who.sees()
        return any(text in line for line in seen)

    await api.until(shown, timeout=15)


async def _case_on(sessions: sessionmaker[Session], topic: int, user: TelegramUser) -> CaseView:
    """The user's case, once the desk worker has recorded its topic (just after posting the card)."""
    for _attempt in range(100):
        with read_transaction(sessions) as session:
            case = active_case(session, pseudonym=_pseudonym(user))
        if case is not None and case.topic_id == topic:
            return case
        await asyncio.sleep(0.05)
    raise AssertionError(f"no case of this user recorded for topic {topic}")


def _pseudonym(user: TelegramUser) -> str:
    return pseudonym_for(TEST_SECRET, channel="telegram", external_id=user.user_id)


async def test_a_cry_for_help_reaches_a_counselor_and_back(
    api: BotApiStandIn, desk_bot: Any, served_sessions: sessionmaker[Session]
) -> None:
    user = TelegramUser(api, user_id=70_000_101, language_code="uz")
    dilnoza = ForumMember(api, DESK_CHAT, DILNOZA, "Dilnoza")
    malika = ForumMember(api, DESK_CHAT, MALIKA, "Malika")
    stranger = ForumMember(api, DESK_CHAT, STRANGER, "Someone")
    _ = Translator("uz")
    await _consented(api, user, "uz")
    topics_before = len(api._topics.get(DESK_CHAT, {}))

    user.says("Meni xonaga qamab qo'yishdi")
    await _sees(api, user, _(DANGER))
    topic, title = await _topic_of_new_case(api, topics_before)
    case = await _case_on(served_sessions, topic, user)
    assert title == f"#{case.id} · urgent · uz"
    await _sees(api, dilnoza, "Meni xonaga qamab qo'yishdi", topic)
    card = next(message for message in dilnoza.bot_messages(topic) if "text" in message)
    assert "Case #" in card["text"] and "Waiting for a counselor" in card["text"]
    assert str(user.user_id) not in card["text"] and "Test" not in card["text"], "no identity on the desk"

    stranger.taps(f"dkc|{case.id}")
    await api.until(lambda calls: any(c.method == "answerCallbackQuery" and c.params.get("text") for c in calls))
    dilnoza.taps(f"dkc|{case.id}")
    await _sees(
        api, user, _("{name}, a counselor, has joined. You can write in your own words.").format(name="Dilnoza")
    )
    malika.taps(f"dkc|{case.id}", message=card)  # her screen still showed Claim
    await api.until(lambda calls: any("already claimed" in str(c.params.get("text")) for c in calls))
    await _sees(api, dilnoza, "Claimed by Dilnoza", topic)

    dilnoza.says("Salom, men shu yerdaman. Hozir xavfsiz joydamisiz?", topic)
    await _sees(api, user, "Salom, men shu yerdaman. Hozir xavfsiz joydamisiz?")
    assert any(line.startswith(_("{name} (counselor):").format(name="Dilnoza")) for line in user.sees())
    malika.says("I can help too", topic)
    await _sees(api, malika, "Only the counselor who claimed this case can do this.", topic)
    stranger.says("hello from outside", topic)
    await _sees(api, stranger, "Only registered counselors can use the desk.", topic)

    user.says("ha, hozir qo'shnimnikidaman")
    await _sees(api, dilnoza, "ha, hozir qo'shnimnikidaman", topic)
    user.sends_photo(caption="hujjat")
    await api.until(
        lambda calls: any(c.method == "copyMessage" and int(c.params["chat_id"]) == DESK_CHAT for c in calls)
    )

    dilnoza.says("/note called her sister, she is safe", topic)
    await _sees(api, dilnoza, "Note saved. The user does not see it.", topic)
    dilnoza.says("/hold", topic)
    await _sees(api, dilnoza, "Write the reason after the command", topic)
    dilnoza.says("/hold a police investigation asked us to keep it", topic)
    await _sees(api, dilnoza, f"Case #{case.id} is on hold", topic)
    dilnoza.says("/canned", topic)
    await _sees(api, dilnoza, "Ready replies", topic)
    dilnoza.taps(f"dkn|{case.id}|3")
    await _sees(api, user, _(CANNED_REPLIES[2]))

    dilnoza.says("/close", topic)
    await _sees(api, dilnoza, f"How did case #{case.id} end?", topic)
    dilnoza.taps(f"dko|{case.id}|helped")
    await _sees(api, user, counselor_screens.case_closed(_).text)
    await api.until(lambda calls: any(c.method == "closeForumTopic" for c in calls))

    assert not any("called her sister" in line for line in user.sees()), "a note is never relayed"
    assert not any("I can help too" in line or "hello from outside" in line for line in user.sees())
    desk_lines = len(dilnoza.sees(topic))
    user.says("/help")
    await _sees(api, user, screens.main_menu(_, consented=True).text)
    assert len(dilnoza.sees(topic)) == desk_lines, "after /close the user talks to the bot again"
    api.assert_no_errors()

    with read_transaction(served_sessions) as session:
        assert active_case(session, pseudonym=_pseudonym(user)) is None
        audited = [action for _actor, action in actions_on(session, subject_type="case", subject_id=case.id)]
    assert audited[:1] == ["open"] and {"claim", "note", "hold", "close"} <= set(audited)


async def test_asking_for_a_person_opens_a_case_and_says_when_they_answer(
    api: BotApiStandIn, desk_bot: Any, served_sessions: sessionmaker[Session]
) -> None:
    user = TelegramUser(api, user_id=70_000_102, language_code="ru")
    dilnoza = ForumMember(api, DESK_CHAT, DILNOZA, "Dilnoza")
    _ = Translator("ru")
    await _consented(api, user, "ru")
    topics_before = len(api._topics.get(DESK_CHAT, {}))
    on_duty = hours.desk_is_open(None, utcnow())
    user.says("/counselor")
    expected = (
        _("I have asked a counselor to join. They will write to you here, in this chat.")
        if on_duty
        else _("The counselors are not on duty right now.")
    )
    await _sees(api, user, expected)
    topic, title = await _topic_of_new_case(api, topics_before)
    assert "· normal · ru" in title
    user.says("/counselor")
    await _sees(api, user, _("You are already connected with the counselors. Write here and they will read it."))
    assert len(api._topics[DESK_CHAT]) == topics_before + 1, "one case, one topic"

    user.says("мне нужно поговорить о сыне")
    await _sees(api, dilnoza, "мне нужно поговорить о сыне", topic)

    desk: Desk = desk_bot.bot_data[DESK_KEY]
    desk.worker.clock = lambda: utcnow() + timedelta(minutes=16)
    assert await desk.worker.realert(desk_bot.bot) >= 1
    await _sees(api, dilnoza, "is waiting for a counselor", topic)
    assert await desk.worker.realert(desk_bot.bot) == 0, "one reminder per interval"
    dilnoza.says("/queue")
    await api.until(lambda calls: any("Open cases:" in line for line in dilnoza.sees()))
    case = await _case_on(served_sessions, topic, user)
    assert case.status is CaseStatus.OPEN
    api.assert_no_errors()


async def test_the_desk_retries_a_topic_telegram_refused(
    api: BotApiStandIn, desk_bot: Any, served_sessions: sessionmaker[Session]
) -> None:
    user = TelegramUser(api, user_id=70_000_103, language_code="ky")
    await _consented(api, user, "ky")
    refusal = "Bad Request: not enough rights to create a topic"
    api.fail_next("createForumTopic", 400, {"ok": False, "error_code": 400, "description": refusal})
    topics_before = len(api._topics.get(DESK_CHAT, {}))
    user.says("өзүмдү өлтүргүм келет")
    await _sees(api, user, Translator("ky")(DANGER))
    topic, _title = await _topic_of_new_case(api, topics_before, timeout=15)
    assert len(api.calls_to("createForumTopic")) == 2, "refused once (rights fixed since), created on the retry"
    case = await _case_on(served_sessions, topic, user)
    assert case.trigger == "safety_net"
    dilnoza = ForumMember(api, DESK_CHAT, DILNOZA, "Dilnoza")
    await _sees(api, dilnoza, "өзүмдү өлтүргүм келет", topic)
    assert sum(1 for line in dilnoza.sees(topic) if "өзүмдү өлтүргүм келет" in line) == 1, "the card shows it once"


async def test_out_of_hours_an_urgent_case_reaches_the_on_call_counselor_privately(
    api: BotApiStandIn, desk_bot: Any, served_sessions: sessionmaker[Session]
) -> None:
    with transaction(served_sessions) as session:
        add_counselor(session, telegram_user_id=MALIKA, alias="Malika", on_call=True)
    api.known_chat(MALIKA, first_name="Malika")
    desk: Desk = desk_bot.bot_data[DESK_KEY]
    sunday_night = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)  # 03:00 on Monday in Tashkent, 04:00 in Almaty
    assert not hours.desk_is_open(None, sunday_night)
    desk.worker.clock = lambda: sunday_night
    user = TelegramUser(api, user_id=70_000_104, language_code="tg")
    await _consented(api, user, "tg")
    topics_before = len(api._topics.get(DESK_CHAT, {}))
    user.says("мехоҳам худамро бикушам")
    topic, _title = await _topic_of_new_case(api, topics_before)
    case = await _case_on(served_sessions, topic, user)
    await api.until(lambda calls: any(f"#{case.id}" in (shown or "") for shown in TelegramUser(api, MALIKA).sees()))
    private = " ".join(TelegramUser(api, MALIKA).sees())
    assert "мехоҳам" not in private, "the private alert carries no words of the user"
    with transaction(served_sessions) as session:
        add_counselor(session, telegram_user_id=MALIKA, alias="Malika", on_call=False)
    api.assert_no_errors()


async def test_something_heavy_shared_brings_an_offer_of_a_person(api: BotApiStandIn, desk_bot: Any) -> None:
    user = TelegramUser(api, user_id=70_000_105, language_code="ru")
    _ = Translator("ru")
    await _consented(api, user, "ru")
    user.says("вчера арестовали мужа, что мне делать")
    await _sees(api, user, _("If you would like to talk about this with a person, a counselor can write to you here."))
    assert not any(_(DANGER) in line for line in user.sees()), "sensitive is not urgent: no emergency screen"


@pytest.mark.rasa
async def test_asking_rasa_for_a_person_opens_a_case_and_rasa_answers_again_after_close(
    api: BotApiStandIn, rasa_url: str, served_database_url: str, served_sessions: sessionmaker[Session]
) -> None:
    api.add_supergroup(DESK_CHAT)
    with transaction(served_sessions) as session:
        add_counselor(session, telegram_user_id=DILNOZA, alias="Dilnoza")
    client = RasaClient(rasa_url, timeout=30.0)
    dialogue = Dialogue(
        sessions=served_sessions,
        secret_key=TEST_SECRET,
        default_locale="ru",
        retention_days=180,
        nlu=client,
        counselors_connected=True,
    )
    user = TelegramUser(api, user_id=70_000_106, language_code="en")
    dilnoza = ForumMember(api, DESK_CHAT, DILNOZA, "Dilnoza")
    _ = Translator("en")
    async with serving_bot(
        api, dialogue, served_sessions, served_database_url, counselor_chat_id=DESK_CHAT, counselor_desk_locale="en"
    ):
        await _consented(api, user, "en")
        user.says("connect me with someone from your staff, a real human person")
        topic, title = await _topic_of_new_case(api, 0, timeout=30)
        assert title.endswith("· normal · en")
        case = await _case_on(served_sessions, topic, user)
        assert case.trigger == "request"
        dilnoza.taps(f"dkc|{case.id}")
        await _sees(api, user, "Dilnoza, a counselor, has joined")
        user.says("hello, thank you")
        await _sees(api, dilnoza, "hello, thank you", topic)
        dilnoza.says("/close helped", topic)
        await _sees(api, user, counselor_screens.case_closed(_).text)
        user.says("hello")
        await api.until(lambda _calls: _(GREETING) in user.sees(), timeout=30)
        assert not any(line.endswith("hello") and "👤" in line for line in dilnoza.sees(topic))
    client.close()
    api.assert_no_errors()


async def test_with_rasa_stopped_the_desk_works_and_the_user_gets_the_menu_after(
    api: BotApiStandIn, served_database_url: str, served_sessions: sessionmaker[Session]
) -> None:
    load_lexicon().compile_all()
    api.add_supergroup(DESK_CHAT)
    with transaction(served_sessions) as session:
        add_counselor(session, telegram_user_id=DILNOZA, alias="Dilnoza")
        session.execute(update(EscalationCase).values(status=CaseStatus.CLOSED))
    stopped = RasaClient(f"http://127.0.0.1:{free_port()}", timeout=1.0)  # nothing listens there
    dialogue = Dialogue(
        sessions=served_sessions,
        secret_key=TEST_SECRET,
        default_locale="ru",
        retention_days=180,
        nlu=stopped,
        counselors_connected=True,
    )
    user = TelegramUser(api, user_id=70_000_107, language_code="ru")
    dilnoza = ForumMember(api, DESK_CHAT, DILNOZA, "Dilnoza")
    _ = Translator("ru")
    async with serving_bot(
        api, dialogue, served_sessions, served_database_url, counselor_chat_id=DESK_CHAT, counselor_desk_locale="en"
    ):
        await _consented(api, user, "ru")
        user.says("я выпила все таблетки")
        await _sees(api, user, _(DANGER))
        topic, _title = await _topic_of_new_case(api, 0)
        case = await _case_on(served_sessions, topic, user)
        dilnoza.taps(f"dkc|{case.id}")
        dilnoza.says("Вызовите скорую: 103. Я с вами.", topic)
        await _sees(api, user, "Вызовите скорую: 103. Я с вами.")
        user.says("вызвала")
        await _sees(api, dilnoza, "вызвала", topic)
        dilnoza.says("/close emergency", topic)
        await _sees(api, user, counselor_screens.case_closed(_).text)
        user.says("спасибо")
        await _sees(api, user, screens.nlu_unavailable(_, kept=True).text)
    stopped.close()
    api.assert_no_errors()


async def test_a_deleted_topic_does_not_swallow_the_users_words(
    api: BotApiStandIn, desk_bot: Any, served_sessions: sessionmaker[Session]
) -> None:
    user = TelegramUser(api, user_id=70_000_108, language_code="kk")
    dilnoza = ForumMember(api, DESK_CHAT, DILNOZA, "Dilnoza")
    await _consented(api, user, "kk")
    topics_before = len(api._topics.get(DESK_CHAT, {}))
    user.says("/counselor")
    topic, _title = await _topic_of_new_case(api, topics_before)
    case = await _case_on(served_sessions, topic, user)
    with api._lock:  # an admin deleted the topic
        del api._topics[DESK_CHAT][topic]
    user.says("маған көмек керек, кешке жазыңызшы")
    general = [f"#{case.id}", "маған көмек керек, кешке жазыңызшы"]
    await api.until(lambda _calls: any(all(part in line for part in general) for line in dilnoza.sees()))


async def test_the_desk_hears_when_a_person_erases_their_data_under_a_hold(
    api: BotApiStandIn, desk_bot: Any, served_sessions: sessionmaker[Session]
) -> None:
    user = TelegramUser(api, user_id=70_000_109, language_code="ru")
    dilnoza = ForumMember(api, DESK_CHAT, DILNOZA, "Dilnoza")
    desk = Translator("en")
    await _consented(api, user, "ru")
    user.says("он снова бьёт меня, помогите")
    topic, _title = await _topic_of_new_case(api, 0)
    case = await _case_on(served_sessions, topic, user)
    dilnoza.taps(f"dkc|{case.id}")
    dilnoza.says("/hold child protection referral", topic)
    await api.until(lambda _calls: _held(served_sessions, case.id), timeout=15)

    user.says("/delete_my_data")
    user.taps("delete:yes")
    await _sees(api, dilnoza, desk_screens.erased(desk, case.id).text, topic)
    api.assert_no_errors()


def _held(sessions: sessionmaker[Session], case_id: int) -> bool:
    with read_transaction(sessions) as session:
        case = session.get(EscalationCase, case_id)
        return case is not None and case.held_at is not None
