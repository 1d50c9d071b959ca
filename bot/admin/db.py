"""Opening the records for an admin command: migrate, seed the titles, hand out sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.store.db import make_engine, migrate, session_factory
from bot.store.org import seed_titles


@contextmanager
def open_sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Every admin command may be the first to touch a fresh database, so each one migrates."""
    engine = make_engine(settings.db_url)
    try:
        migrate(engine)
        sessions = session_factory(engine)
        with sessions.begin() as session:
            seed_titles(session)
        yield sessions
    finally:
        engine.dispose()
