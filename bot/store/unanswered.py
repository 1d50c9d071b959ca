"""The questions the assistant found no legal basis for, logged for the office to answer once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.store.models import UnansweredQuestion


@dataclass(frozen=True)
class UnansweredRecord:
    asked_at: datetime
    channel: str
    user_id: str
    question: str
    confidence: float


class UnansweredLog:
    """Where questions without a legal basis go, for the emulation office to review."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record(
        self,
        *,
        asked_at: datetime,
        channel: str,
        chat_id: str,
        user_id: str,
        question: str,
        confidence: float,
        best_chunk_id: str = "",
        session: Session | None = None,
    ) -> None:
        """In `session` when given (the chat turn's transaction: logged once with the turn,
        even if the update is redelivered), else in a transaction of its own."""
        row = UnansweredQuestion(
            asked_at=asked_at,
            channel=channel,
            chat_id=chat_id,
            user_id=user_id,
            question=question,
            confidence=confidence,
            best_chunk_id=best_chunk_id,
        )
        if session is not None:
            session.add(row)
            return
        with self._sessions.begin() as own:
            own.add(row)

    def latest(self, limit: int = 50) -> Sequence[UnansweredRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(UnansweredQuestion)
                .order_by(UnansweredQuestion.asked_at.desc(), UnansweredQuestion.id.desc())
                .limit(limit)
            ).all()
            return [
                UnansweredRecord(r.asked_at, r.channel, r.user_id, r.question, r.confidence)
                for r in rows
            ]
