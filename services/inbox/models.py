"""ORM model of the inbound update ledger (services layer): which channel updates were taken and finished."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from services.storage.base import Base, UTCDateTime


class UpdateState(enum.StrEnum):
    """Where handling of one inbound update stands."""

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
