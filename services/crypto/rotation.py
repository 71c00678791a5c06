"""Key rotation (services layer): re-encrypt every encrypted column under the current key, batch by batch.

Run after SECRET_KEY changed and the old key moved to OLD_SECRET_KEYS (`yoldosh db rotate-keys`). Values already
under the current key are left alone, so a second run changes nothing; values stored before encryption existed
are encrypted. Each batch is its own transaction, and a row is only rewritten if it still holds what was read,
so the bot can keep running meanwhile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Column, Select, Table, Text, column, select, table, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.expression import TableClause

from services.crypto.columns import EncryptedText, key_ring_of
from services.crypto.keys import DecryptionError, KeyRing
from services.storage.database import transaction
from services.storage.models import Base

BATCH_SIZE = 500


class RotationError(Exception):
    """A stored value could not be decrypted with any key in the ring; names the row, never its content."""


@dataclass(frozen=True)
class RotationReport:
    """What one rotation did, summed over every encrypted column."""

    key_id: str
    rotated: int  # re-encrypted from an old key
    encrypted: int  # stored before encryption at rest, encrypted now
    current: int  # already under the current key, left alone
    changed: int  # rewritten by someone else between read and write, left alone (a rerun checks them)


@dataclass(frozen=True)
class _Target:
    name: str  # "table.column", for messages
    raw: TableClause  # the table with the primary key and the column as plain text (no encryption on the way)
    key: str
    value: str
    context: str


def encrypted_columns() -> list[tuple[Table, Column[object]]]:
    """Every column of the schema stored as EncryptedText, by table and column name."""
    found = [
        (table_, column_)
        for table_ in Base.metadata.sorted_tables
        for column_ in table_.columns
        if isinstance(column_.type, EncryptedText)
    ]
    return sorted(found, key=lambda pair: (pair[0].name, pair[1].name))


def _targets() -> Iterator[_Target]:
    for table_, column_ in encrypted_columns():
        (primary_key,) = table_.primary_key.columns  # batches walk a single-column primary key
        assert isinstance(column_.type, EncryptedText)
        raw = table(table_.name, column(primary_key.name, primary_key.type), column(column_.name, Text()))
        yield _Target(f"{table_.name}.{column_.name}", raw, primary_key.name, column_.name, column_.type.context)


def _key_ring(sessions: sessionmaker[Session]) -> KeyRing:
    with sessions() as session:
        return key_ring_of(session.get_bind().dialect)


def _batch(target: _Target, *, after: object, size: int) -> Select[object, str]:
    key, value = target.raw.c[target.key], target.raw.c[target.value]
    query = select(key, value).where(value.is_not(None)).order_by(key).limit(size)
    return query if after is None else query.where(key > after)


def _rotate_row(session: Session, target: _Target, key_ring: KeyRing, row_key: object, stored: str) -> str:
    """Re-encrypt one stored value under the current key; returns which RotationReport count it adds to."""
    if key_ring.is_current(stored):
        return "current"
    if key_ring.is_encrypted(stored):
        try:
            plaintext = key_ring.decrypt(stored, context=target.context)
        except DecryptionError as error:
            raise RotationError(f"{target.name} row {row_key}: {error}") from None
        outcome = "rotated"
    else:
        plaintext, outcome = stored, "encrypted"
    key, value = target.raw.c[target.key], target.raw.c[target.value]
    fresh = key_ring.encrypt(plaintext, context=target.context)
    written = session.execute(update(target.raw).where(key == row_key, value == stored).values({target.value: fresh}))
    return outcome if written.rowcount == 1 else "changed"  # type: ignore[attr-defined]


def rotate_keys(sessions: sessionmaker[Session], *, batch_size: int = BATCH_SIZE) -> RotationReport:
    """Re-encrypt every encrypted value under the engine's current key, `batch_size` rows per transaction."""
    key_ring = _key_ring(sessions)
    tally: Counter[str] = Counter()
    for target in _targets():
        after: object = None
        while True:
            with transaction(sessions) as session:
                rows = session.execute(_batch(target, after=after, size=batch_size)).all()
                for row_key, stored in rows:
                    tally[_rotate_row(session, target, key_ring, row_key, stored)] += 1
            if len(rows) < batch_size:
                break
            after = rows[-1][0]
    return RotationReport(
        key_id=key_ring.current_key_id,
        rotated=tally["rotated"],
        encrypted=tally["encrypted"],
        current=tally["current"],
        changed=tally["changed"],
    )
