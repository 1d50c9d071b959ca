"""Engine creation and schema migration for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import weakref
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot.store.driver import driver_cursor

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # Under WAL, NORMAL syncs at checkpoints instead of on every commit: a crash of the process
    # loses nothing, a power cut at most the last few messages; FULL cost ~7 ms per message.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
    # pysqlite opens a transaction only before INSERT/UPDATE/DELETE: a SAVEPOINT reached with
    # only SELECTs before it would start (and its RELEASE commit) a transaction of its own,
    # outside the message's transaction. Take transactions over: BEGIN is emitted explicitly.
    dbapi_connection.isolation_level = None


def _sqlite_begin(dbapi_connection: Any) -> None:
    # Straight to the driver: through exec_driver_sql this cost ~85 µs of every message's CPU.
    # Installed as the dialect's `do_begin`, not as a "begin" event: any engine event makes
    # SQLAlchemy dispatch (empty) before/after events around every statement of every message.
    take_turn = getattr(dbapi_connection, "take_turn", None)  # the pool's proxy forwards it
    if take_turn is not None:
        take_turn()
    dbapi_connection.execute("BEGIN")


def _sqlite_savepoint_call(template: str) -> Any:
    """A dialect savepoint hook (SAVEPOINT, RELEASE, ROLLBACK TO) straight to the driver
    (its errors raised as SQLAlchemy's, as `bot.store.driver` does).

    SQLAlchemy compiles a new savepoint clause on every call: ~90 µs each, twice per turn
    when a group of turns runs with a savepoint per turn (`Router.handle_group`, once one of
    them raised).
    Names are SQLAlchemy's own (`sa_savepoint_N`).
    """

    def run(connection: Any, name: str) -> None:
        sql = template.format(name=name)
        with driver_cursor(connection, sql, ()) as cursor:
            cursor.execute(sql)

    return run


class NestedTransactionError(RuntimeError):
    """A thread that holds the write queue began a transaction on a second connection."""


_HOLDERS: dict[str, int] = {}  # lock file -> the thread (ident) whose transaction holds it
_HOLDERS_LOCK = threading.Lock()


class QueuedConnection(sqlite3.Connection):
    """A SQLite connection whose transactions queue for one lock file shared by processes.

    SQLite's own wait for its write lock is a sleep with growing back-off (1, 2, 5, 10 ... 100
    ms a try), so a process that commits and begins again at once keeps the lock while another
    sleeps: with two worker processes each writing back to back, one starved and the pair
    handled no more than one process alone. `flock` makes the waiter block in the kernel and
    wake the moment the lock is released. Every transaction takes it (a read that later
    writes could not upgrade once another process had committed), from BEGIN to its COMMIT
    or ROLLBACK. Used by processes that share a database with others of their kind
    (`thidua serve --workers N`); one process alone needs none of it.
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


def _queued_factory(lock_path: str) -> type[QueuedConnection]:
    return type("QueuedConnectionFor", (QueuedConnection,), {"lock_path": lock_path})


_SHARED: weakref.WeakSet[Engine] = weakref.WeakSet()  # engines made with queue_writers


def writers_queue(engine: Engine) -> bool:
    """Whether this engine's SQLite file is written by other processes too, its transactions
    waiting for their turn (`QueuedConnection`): such a wait must not hold an event loop."""
    return engine in _SHARED


def json_text(value: Any) -> str:
    """JSON columns' serializer: orjson, several times faster than the standard library on
    the payloads and drafts every message writes; dict keys that are not strings become
    strings, as `json.dumps` makes them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


_JSON = {"json_serializer": json_text, "json_deserializer": orjson.loads}


def make_engine(url: str, *, queue_writers: bool = False) -> Engine:
    """SQLite gets WAL, foreign keys and a busy timeout; its folder is created.

    `queue_writers`: several processes write this SQLite file at once (worker processes of
    one server); their transactions take turns through a lock file beside it (see
    `QueuedConnection`). Ignored for PostgreSQL, whose row locks need no such thing.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        connect_args: dict[str, Any] = {}
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            if queue_writers:
                connect_args["factory"] = _queued_factory(path + ".lock")
        engine = create_engine(url, connect_args=connect_args, **_JSON)
        if "factory" in connect_args:
            _SHARED.add(engine)
        event.listen(engine, "connect", _sqlite_pragmas)
        engine.dialect.do_begin = _sqlite_begin  # type: ignore[method-assign]
        dialect: Any = engine.dialect
        dialect.do_savepoint = _sqlite_savepoint_call("SAVEPOINT {name}")
        dialect.do_release_savepoint = _sqlite_savepoint_call("RELEASE SAVEPOINT {name}")
        dialect.do_rollback_to_savepoint = _sqlite_savepoint_call("ROLLBACK TO SAVEPOINT {name}")
        return engine
    return create_engine(url, pool_pre_ping=True, **_JSON)


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
