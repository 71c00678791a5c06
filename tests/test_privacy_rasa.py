"""Rasa keeps conversations in the SQL tracker store where the retention purge and erasure reach them (marker
`rasa`: a real Rasa server with the tracker store beside the prepared database)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from bot.rasa.client import RasaClient
from services.config import load_settings
from services.privacy.tracker_store import conversation, create_tracker_engine, delete_conversation, purge_events_before
from services.storage.base import utcnow
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.rasa
GREETING = (
    "Hello! I am Yoldosh. I can help you find schools, doctors, psychologists, help with documents, benefits,"
    " housing and work. Write what you need in your own words, or open the menu."
)
METADATA = {"locale": "en", "country": None}


@pytest.fixture
def rasa_tracker(rasa_url: str, served_database_url: str) -> Iterator[Engine]:
    """The tracker store the running Rasa writes to (TRACKER_STORE_URL unset: beside the database)."""
    settings = load_settings(database_url=served_database_url, secret_key=TEST_SECRET.decode(), _env_file=None)
    url = settings.tracker_database_url()
    assert url is not None
    tracker = create_tracker_engine(url)
    yield tracker
    tracker.dispose()


def test_rasas_events_can_be_read_erased_and_purged_while_it_keeps_answering(
    rasa_url: str, rasa_tracker: Engine
) -> None:
    client = RasaClient(rasa_url, timeout=30.0)
    sender = f"privacy-{uuid.uuid4().hex}"
    try:
        assert [m.text for m in client.converse(sender=sender, text="hello", metadata=METADATA)] == [GREETING]
        lines = [(line.speaker, line.text) for line in conversation(rasa_tracker, sender_id=sender)]
        assert lines == [("user", "hello"), ("bot", GREETING)], "Rasa writes the events table Yoldosh reads"

        assert delete_conversation(rasa_tracker, sender_id=sender) > 0
        assert conversation(rasa_tracker, sender_id=sender) == []
        assert [m.text for m in client.converse(sender=sender, text="hello", metadata=METADATA)] == [GREETING]

        time.sleep(0.05)
        assert purge_events_before(rasa_tracker, before=utcnow() + timedelta(milliseconds=1)) > 0
        assert conversation(rasa_tracker, sender_id=sender) == []
        assert [m.text for m in client.converse(sender=sender, text="hello", metadata=METADATA)] == [GREETING]
    finally:
        client.close()
