"""ORM model of the quick-exit trail (services layer): ids of a consenting user's recent chat messages, no content."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from services.storage.base import Base, UTCDateTime


class TrailMessage(Base):
    """One message in a user's chat (theirs or Yoldosh's) that the quick exit may delete; kept 48 hours."""

    __tablename__ = "trail_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
