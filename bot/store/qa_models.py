"""The questions people asked and what they were given: the questions without a basis (for
the office), the answers given with their 👍/👎, and the office's own curated answers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.store.models import Base, Json, UTCDateTime


class UnansweredQuestion(Base):
    """A question the knowledge base had no basis for; the office reviews these."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128))
    question: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    best_chunk_id: Mapped[str] = mapped_column(String(255), default="")
    # The question folded (no diacritics, case, punctuation): repeats share it.
    question_key: Mapped[str] = mapped_column(String(255), default="", index=True)
    answered_by: Mapped[int | None] = mapped_column(Integer)  # a curated answer's id


class AnswerLog(Base):
    """An answer with a legal basis given in a chat, and what its asker said of it (👍/👎)."""

    __tablename__ = "answer_log"
    __table_args__ = (Index("ix_answer_log_asker", "channel", "chat_id", "user_id", "asked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128))
    question: Mapped[str] = mapped_column(Text)
    question_key: Mapped[str] = mapped_column(String(255), default="")
    answer: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[Json]] = mapped_column(JSON, default=list)
    curated_id: Mapped[int | None] = mapped_column(Integer)  # the office's answer shown
    rating: Mapped[str] = mapped_column(String(8), default="")  # "" | "up" | "down"
    reason: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    answered_by: Mapped[int | None] = mapped_column(Integer)  # a curated answer made for it


class CuratedAnswer(Base):
    """The office's own answer to a question, with the provisions it rests on."""

    __tablename__ = "curated_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    # [{doc_id, doc_number, article, clause, point, hash}]: the provisions, and a hash of
    # their text when the answer was written (a changed text withdraws the answer).
    citations: Mapped[list[Json]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | withdrawn
    review_note: Mapped[str] = mapped_column(String(500), default="")
    answered_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(32), default="")  # "U12", "F7" or ""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    questions: Mapped[list[CuratedQuestion]] = relationship(
        cascade="all, delete-orphan", order_by="CuratedQuestion.id"
    )


class CuratedQuestion(Base):
    """One wording of a curated answer's question, with its embeddings (as typed, and folded
    for questions typed without diacritics)."""

    __tablename__ = "curated_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    curated_id: Mapped[int] = mapped_column(
        ForeignKey("curated_answers.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(255), index=True)
    model_id: Mapped[str] = mapped_column(String(255), default="")
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    folded_vector: Mapped[bytes] = mapped_column(LargeBinary)
