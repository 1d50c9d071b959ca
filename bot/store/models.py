"""Tables. Every piece of state is a row, so any worker can pick up any message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class UnansweredQuestion(Base):
    """A question the knowledge base had no basis for; the office reviews these."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128))
    question: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    best_chunk_id: Mapped[str] = mapped_column(String(255), default="")
