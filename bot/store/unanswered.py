"""The questions the assistant found no legal basis for, logged for the office to answer once.

Repeats are grouped by `question_key`: the question folded (no diacritics, case or
punctuation), so «Ai tặng giấy khen?» and «ai tang giay khen» count as one question asked
twice. A question the office has since answered (a curated answer) carries its id and leaves
the list.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.store.qa_models import UnansweredQuestion

_NOT_WORD = re.compile(r"[\W_]+")
KEY_LENGTH = 255


def question_key(text: str) -> str:
    """'Ai tặng Giấy khen?' -> 'ai tang giay khen': what repeats of one question share."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(_NOT_WORD.sub(" ", bare).split())[:KEY_LENGTH]


@dataclass(frozen=True)
class UnansweredRecord:
    asked_at: datetime
    channel: str
    user_id: str
    question: str
    confidence: float


@dataclass(frozen=True)
class UnansweredGroup:
    """One question and its repeats: the newest row's id and wording, how often, how many
    chats, when first and last."""

    id: int
    key: str
    question: str
    count: int
    chats: int
    first_at: datetime
    last_at: datetime


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
            question_key=question_key(question),
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


def open_groups(session: Session, limit: int = 50) -> list[UnansweredGroup]:
    """The questions still waiting for the office, most asked first (then the newest)."""
    t = UnansweredQuestion
    grouped = (
        select(
            t.question_key,
            func.max(t.id).label("last_id"),
            func.count().label("n"),
            func.count(func.distinct(t.channel + ":" + t.chat_id)).label("chats"),
            func.min(t.asked_at).label("first_at"),
            func.max(t.asked_at).label("last_at"),
        )
        .where(t.answered_by.is_(None))
        .group_by(t.question_key)
        .order_by(func.count().desc(), func.max(t.id).desc())
        .limit(limit)
    )
    rows = session.execute(grouped).all()
    latest = select(t.id, t.question).where(t.id.in_([r.last_id for r in rows]))
    texts = {row_id: question for row_id, question in session.execute(latest)}
    return [
        UnansweredGroup(
            r.last_id,
            r.question_key,
            texts[r.last_id],
            r.n,
            r.chats,
            r.first_at,  # min() and max() keep the column's type: aware UTC
            r.last_at,
        )
        for r in rows
    ]


def group_of(session: Session, row_id: int) -> list[UnansweredQuestion]:
    """The rows that repeat the question of row `row_id` and are still unanswered."""
    row = session.get(UnansweredQuestion, row_id)
    if row is None:
        return []
    return list(
        session.scalars(
            select(UnansweredQuestion)
            .where(
                UnansweredQuestion.question_key == row.question_key,
                UnansweredQuestion.answered_by.is_(None),
            )
            .order_by(UnansweredQuestion.id)
        )
    )


def waiting(session: Session) -> list[UnansweredQuestion]:
    """Every row not answered yet, oldest first."""
    return list(
        session.scalars(
            select(UnansweredQuestion)
            .where(UnansweredQuestion.answered_by.is_(None))
            .order_by(UnansweredQuestion.id)
        )
    )


def mark_answered(session: Session, row_ids: Sequence[int], curated_id: int) -> None:
    if row_ids:
        session.execute(
            update(UnansweredQuestion)
            .where(UnansweredQuestion.id.in_(list(row_ids)))
            .values(answered_by=curated_id)
        )
