"""The action listing providers honours a language the message names (in-process, tracker fixtures, both databases)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from nlu.actions import runtime
from nlu.actions.providers import ActionListProviders
from services.content.reader import read_directory
from services.directory.service import load_directory
from services.i18n.catalogs import Translator
from services.storage.database import transaction

FIXTURES = Path(__file__).parent / "fixtures" / "trackers"
ASKED = "ask_gynaecologist_speaking_uzbek_ru"  # in Kazakhstan, where one of three clinics speaks Uzbek


@pytest.fixture
def installed(sessions: sessionmaker[Session]) -> Iterator[None]:
    with transaction(sessions) as session:
        load_directory(session, content=read_directory())
    runtime.install(runtime.ActionRuntime(sessions=sessions, default_locale="ru", retention_days=90))
    yield
    runtime.install(None)


def _tracker(language: str | None, city: str | None = None) -> Tracker:
    state = json.loads((FIXTURES / f"{ASKED}.json").read_text(encoding="utf-8"))
    message = state["latest_message"]
    message["entities"] = [{**entity, "value": language} for entity in message["entities"] if language is not None]
    if city is not None:
        message["entities"].append({"entity": "city", "value": city})
    return Tracker.from_dict(state)


async def _run(tracker: Tracker) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    assert await ActionListProviders().run(dispatcher, tracker, {}) == []
    return dispatcher.messages


def _cards(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if any(b["payload"].startswith("bk|") for b in m.get("buttons") or [])]


async def test_a_named_language_filters_the_providers_and_its_toggle_can_drop_it(installed: None) -> None:
    everyone, uzbek = _cards(await _run(_tracker(None))), await _run(_tracker("uz"))
    assert 0 < len(_cards(uzbek)) < len(everyone)
    uzbek_name = Translator("ru")("Staff speak: {languages}").format(languages="узбекский")
    assert all(uzbek_name.split(":")[0] in card and "узбекский" in card for card in _cards(uzbek))
    toggles = {button["title"]: button["payload"] for button in uzbek[-1]["buttons"]}
    assert toggles["✓ " + uzbek_name] == "page|medical|KZ|0|||", "a tap shows everyone again"


async def test_written_forms_of_a_language_are_resolved_and_unknown_ones_ignored(installed: None) -> None:
    assert _cards(await _run(_tracker("по-узбекски"))) == _cards(await _run(_tracker("uz")))
    assert _cards(await _run(_tracker("арабский"))) == _cards(await _run(_tracker(None)))


async def test_a_city_with_nobody_speaking_the_language_says_so_and_offers_to_show_all(installed: None) -> None:
    messages = await _run(_tracker("en", city="Андижане"))
    _ = Translator("ru")
    (nothing,) = messages
    assert nothing["text"] == _(
        "None of the services here has everything you chose. Turn a filter off, or see them all."
    )
    assert {"title": _("Show all"), "payload": "page|medical|UZ|0|||andijan"} in nothing["buttons"]
