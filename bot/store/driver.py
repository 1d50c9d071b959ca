"""Statements every update runs, compiled once per dialect and executed on the driver itself.

SQLAlchemy's Core `Connection.execute` of a cached statement cost ~85 µs of CPU on this
machine on top of the ~14 µs sqlite3 itself took for the same SELECT: building an execution
context, processing parameters and wrapping the result. A chat message runs five such
statements (its dedupe key, caller and conversation, the conversation write, its reply), and
they run inside the write transaction, which worker processes queue for. `DriverStatement`
keeps SQLAlchemy for what it is good at here, writing the SQL and converting values per
dialect (bind and result processors of the columns' types), and hands the compiled string to
the DBAPI cursor of the connection the session already holds, in the same transaction.

Only statements without expanding (`IN`) parameters qualify; driver errors are raised as
SQLAlchemy's own exceptions (`IntegrityError`...), so callers catch what they always caught.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import Compiled

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    """One statement as one dialect's driver takes it."""

    sql: str
    positional: tuple[tuple[str, Processor], ...] | None  # in order; None: named style
    binds: dict[str, Processor]
    defaults: dict[str, Any]  # values fixed in the statement (e.g. status='pending')
    results: tuple[Processor, ...] | None  # None: no column needs converting
    row: Any  # a namedtuple class over the result columns' keys


@dataclass(frozen=True)
class Outcome:
    """What a statement gave back: rows (named tuples) and the number of rows it changed."""

    rows: list[Any]
    rowcount: int

    def first(self) -> Any | None:
        return self.rows[0] if self.rows else None


class DriverStatement:
    """A Core statement built lazily per dialect (`build(dialect_name)`), run on the driver."""

    def __init__(self, build: Callable[[str], Any]) -> None:
        self._build = build
        self._plans: dict[str, _Plan] = {}

    def _plan_for(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _plan(self._build(dialect.name), dialect)
        return plan

    def run_many(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """One statement for many parameter sets (the driver's executemany); rows changed."""
        if not rows:
            return 0
        plan = self._plan_for(connection.dialect)
        bound = [_bind(plan, params) for params in rows]
        with driver_cursor(connection, plan.sql, bound) as cursor:
            cursor.executemany(plan.sql, bound)
            return int(cursor.rowcount)

    def run(self, connection: Connection, params: Mapping[str, Any]) -> Outcome:
        plan = self._plan_for(connection.dialect)
        bound = _bind(plan, params)
        with driver_cursor(connection, plan.sql, bound) as cursor:
            cursor.execute(plan.sql, bound)
            raw = cursor.fetchall() if cursor.description is not None else []
            rowcount = cursor.rowcount
        results = plan.results
        make = plan.row._make
        if results is None:
            rows = [make(r) for r in raw]
        else:
            rows = [
                make([v if p is None else p(v) for v, p in zip(r, results, strict=True)])
                for r in raw
            ]
        return Outcome(rows, rowcount)


def session_connection(session: Session) -> Connection:
    """`session.connection()`, looked up once per transaction and savepoint: each call goes
    through the session's transaction state checks, 6 % of a grouped turn's instructions
    (bench/instructions.py) when every statement asked.

    Kept per innermost transaction, not per connection: a savepoint (`begin_nested`) is
    emitted only when its first statement asks the session for the connection, so a new
    savepoint, or the end of one, asks again; so does a transaction that failed.
    """
    current = session.get_nested_transaction() or session.get_transaction()
    kept = session.info.get("driver_connection")
    if kept is not None and kept[0] is current and current is not None and current.is_active:
        connection: Connection = kept[1]
        return connection
    connection = session.connection()
    session.info["driver_connection"] = (
        session.get_nested_transaction() or session.get_transaction(),
        connection,
    )
    return connection


@contextmanager
def driver_cursor(connection: Connection, sql: str, bound: Any) -> Iterator[Any]:
    """A cursor of the session's driver connection; driver errors as SQLAlchemy's."""
    dialect = connection.dialect
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    except dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(
            sql, bound, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    finally:
        cursor.close()


def _bind(plan: _Plan, params: Mapping[str, Any]) -> Any:
    """The parameters as the driver takes them: converted, in order or by name."""
    values = {**plan.defaults, **params} if plan.defaults else params
    if plan.positional is not None:
        return [
            values[name] if proc is None else proc(values[name]) for name, proc in plan.positional
        ]
    binds = plan.binds
    return {
        name: value if (proc := binds.get(name)) is None else proc(value)
        for name, value in values.items()
    }


def _plan(statement: Any, dialect: Dialect) -> _Plan:
    compiled: Compiled = statement.compile(dialect=dialect)
    binds: dict[str, Processor] = {}
    defaults: dict[str, Any] = {}
    for name, bind in compiled.binds.items():  # type: ignore[attr-defined]
        if bind.expanding or bind.callable is not None:
            raise ValueError(f"{name}: expanding and callable parameters need SQLAlchemy")
        binds[name] = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if not bind.required:
            defaults[name] = bind.value
    positiontup = getattr(compiled, "positiontup", None)
    columns = list(getattr(statement, "exported_columns", ()))
    results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    row = namedtuple("Row", [c.key for c in columns], rename=True)  # type: ignore[misc]
    return _Plan(
        compiled.string,
        None if positiontup is None else tuple((name, binds[name]) for name in positiontup),
        binds,
        defaults,
        results if any(results) else None,
        row,
    )
