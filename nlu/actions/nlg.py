"""NLG endpoint (transport layer): Rasa asks for a response by name, gets it in the user's locale."""

from __future__ import annotations

import logging
import string
from pathlib import Path
from typing import Any

import yaml

from nlu.actions.conversation import locale_of
from services.i18n.catalogs import Translator

log = logging.getLogger(__name__)

Responses = dict[str, list[dict[str, Any]]]


def load_responses(domain_dir: Path) -> Responses:
    """Every response declared in the domain files, by name (the texts are English msgids)."""
    responses: Responses = {}
    for path in sorted(domain_dir.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        responses.update(document.get("responses") or {})
    return responses


class _KeepUnknown(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(text: str, values: dict[str, Any]) -> str:
    fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    return text.format_map(_KeepUnknown({name: values[name] for name in fields if values.get(name) is not None}))


def render_response(responses: Responses, request: dict[str, Any], default_locale: str) -> dict[str, Any]:
    """Rasa's NLG request → {"text", "buttons"} translated from the catalogs; unknown names get an empty text."""
    name = str(request.get("response") or "")
    tracker = request.get("tracker") or {}
    variants = responses.get(name)
    if not variants:
        log.error("NLG asked for an unknown response %s", name)
        return {"text": None}
    _ = Translator(locale_of(tracker, default_locale))
    variant = variants[0]
    values = {**(tracker.get("slots") or {}), **(request.get("arguments") or {})}
    rendered: dict[str, Any] = {"text": _fill(_(variant["text"]), values) if variant.get("text") else None}
    if variant.get("buttons"):
        rendered["buttons"] = [
            {"title": _(button["title"]), "payload": button["payload"]} for button in variant["buttons"]
        ]
    return rendered
