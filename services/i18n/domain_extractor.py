"""Babel extractor for Rasa domain files (services layer): response texts and button titles are msgids."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import yaml


def extract_domain_responses(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Yield every response text and button title of a domain YAML file for `pybabel extract`."""
    document = yaml.safe_load(fileobj.read().decode("utf-8")) or {}
    for name, variants in (document.get("responses") or {}).items():
        for variant in variants:
            if variant.get("text"):
                yield 0, None, variant["text"], [f"Rasa response {name}"]
            for button in variant.get("buttons") or []:
                yield 0, None, button["title"], [f"button of Rasa response {name}"]
