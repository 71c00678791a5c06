"""ORM model of a deferred question (services layer): free text that arrived while Rasa was unreachable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.crypto.columns import EncryptedText
from services.storage.base import Base, UTCDateTime


class DeferredQuestion(Base):
    """A message kept (encrypted) until Rasa can answer it; gone with the user, and once answered or too old."""

    __tablename__ = "deferred_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(EncryptedText("deferred_questions.text"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
