"""What answers a question typed to the bot, in order: a greeting gets a greeting, then the
office's curated answer when one fits, then the search over the texts (bot.core.qa).

The unanswered log behind the search keeps real questions only (`RealQuestions`): greetings,
invite codes, emoji, bare numbers and commands would bury what the office needs to answer.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from bot import metrics
from bot.core.curated import CuratedLibrary
from bot.core.qa import ANSWERED_BY, MAX_QUESTION_CHARS, UnansweredSink, has_words
from bot.core.questions import is_chatter, is_real_question
from bot.i18n import vi
from bot.messages import Incoming, Reply

CURATED_BY = "curated"  # Reply.meta ANSWERED_BY of the office's answers


class Asker(Protocol):
    def ask(
        self, message: Incoming, top_k: int | None = None, *, session: Session | None = None
    ) -> Reply: ...


class AnswerDesk:
    """The asker the router and `thidua ask` use (same `ask` as bot.core.qa's)."""

    def __init__(self, qa: Asker, curated: CuratedLibrary | None = None) -> None:
        self.qa = qa
        self.curated = curated

    def ask(
        self, message: Incoming, top_k: int | None = None, *, session: Session | None = None
    ) -> Reply:
        question = unicodedata.normalize("NFC", message.text).strip()
        if is_chatter(question):
            return Reply(vi.GREETING, found=False)
        if self.curated is not None and has_words(question) and len(question) <= MAX_QUESTION_CHARS:
            reply = self.curated.answer(question, session)
            if reply is not None:  # the office's answer wins over the search and any model
                metrics.QUESTIONS.labels("curated").inc()
                return replace(reply, meta={**reply.meta, ANSWERED_BY: CURATED_BY})
        reply = self.qa.ask(message, top_k, session=session)
        metrics.QUESTIONS.labels("answered" if reply.found else "refused").inc()
        return reply


class RealQuestions:
    """An unanswered log that lets only real questions through (bot.core.questions)."""

    def __init__(self, log: UnansweredSink) -> None:
        self._log = log

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
        if is_real_question(question):
            self._log.record(
                asked_at=asked_at,
                channel=channel,
                chat_id=chat_id,
                user_id=user_id,
                question=question,
                confidence=confidence,
                best_chunk_id=best_chunk_id,
                session=session,
            )
