"""Engine creation, schema migration and where database work runs, for SQLite and PostgreSQL.

SQLite: WAL, foreign keys, a busy timeout, and every transaction begun with BEGIN IMMEDIATE
(SQLAlchemy's documented recipe for pysqlite's transaction handling): a transaction that read
first could not upgrade to writing once another connection had committed since, and would
fail at once instead of waiting. Processes that share one SQLite file (`thidua serve
--workers N`) also take turns through a lock file beside it (`QueuedConnection`).
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
T = TypeVar("T")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # Under WAL, NORMAL syncs at checkpoints instead of on every commit: a crash of the process
    # loses nothing, a power cut at most the last few messages.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
    # pysqlite's own BEGIN handling off: SQLAlchemy's "begin" event emits it (below).
    dbapi_connection.isolation_level = None


SNAPSHOT = "thidua_snapshot"  # execution option of a long read's connection (see `snapshot`)


def begin_immediate(connection: Any) -> None:
    if connection.get_execution_options().get(SNAPSHOT):
        connection.exec_driver_sql("BEGIN DEFERRED")  # a WAL reader: takes no writer's turn
        return
    take_turn = getattr(connection.connection.driver_connection, "take_turn", None)
    if take_turn is not None:
        take_turn()
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class NestedTransactionError(RuntimeError):
    """A thread that holds the write queue began a transaction on a second connection."""


_HOLDERS: dict[str, int] = {}  # lock file -> the thread (ident) whose transaction holds it
_HOLDERS_LOCK = threading.Lock()


class QueuedConnection(sqlite3.Connection):
    """A SQLite connection whose transactions queue for one lock file shared by processes.

    SQLite's own wait for its write lock is a sleep with growing back-off, so a process that
    commits and begins again at once keeps the lock while another sleeps: one of two worker
    processes starved. `flock` makes the waiter block in the kernel and wake the moment the
    lock is released. Held from BEGIN to COMMIT or ROLLBACK.
    """

    lock_path: str = ""  # set on the subclass made per database (see `_queued_factory`)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        self._holding = False

    def take_turn(self) -> None:
        if self._holding:
            return
        me = threading.get_ident()
        with _HOLDERS_LOCK:
            if _HOLDERS.get(self.lock_path) == me:  # waiting would be waiting on ourselves
                raise NestedTransactionError(
                    "a transaction was begun on a second connection while this thread's "
                    "first one is still open"
                )
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._holding = True
        with _HOLDERS_LOCK:
            _HOLDERS[self.lock_path] = me

    def _end_turn(self) -> None:
        if self._holding:
            with _HOLDERS_LOCK:
                _HOLDERS.pop(self.lock_path, None)
            self._holding = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._end_turn()
            if self._lock_fd >= 0:
                os.close(self._lock_fd)
                self._lock_fd = -1


# SQLite engines whose file other processes write too (queue_writers): run_db then keeps the
# loop out of their waits.
_SHARED: weakref.WeakSet[Engine] = weakref.WeakSet()


def _queued_factory(lock_path: str) -> type[QueuedConnection]:
    return type("QueuedConnectionFor", (QueuedConnection,), {"lock_path": lock_path})


def json_text(value: Any) -> str:
    """JSON columns' serializer: dict keys that are not strings become strings, as
    `json.dumps` makes them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


_JSON = {"json_serializer": json_text, "json_deserializer": orjson.loads}


def make_engine(url: str, *, queue_writers: bool = False) -> Engine:
    """SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE; its folder is created.

    `queue_writers`: several processes write this SQLite file at once (worker processes of
    one server); their transactions take turns through a lock file beside it. Ignored for
    PostgreSQL, whose row locks need no such thing.
    """
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, **_JSON)
    path = url.split("///", 1)[-1]
    connect_args: dict[str, Any] = {}
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if queue_writers:
            connect_args["factory"] = _queued_factory(path + ".lock")
    engine = create_engine(url, connect_args=connect_args, **_JSON)
    if queue_writers:
        _SHARED.add(engine)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", begin_immediate)
    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def snapshot(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session for a long read that writes nothing (the office's Excel exports), rolled back at
    the end. On SQLite its transaction is DEFERRED: it reads a WAL snapshot and holds no writer's
    lock, so the webhooks and loops go on writing while a workbook is built. On PostgreSQL it is
    REPEATABLE READ and read-only: every statement reads the same snapshot, as on SQLite."""
    options: dict[str, Any] = {SNAPSHOT: True}
    if sessions.kw["bind"].dialect.name == "postgresql":  # one snapshot for every statement
        options |= {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with sessions() as session:
        session.connection(execution_options=options)
        try:
            yield session
        finally:
            session.rollback()


_THREADS: weakref.WeakKeyDictionary[Engine, ThreadPoolExecutor] = weakref.WeakKeyDictionary()


def _threads_for(engine: Engine) -> ThreadPoolExecutor:
    """SQLite writes one transaction at a time whatever we do: one thread, whose queue serves
    in order (threads of one process waiting on SQLite's busy handler would sleep and retry).
    PostgreSQL: a pool, as row locks let its transactions run side by side."""
    executor = _THREADS.get(engine)
    if executor is None:
        workers = 1 if engine.dialect.name == "sqlite" else 8
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="db")
        _THREADS[engine] = executor
        weakref.finalize(engine, executor.shutdown, wait=False)
    return executor


async def run_db(
    sessions: sessionmaker[Session], func: Callable[..., T], /, *args: Any, **kwargs: Any
) -> T:
    """Runs blocking database work where it costs least without stalling others.

    A process alone on its SQLite file (`thidua run`, `thidua serve` with one worker): on the
    event loop's own thread. Its statements take microseconds, a WAL commit does not wait for
    the disk, and one process writes one transaction at a time anyway; a hop to a thread and
    back, with the interpreter's lock passed to and fro, cost more than most of the work it
    carried. The loop gets its turn after each call. The dashboard's requests, on the web
    server's threads, read from snapshots and write only within one call on their thread
    (bot.web.deps): the loop waits at most that long for SQLite's lock. Processes sharing a
    SQLite file wait for each other's transactions (`QueuedConnection`), and PostgreSQL for
    the network: there the work goes to the engine's threads, so the loop goes on meanwhile.
    """
    engine = sessions.kw["bind"]
    if engine.dialect.name == "sqlite" and engine not in _SHARED:
        result = func(*args, **kwargs)
        await asyncio.sleep(0)
        return result
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        _threads_for(engine), functools.partial(func, *args, **kwargs)
    )
