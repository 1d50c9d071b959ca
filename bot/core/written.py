"""Answers a language model writes, asked for outside the turn's transaction.

A turn runs in one database transaction (bot.delivery.turns) and must never hold it while a
model writes for seconds. So when the Q&A inside a turn wants the model's answer and has none
yet, it raises WaitOutside: the turn rolls back, its caller runs the model with no transaction
open (the inbox worker on a thread, while the chat shows the bot typing) and the result waits
here, and the turn runs again and takes it. Outside any transaction (`thidua ask`) the model
is asked at once. What waits here is only ever the next try of the same turn: nothing is lost
if the process dies, the turn just asks again.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Protocol

from sqlalchemy.orm import Session

from bot.messages import Incoming, WaitOutside
from knowledge.answer import Answer

log = logging.getLogger(__name__)

ERROR = "error"  # the writer itself failed (a bug): the extractive answer stands

Key = tuple[str, ...]


class Writer(Protocol):
    """knowledge.llm.ModelWriter: the model's checked answer, or `answer` with the reason."""

    def write(self, question: str, answer: Answer) -> Answer: ...


class ModelAnswers:
    """The model's answers to the questions of turns waiting to run again."""

    def __init__(self, writer: Writer, *, keep: int = 256) -> None:
        """`keep`: answers held at most (more than the turns one process runs at once)."""
        self._writer = writer
        self._keep = keep
        self._done: OrderedDict[Key, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def written(
        self, message: Incoming, question: str, answer: Answer, session: Session | None
    ) -> Answer:
        """The model's answer to `question` from `answer`'s clauses. Inside a transaction
        (`session`), one written before this try of the turn, or WaitOutside."""
        if not answer.found:
            return answer
        if session is None:
            return self._write(question, answer)
        key = _key(message, question, answer)
        with self._lock:
            done = self._done.pop(key, None)
        if done is not None:
            return done
        raise WaitOutside(functools.partial(self._keep_written, key, question, answer))

    def _keep_written(self, key: Key, question: str, answer: Answer) -> None:
        written = self._write(question, answer)
        with self._lock:
            self._done[key] = written
            while len(self._done) > self._keep:
                self._done.popitem(last=False)

    def _write(self, question: str, answer: Answer) -> Answer:
        try:
            return self._writer.write(question, answer)
        except Exception:
            log.exception("the model's answer could not be written")
            return replace(answer, rejected=ERROR)


def _key(message: Incoming, question: str, answer: Answer) -> Key:
    """One message's question and the clauses it would be written from."""
    ids = (p.chunk.id for p in answer.clauses())
    return (message.channel, message.chat_id, message.user_id, message.message_id, question, *ids)
