"""Answers given in chats, with the question, the answer and its citations, and the asker's
👍 or 👎 (with an optional reason): what `thidua feedback` lists and the office reviews.

A row is written in the turn that answered, so its id can ride on the buttons under the
answer; pressing one rates that row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store.models import Json
from bot.store.qa_models import AnswerLog
from bot.store.unanswered import question_key

UP = "up"
DOWN = "down"
REASON_LIMIT = 500


def log_answer(
    session: Session,
    *,
    asked_at: datetime,
    channel: str,
    chat_id: str,
    user_id: str,
    question: str,
    answer: str,
    citations: Sequence[Json],
    curated_id: int | None = None,
) -> int:
    """The new row's id (flushed: the buttons under the answer carry it)."""
    row = AnswerLog(
        asked_at=asked_at,
        channel=channel,
        chat_id=chat_id,
        user_id=user_id,
        question=question,
        question_key=question_key(question),
        answer=answer,
        citations=list(citations),
        curated_id=curated_id,
        rating="",
        reason="",
    )
    session.add(row)
    session.flush()
    return row.id


def get(session: Session, answer_id: int) -> AnswerLog | None:
    return session.get(AnswerLog, answer_id)


def rate(session: Session, row: AnswerLog, rating: str, now: datetime) -> None:
    """A new rating replaces the old one; a changed mind clears the old reason."""
    if row.rating != rating:
        row.reason = ""
    row.rating = rating
    row.rated_at = now


def set_reason(session: Session, answer_id: int, reason: str) -> None:
    session.execute(
        update(AnswerLog)
        .where(AnswerLog.id == answer_id)
        .values(reason=reason.strip()[:REASON_LIMIT])
    )


def latest_of(
    session: Session, channel: str, chat_id: str, user_id: str, since: datetime
) -> AnswerLog | None:
    """The newest answer given to this person in this chat since `since`."""
    return session.scalars(
        select(AnswerLog)
        .where(
            AnswerLog.channel == channel,
            AnswerLog.chat_id == chat_id,
            AnswerLog.user_id == user_id,
            AnswerLog.asked_at >= since,
        )
        .order_by(AnswerLog.asked_at.desc(), AnswerLog.id.desc())
        .limit(1)
    ).first()


def rated(session: Session, limit: int = 50) -> list[AnswerLog]:
    """Answers with a 👍 or 👎, the newest rating first."""
    return list(
        session.scalars(
            select(AnswerLog)
            .where(AnswerLog.rating != "")
            .order_by(AnswerLog.rated_at.desc(), AnswerLog.id.desc())
            .limit(limit)
        )
    )


def disliked(session: Session, *, open_only: bool = True) -> list[AnswerLog]:
    """👎 answers (not yet answered by the office, with `open_only`), oldest first."""
    query = select(AnswerLog).where(AnswerLog.rating == DOWN)
    if open_only:
        query = query.where(AnswerLog.answered_by.is_(None))
    return list(session.scalars(query.order_by(AnswerLog.id)))


def disliked_groups(session: Session) -> list[list[AnswerLog]]:
    """The open 👎 answers grouped by their folded question (each group oldest first), the
    most disliked question first, then the newest."""
    groups: dict[str, list[AnswerLog]] = defaultdict(list)
    for row in disliked(session):
        groups[row.question_key].append(row)
    return sorted(groups.values(), key=lambda g: (-len(g), -g[-1].id))


def mark_answered(session: Session, row_ids: Sequence[int], curated_id: int) -> None:
    if row_ids:
        session.execute(
            update(AnswerLog).where(AnswerLog.id.in_(list(row_ids))).values(answered_by=curated_id)
        )
