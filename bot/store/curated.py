"""The office's curated answers: a question answered once, its wordings (with their
embeddings) and the provisions it rests on; withdrawn ones wait for review.

Vectors are float32 bytes: the matcher reads every active wording on each question, and bytes
turn into an array without parsing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Json
from bot.store.qa_models import CuratedAnswer, CuratedQuestion

ACTIVE = "active"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Wording:
    """One wording of the question, with its vectors as typed and folded."""

    text: str
    key: str
    model_id: str
    vector: bytes
    folded_vector: bytes


@dataclass(frozen=True)
class StoredWording:
    curated_id: int
    text: str
    key: str
    model_id: str
    vector: bytes
    folded_vector: bytes


def add(
    session: Session,
    *,
    question: str,
    answer: str,
    citations: Sequence[Json],
    answered_on: date,
    wordings: Sequence[Wording],
    now: datetime,
    source: str = "",
) -> CuratedAnswer:
    row = CuratedAnswer(
        question=question,
        answer=answer,
        citations=list(citations),
        status=ACTIVE,
        review_note="",
        answered_on=answered_on,
        source=source,
        created_at=now,
        updated_at=now,
    )
    row.questions = [_question(w) for w in wordings]
    session.add(row)
    session.flush()
    return row


def _question(wording: Wording) -> CuratedQuestion:
    return CuratedQuestion(
        text=wording.text,
        key=wording.key,
        model_id=wording.model_id,
        vector=wording.vector,
        folded_vector=wording.folded_vector,
    )


def add_wordings(session: Session, row: CuratedAnswer, wordings: Sequence[Wording]) -> None:
    """Wordings not yet known (by key) join the answer's."""
    known = {q.key for q in row.questions}
    for wording in wordings:
        if wording.key not in known:
            row.questions.append(_question(wording))
            known.add(wording.key)


def get(session: Session, curated_id: int) -> CuratedAnswer | None:
    return session.get(CuratedAnswer, curated_id)


def listing(session: Session, status: str | None = None) -> list[CuratedAnswer]:
    query = select(CuratedAnswer).order_by(CuratedAnswer.id)
    if status is not None:
        query = query.where(CuratedAnswer.status == status)
    return list(session.scalars(query))


def active_wordings(session: Session) -> list[StoredWording]:
    """Every wording of every active answer, in one query."""
    q, a = CuratedQuestion, CuratedAnswer
    rows = session.execute(
        select(q.curated_id, q.text, q.key, q.model_id, q.vector, q.folded_vector)
        .join(a, a.id == q.curated_id)
        .where(a.status == ACTIVE)
        .order_by(q.id)
    ).all()
    return [StoredWording(*row) for row in rows]


def withdraw(session: Session, row: CuratedAnswer, note: str, now: datetime) -> None:
    row.status = WITHDRAWN
    row.review_note = note[:500]
    row.updated_at = now


def restore(session: Session, row: CuratedAnswer, citations: Sequence[Json], now: datetime) -> None:
    """Back in use, resting on the provisions as they read now."""
    row.status = ACTIVE
    row.review_note = ""
    row.citations = list(citations)
    row.updated_at = now


def remove(session: Session, curated_id: int) -> bool:
    row = session.get(CuratedAnswer, curated_id)
    if row is None:
        return False
    session.delete(row)
    return True
