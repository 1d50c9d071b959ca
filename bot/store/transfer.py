"""Copying an office's records from one database to another (`thidua db copy`): the upgrade
path from the SQLite file to PostgreSQL.

The target must be empty; it is migrated to the newest schema first, and the copy runs in one
transaction of the target, so a failure leaves it as empty as it was and the command can simply
be run again. The source is read in one transaction too (on SQLite, which holds its write lock
for it), so the copy is one consistent moment of it. Tables go in dependency order
(`Base.metadata.sorted_tables`) with their ids; a table that refers to itself (a unit's parent
unit) gets those references after all its rows are in. PostgreSQL's id sequences then start
after the largest copied id, and every table's row count is compared with the source's before
the commit.

The tables are the models' own (their column types turn SQLite's stored text back into aware
datetimes and JSON), so the copy works through the same types the application does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, Engine, Table, bindparam, func, inspect, select, text
from sqlalchemy.schema import ForeignKey

from bot.store import schema  # noqa: F401  (registers every table)
from bot.store.db import MIGRATIONS_DIR, migrate
from bot.store.models import Base

BATCH = 1000
VERSION_TABLE = "alembic_version"

# the table being copied, rows copied so far (all tables), rows to copy (all tables)
Progress = Callable[[str, int, int], None]


class CopyRefused(Exception):
    """The copy was not started, or was undone; the attributes say why."""


@dataclass
class SourceBehind(CopyRefused):
    """The source's schema is not the newest one (`current` is None: never migrated)."""

    current: str | None
    head: str


@dataclass
class TargetNotEmpty(CopyRefused):
    """Tables of the target that already hold rows, with their counts."""

    tables: dict[str, int]


@dataclass
class UnknownTables(CopyRefused):
    """Tables of the source that no model describes: they would be left behind."""

    tables: list[str]


@dataclass
class CountMismatch(CopyRefused):
    """A table whose row count differs after the copy: (source, target)."""

    table: str
    source: int
    target: int


@dataclass
class CopyReport:
    """Rows copied per table, in the order they were copied."""

    rows: dict[str, int] = field(default_factory=dict)
    sequences: list[str] = field(default_factory=list)  # PostgreSQL sequences moved on

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def head_revision() -> str:
    config_dir = ScriptDirectory(str(MIGRATIONS_DIR))
    head = config_dir.get_current_head()
    assert head is not None
    return head


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def tables() -> list[Table]:
    """Every table the application keeps, parents before children."""
    return list(Base.metadata.sorted_tables)


def _count(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def check_source(connection: Connection) -> None:
    """Raises SourceBehind or UnknownTables."""
    head = head_revision()
    current = _current_revision(connection)
    if current != head:
        raise SourceBehind(current, head)
    known = {table.name for table in tables()} | {VERSION_TABLE}
    unknown = sorted(set(inspect(connection).get_table_names()) - known)
    if unknown:
        raise UnknownTables(unknown)


def check_target_empty(connection: Connection) -> None:
    """Raises TargetNotEmpty when any of our tables that exist there holds a row."""
    present = set(inspect(connection).get_table_names())
    full = {
        table.name: rows
        for table in tables()
        if table.name in present and (rows := _count(connection, table))
    }
    if full:
        raise TargetNotEmpty(full)


def _self_references(table: Table) -> list[Column[Any]]:
    fks: set[ForeignKey] = table.foreign_keys
    return [fk.parent for fk in fks if fk.column.table is table]


def _batches(connection: Connection, table: Table, size: int) -> Iterator[Sequence[Any]]:
    order = list(table.primary_key.columns)
    result = connection.execution_options(yield_per=size).execute(select(table).order_by(*order))
    yield from result.partitions(size)


def _copy_table(
    source: Connection, target: Connection, table: Table, batch: int, copied: Callable[[int], None]
) -> int:
    later = _self_references(table)
    pending: list[dict[str, Any]] = []  # the self-references, set once every row is in
    done = 0
    for rows in _batches(source, table, batch):
        values = [dict(row._mapping) for row in rows]
        if later:
            keys = [c.name for c in table.primary_key.columns]
            for row in values:
                refs = {c.name: row[c.name] for c in later if row[c.name] is not None}
                if refs:
                    pending.append({**{f"key_{k}": row[k] for k in keys}, **refs})
                row.update({c.name: None for c in later})
        target.execute(table.insert(), values)
        done += len(values)
        copied(len(values))
    if pending:
        _set_references(target, table, later, pending)
    return done


def _set_references(
    target: Connection, table: Table, columns: list[Column[Any]], rows: list[dict[str, Any]]
) -> None:
    where = [c == bindparam(f"key_{c.name}") for c in table.primary_key.columns]
    for column in columns:
        having = [row for row in rows if column.name in row]
        if having:
            statement = table.update().where(*where).values({column.name: bindparam(column.name)})
            keys = [f"key_{c.name}" for c in table.primary_key.columns]
            target.execute(statement, [{k: r[k] for k in [*keys, column.name]} for r in having])


def _reset_sequences(target: Connection) -> list[str]:
    """PostgreSQL: each serial id's sequence continues after the largest id (a fresh row
    would otherwise take id 1 and collide)."""
    if target.dialect.name != "postgresql":
        return []
    moved = []
    for table in tables():
        for column in table.primary_key.columns:
            sequence = target.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar_one()
            if sequence is None:
                continue
            top = target.execute(select(func.max(column))).scalar_one()
            target.execute(
                text("SELECT setval(:sequence, :next, false)"),
                {"sequence": sequence, "next": (top or 0) + 1},
            )
            moved.append(sequence)
    return moved


def copy_database(
    source: Engine,
    target: Engine,
    *,
    batch: int = BATCH,
    progress: Progress = lambda _table, _done, _total: None,
) -> CopyReport:
    """Copies every table of `source` into the empty `target` (migrated here first). Raises
    a CopyRefused subclass, and leaves the target's rows untouched, when the source is not at
    the newest migration, the target holds rows, or a count differs after the copy."""
    with source.connect() as reading:
        check_source(reading)
    with target.connect() as connection:
        check_target_empty(connection)
    migrate(target)
    report = CopyReport()
    with source.begin() as reading, target.begin() as writing:
        check_target_empty(writing)  # a migration that seeded rows, or a race
        expected = {table.name: _count(reading, table) for table in tables()}
        total, done = sum(expected.values()), 0
        for table in tables():

            def copied(rows: int, name: str = table.name) -> None:
                nonlocal done
                done += rows
                progress(name, done, total)

            progress(table.name, done, total)
            report.rows[table.name] = _copy_table(reading, writing, table, batch, copied)
        for table in tables():
            found = _count(writing, table)
            if found != expected[table.name]:
                raise CountMismatch(table.name, expected[table.name], found)
        report.sequences = _reset_sequences(writing)
    return report
