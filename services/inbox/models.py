"""ORM models of the inbound update ledger (services layer): which updates arrived, were taken and finished."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.crypto.columns import EncryptedText
from services.storage.base import Base, UTCDateTime


class UpdateState(enum.StrEnum):
    """Where handling of one inbound update stands."""

    RECEIVED = "received"  # stored on arrival, waiting for its chat's earlier updates
    PROCESSING = "processing"
    DONE = "done"


class InboundUpdate(Base):
    """One update a channel delivered (Telegram's update_id), so a redelivery is handled once; no content."""

    __tablename__ = "inbound_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    state: Mapped[UpdateState] = mapped_column(
        Enum(UpdateState, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PendingUpdate(Base):
    """An update received and not yet handled, kept (encrypted) until it is, so a crash or restart loses none."""

    __tablename__ = "pending_updates"
    __table_args__ = (
        UniqueConstraint("channel", "update_id"),
        Index("ix_pending_updates_chat", "channel", "chat_key", "update_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[int] = mapped_column(BigInteger)
    chat_key: Mapped[str | None] = mapped_column(String(32))  # keyed hash of the chat, for per-chat order
    payload: Mapped[str] = mapped_column(EncryptedText("pending_updates.payload"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
