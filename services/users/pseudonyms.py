"""Keyed pseudonyms (services layer): a channel identity becomes an HMAC that cannot be reversed."""

from __future__ import annotations

import hashlib
import hmac


def pseudonym_for(secret_key: bytes, *, channel: str, external_id: str | int) -> str:
    """HMAC-SHA256 of "channel:id" under the secret key, hex; the same person always maps to the same value."""
    message = f"{channel}:{external_id}".encode()
    return hmac.new(secret_key, message, hashlib.sha256).hexdigest()
