"""Where `run_db` runs database work: on the loop's own thread for a process alone on its
SQLite file, on one thread of its own where processes share the file (a transaction may wait
for another process's turn), and on a pool for PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store.db import make_engine, run_db, session_factory
from tests.contract.conftest import POSTGRES_URL, postgres_unreachable


async def _threads(engine_url: str, calls: int = 6, *, queue_writers: bool = False) -> set[int]:
    engine = make_engine(engine_url, queue_writers=queue_writers)
    sessions = session_factory(engine)
    try:
        found = await asyncio.gather(*(run_db(sessions, threading.get_ident) for _ in range(calls)))
        return set(found)
    finally:
        engine.dispose()


async def test_a_process_alone_on_its_sqlite_file_works_on_the_loops_thread(
    tmp_path: Path,
) -> None:
    assert await _threads(f"sqlite:///{tmp_path / 'alone.db'}") == {threading.get_ident()}


async def test_processes_sharing_a_sqlite_file_wait_on_one_thread_of_their_own(
    tmp_path: Path,
) -> None:
    found = await _threads(f"sqlite:///{tmp_path / 'shared.db'}", queue_writers=True)
    assert len(found) == 1 and threading.get_ident() not in found


async def test_postgresql_work_runs_off_the_loop() -> None:
    if reason := postgres_unreachable():
        pytest.skip(reason)
    assert threading.get_ident() not in await _threads(POSTGRES_URL)


async def test_the_loop_keeps_serving_while_the_database_works(tmp_path: Path) -> None:
    """Where a transaction may wait (here: for another process), the loop goes on."""
    engine = make_engine(f"sqlite:///{tmp_path / 'slow.db'}", queue_writers=True)
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


async def test_work_on_the_loops_thread_still_gives_other_tasks_their_turn(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    sessions = session_factory(engine)
    ran: list[int] = []

    async def other() -> None:
        ran.append(len(ran))

    def read() -> int:
        with sessions() as session:
            return int(session.execute(text("SELECT 1")).scalar_one())

    task = asyncio.create_task(other())
    assert await run_db(sessions, read) == 1
    assert ran == [0], "the task queued before the call did not run after it"
    await task
    engine.dispose()


@pytest.mark.parametrize("queue_writers", [False, True])
async def test_an_error_in_database_work_reaches_the_caller(
    tmp_path: Path, queue_writers: bool
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'error.db'}", queue_writers=queue_writers)
    sessions = session_factory(engine)

    def fail() -> None:
        raise LookupError("no such row")

    with pytest.raises(LookupError, match="no such row"):
        await run_db(sessions, fail)
    engine.dispose()
