"""The Rasa REST client against a local stand-in for Rasa's REST channel: pseudonymous sender, metadata, a fresh
Rasa session every so many turns, and NluUnavailableError when Rasa fails."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.rasa.client import SESSION_START, NluUnavailableError, RasaClient


@pytest.fixture
def rasa_standin() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append(body)
            status, answer = (500, []) if body["message"] == "fail" else (200, [{"text": "ok"}])
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def test_every_third_turn_opens_a_fresh_session_first(rasa_standin: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = rasa_standin
    client = RasaClient(url, turns_per_session=3)
    for turn in range(7):
        assert [m.text for m in client.converse(sender="p1", text=f"t{turn}", metadata={"locale": "uz"})] == ["ok"]
    client.converse(sender="p2", text="other", metadata={"locale": "ru"})
    client.close()
    sent = [(body["sender"], body["message"]) for body in received]
    assert sent == [
        ("p1", "t0"), ("p1", "t1"), ("p1", "t2"),
        ("p1", SESSION_START), ("p1", "t3"), ("p1", "t4"), ("p1", "t5"),
        ("p1", SESSION_START), ("p1", "t6"),
        ("p2", "other"),
    ]  # fmt: skip
    assert all(body["metadata"]["locale"] in {"uz", "ru"} for body in received)


def test_an_error_from_rasa_is_nlu_unavailable(rasa_standin: tuple[str, list[dict[str, Any]]]) -> None:
    url, _received = rasa_standin
    client = RasaClient(url)
    with pytest.raises(NluUnavailableError):
        client.converse(sender="p1", text="fail", metadata={})
    client.close()
