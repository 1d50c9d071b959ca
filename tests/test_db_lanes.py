"""Where `run_db` runs database work: off the event loop, on one thread per SQLite database
(its writes take turns anyway) and on a pool for PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store.db import make_engine, run_db, session_factory
from tests.contract.conftest import POSTGRES_URL, postgres_unreachable


async def _threads(engine_url: str, calls: int = 6) -> set[int]:
    engine = make_engine(engine_url)
    sessions = session_factory(engine)
    try:
        found = await asyncio.gather(*(run_db(sessions, threading.get_ident) for _ in range(calls)))
        return set(found)
    finally:
        engine.dispose()


async def test_sqlite_work_runs_off_the_loop_on_one_thread(tmp_path: Path) -> None:
    found = await _threads(f"sqlite:///{tmp_path / 'alone.db'}")
    assert len(found) == 1 and threading.get_ident() not in found


async def test_postgresql_work_runs_off_the_loop() -> None:
    if reason := postgres_unreachable():
        pytest.skip(reason)
    assert threading.get_ident() not in await _threads(POSTGRES_URL)


async def test_the_loop_keeps_serving_while_the_database_works(tmp_path: Path) -> None:
    """A slow statement must not hold up the webhooks waiting on the same loop."""
    engine = make_engine(f"sqlite:///{tmp_path / 'slow.db'}")
    sessions = session_factory(engine)
    release = threading.Event()
    ran: list[str] = []

    def slow() -> int:
        release.wait(5)
        with sessions() as session:
            return int(session.execute(text("SELECT 1")).scalar_one())

    async def other() -> None:
        ran.append("other")
        release.set()

    work = asyncio.create_task(run_db(sessions, slow))
    await other()
    assert await work == 1
    assert ran == ["other"]
    engine.dispose()


async def test_an_error_in_database_work_reaches_the_caller(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'error.db'}")
    sessions = session_factory(engine)

    def fail() -> None:
        raise LookupError("no such row")

    with pytest.raises(LookupError, match="no such row"):
        await run_db(sessions, fail)
    engine.dispose()
