"""Custom actions in-process on real databases, with tracker fixtures; and the NLG endpoint's rendering."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from bot.dialogue import booking_screens, screens
from nlu.actions import runtime
from nlu.actions.booking import ActionStartBooking
from nlu.actions.fallback import ActionHandleMisunderstanding
from nlu.actions.menu import ActionExplainPrivacy, ActionOfferLanguages, ActionShowMenu
from nlu.actions.nlg import load_responses, render_response
from nlu.actions.providers import ActionListProviders
from nlu.actions.support import ActionCrisisSupport, ActionRequestCounselor
from services.content.reader import read_directory
from services.directory.service import load_directory
from services.i18n.catalogs import Translator
from services.paths import NLU_DIR
from services.storage.database import transaction

FIXTURES = Path(__file__).parent / "fixtures" / "trackers"


@pytest.fixture
def installed(sessions: sessionmaker[Session]) -> Iterator[None]:
    with transaction(sessions) as session:
        load_directory(session, content=read_directory())
    runtime.install(runtime.ActionRuntime(sessions=sessions, default_locale="ru", retention_days=90))
    yield
    runtime.install(None)


def _tracker(name: str) -> Tracker:
    return Tracker.from_dict(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")))


async def _run(action: Any, tracker: Tracker) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    assert events == []
    return dispatcher.messages


async def test_service_question_lists_providers_in_the_named_city(installed: None) -> None:
    messages = await _run(ActionListProviders(), _tracker("ask_medical_in_andijan_uz"))
    cards, footer = messages[:-1], messages[-1]
    assert cards and all("+998 74" in message["text"] for message in cards), "Andijan numbers"
    assert all("Andijon" in message["text"] for message in cards)
    payloads = [button["payload"] for button in footer["buttons"]]
    assert "menu" in payloads and "services" in payloads


async def test_service_question_without_a_place_asks_the_country(installed: None) -> None:
    messages = await _run(ActionListProviders(), _tracker("ask_housing_no_place_kk"))
    assert messages[0]["text"] == Translator("kk")("Which country are you in?")
    assert [b["payload"] for b in messages[0]["buttons"]] == [f"country|housing|{c}" for c in ("UZ", "KZ", "KG", "TJ")]


async def test_a_request_for_a_person_asks_the_bot_to_open_a_case(installed: None) -> None:
    messages = await _run(ActionRequestCounselor(), _tracker("ask_housing_no_place_kk"))
    assert messages == [{**messages[0], "custom": {"escalate": "request"}}]
    assert not messages[0].get("text")


async def test_crisis_gives_the_countrys_emergency_numbers_in_tajik(installed: None) -> None:
    message, escalation = await _run(ActionCrisisSupport(), _tracker("crisis_tg_in_tajikistan"))
    assert escalation["custom"] == {"escalate": "urgent"}
    _ = Translator("tg")
    assert message["text"].startswith(_("If you or someone near you is in danger right now, please call:"))
    assert f"{_('Ambulance')}: 103" in message["text"]
    assert Translator("tg")("Police") in message["text"]


async def test_second_misunderstanding_offers_the_kinds_of_help(installed: None) -> None:
    (message,) = await _run(ActionHandleMisunderstanding(), _tracker("second_misunderstanding_ru"))
    assert message["text"] == Translator("ru")(
        "I am sorry, I still do not understand. Here is what I can help with: choose one."
    )
    assert len(message["buttons"]) == 9
    assert message["buttons"][-1] == {"title": Translator("ru")("Talk to a person"), "payload": "counselor|mis"}


async def test_first_misunderstanding_asks_to_rephrase(installed: None) -> None:
    tracker = _tracker("second_misunderstanding_ru")
    tracker.events = tracker.events[:-2]
    (message,) = await _run(ActionHandleMisunderstanding(), tracker)
    assert message["text"] == screens.rephrase(Translator("ru")).text


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (ActionShowMenu(), lambda _: screens.main_menu(_, consented=True).text),
        (ActionOfferLanguages(), lambda _: screens.language_picker(_, "kk").text),
        (ActionExplainPrivacy(), lambda _: screens.privacy(_, 90, consented=True).text),
        (ActionStartBooking(), lambda _: booking_screens.book_start(_).text),
    ],
)
async def test_screens_come_in_the_users_language(installed: None, action: Any, expected: Any) -> None:
    (message,) = await _run(action, _tracker("ask_housing_no_place_kk"))
    assert message["text"] == expected(Translator("kk"))


def test_nlg_translates_domain_responses_and_buttons() -> None:
    responses = load_responses(NLU_DIR / "domain")
    request = {"response": "utter_greet", "tracker": {"latest_message": {"metadata": {"locale": "ky"}}}}
    rendered = render_response(responses, request, "ru")
    _ = Translator("ky")
    assert rendered["text"] == _(responses["utter_greet"][0]["text"])
    assert rendered["buttons"] == [{"title": _("Menu"), "payload": "menu"}]


def test_nlg_every_response_is_translated_in_every_locale() -> None:
    responses = load_responses(NLU_DIR / "domain")
    for locale in ("ru", "uz", "uz_Cyrl", "kk", "ky", "tg"):
        for name, variants in responses.items():
            request = {"response": name, "tracker": {"latest_message": {"metadata": {"locale": locale}}}}
            rendered = render_response(responses, request, "en")
            assert rendered["text"] != variants[0]["text"], (locale, name)


def test_nlg_falls_back_to_the_default_locale_and_survives_unknown_names() -> None:
    responses = load_responses(NLU_DIR / "domain")
    rendered = render_response(responses, {"response": "utter_goodbye", "tracker": {}}, "uz")
    assert rendered["text"] == Translator("uz")(responses["utter_goodbye"][0]["text"])
    assert render_response(responses, {"response": "utter_nothing", "tracker": {}}, "uz") == {"text": None}


def test_the_action_server_registers_exactly_the_domains_actions() -> None:
    import yaml
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("nlu.actions")
    declared = yaml.safe_load((NLU_DIR / "domain" / "actions.yml").read_text(encoding="utf-8"))["actions"]
    assert sorted(executor.actions) == sorted(declared)
