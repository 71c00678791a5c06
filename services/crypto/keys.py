"""Keys and authenticated encryption for text at rest (services layer).

Every key is derived from a secret (SECRET_KEY, or one of OLD_SECRET_KEYS) with HKDF-SHA256 and a purpose label,
so the secret itself never encrypts anything and other uses of it (pseudonyms, webhook token) stay unrelated.
A value is stored as `enc1:<key id>:<base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag)>`; the format, the key id
and the column it belongs to are authenticated too, so a value moved to another column does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.config import Settings

FORMAT = "enc1"
PURPOSE = b"yoldosh/encryption-at-rest/aes-256-gcm/v1"
NONCE_BYTES = 12


class KeyRingNotConfiguredError(RuntimeError):
    """An encrypted column was used on an engine that has no key ring: nothing is stored in plain text."""


class DecryptionError(Exception):
    """A stored value is not ours, was tampered with, or is under a key the ring no longer holds."""


def derive_key(secret: bytes, *, purpose: bytes = PURPOSE) -> bytes:
    """A 256-bit key for `purpose` derived from `secret` with HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


def _key_id(key: bytes) -> str:
    # Public in every ciphertext: a keyed hash of the derived key that reveals nothing about it.
    return hmac.new(key, b"yoldosh key id", hashlib.sha256).hexdigest()[:8]


@dataclass(frozen=True)
class _Key:
    key_id: str
    cipher: AESGCM


def _key(secret: bytes) -> _Key:
    key = derive_key(secret)
    return _Key(key_id=_key_id(key), cipher=AESGCM(key))


def _split(token: str) -> tuple[str, bytes]:
    prefix, _, rest = token.partition(":")
    key_id, _, payload = rest.partition(":")
    if prefix != FORMAT or len(key_id) != 8 or not payload:
        raise DecryptionError("not an encrypted value (stored before encryption? run `yoldosh db rotate-keys`)")
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("encrypted value is malformed") from None
    if len(raw) <= NONCE_BYTES:
        raise DecryptionError("encrypted value is malformed")
    return key_id, raw


def _associated_data(key_id: str, context: str) -> bytes:
    return f"{FORMAT}:{key_id}:{context}".encode()


class KeyRing:
    """The current key (encrypts and decrypts) and old keys (decrypt only), each derived from a secret."""

    def __init__(self, current: bytes, old: Iterable[bytes] = ()) -> None:
        keys = [_key(secret) for secret in dict.fromkeys([current, *old])]  # each secret once, current first
        self._current = keys[0]
        self._keys: dict[str, list[_Key]] = {}
        for key in keys:
            self._keys.setdefault(key.key_id, []).append(key)  # two secrets sharing an id: both are tried

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        """SECRET_KEY as the current key, OLD_SECRET_KEYS still accepted for decryption."""
        return cls(settings.secret_key_bytes(), settings.old_secret_keys_bytes())

    @property
    def current_key_id(self) -> str:
        """The id written into every value encrypted now."""
        return self._current.key_id

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """`plaintext` under the current key, bound to `context` (the column it is stored in)."""
        nonce = os.urandom(NONCE_BYTES)
        key_id = self._current.key_id
        sealed = self._current.cipher.encrypt(nonce, plaintext.encode(), _associated_data(key_id, context))
        payload = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{FORMAT}:{key_id}:{payload}"

    def decrypt(self, token: str, *, context: str) -> str:
        """The plaintext of a value encrypted by any key in the ring for `context`; DecryptionError otherwise."""
        key_id, raw = _split(token)
        candidates = self._keys.get(key_id)
        if not candidates:
            raise DecryptionError(f"value is under key {key_id}, which is not in SECRET_KEY or OLD_SECRET_KEYS")
        for key in candidates:
            try:
                plain = key.cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(key_id, context))
            except InvalidTag:
                continue
            return plain.decode()
        raise DecryptionError(f"value under key {key_id} failed authentication (tampered, or another column's)")

    def is_current(self, token: str) -> bool:
        """True when `token` is already encrypted under the current key (rotation leaves it alone)."""
        return token.startswith(f"{FORMAT}:{self._current.key_id}:")

    def is_encrypted(self, token: str) -> bool:
        """True when `token` has the shape of a value this module wrote (under any key)."""
        try:
            _split(token)
        except DecryptionError:
            return False
        return True
