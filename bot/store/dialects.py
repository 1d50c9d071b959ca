"""The few statements that differ between SQLite and PostgreSQL: INSERT ... ON CONFLICT."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_for(dialect: str) -> Any:
    """The dialect's `insert`, which knows `on_conflict_do_nothing`/`on_conflict_do_update`."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


_STATEMENTS: dict[tuple[str, str], Any] = {}


def prebuilt(session: Session, name: str, build: Callable[[str], Any]) -> Any:
    """A statement built once per dialect and then run with parameters: building one costs
    more than running it, and a reused one stays in SQLAlchemy's compiled cache."""
    dialect = session.get_bind().dialect.name
    key = (name, dialect)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = build(dialect)
    return statement
