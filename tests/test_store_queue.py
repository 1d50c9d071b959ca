"""SQLite transactions of several connections and processes take turns.

A deferred transaction that read and then wants to write fails at once when another
connection committed in between (SQLite cannot upgrade a stale snapshot). Every transaction
begins with BEGIN IMMEDIATE (bot.store.db), so the other one waits instead; processes that
share a file also queue through a lock file (QueuedConnection), so none starves.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError

from bot.store.db import NestedTransactionError, make_engine

ROOT = Path(__file__).resolve().parents[1]


def _counter(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS counter (n INTEGER)"))
        connection.execute(text("DELETE FROM counter"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))


def _deferred_engine(url: str) -> Engine:
    """SQLAlchemy's pysqlite recipe with a plain (deferred) BEGIN, as before BEGIN IMMEDIATE."""
    engine = create_engine(url, connect_args={"timeout": 5})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def _interleave(first: Engine, second: Engine) -> list[str]:
    """`first` reads, `second` writes and commits meanwhile, then `first` writes."""
    events: list[str] = []
    has_read = threading.Event()

    def other() -> None:
        has_read.wait(5)
        with second.begin() as connection:
            connection.execute(text("UPDATE counter SET n = n + 1"))
        events.append("second committed")

    thread = threading.Thread(target=other)
    thread.start()
    try:
        with first.begin() as connection:
            n = connection.execute(text("SELECT n FROM counter")).scalar_one()
            has_read.set()
            thread.join(0.5)  # queued: `second` is still waiting; unqueued: it has committed
            connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 10})
        events.append("first committed")
    except OperationalError as error:
        events.append(f"first failed: {error.orig}")
    thread.join(10)
    return events


def test_a_read_then_write_is_not_broken_by_another_connection_committing_between(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    first, second = make_engine(url), make_engine(url)
    _counter(first)
    assert _interleave(first, second) == ["first committed", "second committed"]
    with first.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 11


def test_a_deferred_transaction_would_fail_there(tmp_path: Path) -> None:
    """What BEGIN IMMEDIATE prevents: the same interleaving on plain pysqlite transactions."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    _counter(make_engine(url))
    first, second = _deferred_engine(url), _deferred_engine(url)
    events = _interleave(first, second)
    assert events[0] == "second committed"
    assert events[1].startswith("first failed: database is locked")


def _hold_then_write(url: str, log: Any, release: Any) -> None:
    """Process A: reads in a transaction, waits to be released, writes, commits."""
    engine = make_engine(url, queue_writers=True)
    with engine.begin() as connection:
        n = connection.execute(text("SELECT n FROM counter")).scalar_one()
        log.put("first read")
        release.wait(10)
        connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 10})
    log.put("first committed")


def _write(url: str, log: Any) -> None:
    """Process B: one write, queued behind whatever transaction holds the turn."""
    engine = make_engine(url, queue_writers=True)
    with engine.begin() as connection:
        connection.execute(text("UPDATE counter SET n = n + 1"))
    log.put("second committed")


def test_queued_transactions_of_two_processes_take_turns_and_lose_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = make_engine(url, queue_writers=True)
    _counter(engine)
    context = multiprocessing.get_context("spawn")
    log, release = context.Queue(), context.Event()
    first = context.Process(target=_hold_then_write, args=(url, log, release))
    first.start()
    assert log.get(timeout=60) == "first read"
    second = context.Process(target=_write, args=(url, log))
    second.start()
    second.join(1.0)  # queued behind the first process's turn: still waiting
    assert second.is_alive()
    release.set()
    events = [log.get(timeout=60), log.get(timeout=60)]
    first.join(60)
    second.join(60)
    assert events == ["first committed", "second committed"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 11
    engine.dispose()


def test_a_second_transaction_in_the_same_thread_is_refused_not_waited_on_forever(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = make_engine(url, queue_writers=True)
    _counter(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE counter SET n = 1"))
        with pytest.raises(NestedTransactionError), engine.begin() as nested:  # 2nd connection
            nested.execute(text("SELECT n FROM counter"))
    with engine.connect() as connection:  # the first one committed; the queue is free again
        assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 1


CHILD = """
import sys
from sqlalchemy import text
from bot.store.db import make_engine
engine = make_engine(sys.argv[1], queue_writers=True)
for _ in range(int(sys.argv[2])):
    with engine.begin() as connection:
        n = connection.execute(text("SELECT n FROM counter")).scalar_one()
        connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
"""


def test_processes_incrementing_one_row_by_read_then_write_lose_no_increment(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = make_engine(url, queue_writers=True)
    _counter(engine)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, url, "300"], cwd=ROOT, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    errors = [child.communicate(timeout=120)[1].decode() for child in children]
    assert [child.returncode for child in children] == [0, 0, 0], errors
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 900
