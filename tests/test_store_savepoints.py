"""SQLite savepoints go straight to the driver (bot.store.db): same effects, SQLAlchemy errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.store.db import make_engine


def test_a_rolled_back_savepoint_undoes_only_its_own_writes(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (v INTEGER)"))
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
        kept = connection.begin_nested()
        connection.execute(text("INSERT INTO t VALUES (2)"))
        kept.commit()
        undone = connection.begin_nested()
        connection.execute(text("INSERT INTO t VALUES (3)"))
        undone.rollback()
        connection.execute(text("INSERT INTO t VALUES (4)"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT v FROM t ORDER BY v")).scalars().all() == [1, 2, 4]
    engine.dispose()


def test_a_driver_error_in_a_savepoint_hook_is_an_sqlalchemy_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    with (
        engine.connect() as connection,
        connection.begin(),
        pytest.raises(OperationalError, match="no such savepoint"),
    ):
        engine.dialect.do_release_savepoint(connection, "sa_savepoint_404")
    engine.dispose()
