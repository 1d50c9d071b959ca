"""bot.store.db.snapshot on every backend: a long read (the office's exports) lets others write
meanwhile, reads one snapshot from its first statement to its last, and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import snapshot
from bot.store.models import Unit


def units(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Unit)) or 0)


def test_others_write_while_a_snapshot_reads_what_was(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(Unit(code="SNV", name="Sở Nội vụ"))
    with snapshot(sessions) as reading:
        assert units(reading) == 1
        with sessions.begin() as other:  # on SQLite: would wait, then fail, behind a writer
            other.add(Unit(code="STP", name="Sở Tư pháp"))
        assert units(reading) == 1
    with sessions() as session:
        assert units(session) == 2


def test_a_snapshot_writes_nothing(sessions: sessionmaker[Session]) -> None:
    with snapshot(sessions) as reading:
        reading.add(Unit(code="SYT", name="Sở Y tế"))
        if reading.get_bind().dialect.name == "postgresql":
            with pytest.raises(DBAPIError):  # a read-only transaction refuses the write
                reading.flush()
        else:
            reading.flush()  # SQLite: written into the transaction, which is rolled back
    with sessions() as session:
        assert units(session) == 0
