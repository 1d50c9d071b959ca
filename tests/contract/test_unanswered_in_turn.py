"""A question without a legal basis, asked over a chat platform, is answered and logged once.

Over Telegram and Zalo the turn runs with the update's key: its first statement writes the
dedupe row, so on SQLite the turn holds the write lock. The log row used to be written on a
second connection, which waited five seconds for that lock, failed, and turned the answer into
"an error occurred" with nothing logged. It now goes into the turn's own transaction.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.qa import QuestionAnswering
from bot.core.router import Router
from bot.delivery.turns import Turns
from bot.i18n import vi
from bot.messages import Incoming
from bot.store.outbox import OutboxMessage
from bot.store.qa_models import UnansweredQuestion
from bot.store.unanswered import UnansweredLog
from knowledge import ExtractiveAnswerer
from knowledge.documents import Passage

from .test_store_contract import NOW


class NothingFound:
    """A retriever over an empty knowledge base."""

    def search(self, query: str, k: int = 10, *, today: date) -> list[Passage]:
        return []


def _turns(sessions: sessionmaker[Session]) -> Turns:
    qa = QuestionAnswering(
        NothingFound(), ExtractiveAnswerer(threshold=0.5), UnansweredLog(sessions), now=lambda: NOW
    )
    return Turns(sessions, Router(qa), lambda: NOW)


def test_unanswered_question_over_a_platform_is_answered_and_logged_once(
    sessions: sessionmaker[Session],
) -> None:
    turns = _turns(sessions)
    question = Incoming("telegram", "42", "42", text="thoi tiet hom nay the nao")

    replies = turns.run(question, update_key="upd-1", outbox_replies=True)
    again = turns.run(question, update_key="upd-1", outbox_replies=True)  # redelivered

    assert [r.text for r in replies] == [vi.NOT_FOUND]
    assert again == []
    with sessions() as session:
        logged = session.scalars(select(UnansweredQuestion.question)).all()
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert logged == ["thoi tiet hom nay the nao"]
    assert queued == 1


def test_unanswered_question_outside_a_turn_is_logged_in_its_own_transaction(
    sessions: sessionmaker[Session],
) -> None:
    qa = QuestionAnswering(
        NothingFound(), ExtractiveAnswerer(threshold=0.5), UnansweredLog(sessions), now=lambda: NOW
    )
    reply = qa.ask(Incoming("console", "c", "u", text="giá vàng hôm nay"))
    assert reply.found is False
    assert [r.question for r in UnansweredLog(sessions).latest()] == ["giá vàng hôm nay"]
