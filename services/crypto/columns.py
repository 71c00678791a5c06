"""The encrypted column type and the key ring each engine carries (services layer).

`create_database_engine` installs the process's key ring on the engine it creates; an engine without one refuses
to read or write encrypted columns instead of storing plain text.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from sqlalchemy import Dialect, Engine, Text
from sqlalchemy.types import TypeDecorator

from services.crypto.keys import KeyRing, KeyRingNotConfiguredError

# Keyed by the engine's dialect, the one thing a column type is handed; each engine has its own dialect.
_KEY_RINGS: WeakKeyDictionary[Dialect, KeyRing] = WeakKeyDictionary()


def install_key_ring(engine: Engine, key_ring: KeyRing) -> None:
    """Encrypt and decrypt this engine's encrypted columns with `key_ring`."""
    _KEY_RINGS[engine.dialect] = key_ring


def key_ring_of(dialect: Dialect) -> KeyRing:
    """The key ring installed on the engine of `dialect`; KeyRingNotConfiguredError when there is none."""
    key_ring = _KEY_RINGS.get(dialect)
    if key_ring is None:
        raise KeyRingNotConfiguredError(
            "this engine has no key ring: create it with services.storage.database.create_database_engine"
        )
    return key_ring


class EncryptedText(TypeDecorator[str]):
    """Free text someone wrote, stored as AES-256-GCM ciphertext bound to `context` (e.g. "case_messages.body").

    The database only ever sees ciphertext, so these columns cannot be searched or compared in SQL.
    """

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return key_ring_of(dialect).encrypt(value, context=self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return key_ring_of(dialect).decrypt(value, context=self.context)
