"""The inbox's hot queries read only open rows on SQLite, whatever the table holds.

Handled updates stay 48 hours (dedupe), so the inbox holds thousands of rows. A query SQLite
plans over the (channel, update_key) index reads every row of the channel: a receipt cost
4.6 ms at 21,000 rows instead of 0.05. The plans are asserted, not the time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.store import delivery
from bot.store.db import make_engine, migrate


def _plan(tmp_path: Path, statement: Any, params: dict[str, Any]) -> str:
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    migrate(engine)
    compiled = statement.compile(dialect=engine.dialect)
    values = compiled.construct_params(params)
    positional = tuple(values[name] for name in compiled.positiontup or ())
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", positional).all()
    engine.dispose()
    return " | ".join(str(row[-1]) for row in rows)


def test_the_busy_chat_check_reads_the_chats_open_rows_only(tmp_path: Path) -> None:
    plan = _plan(tmp_path, delivery._chat_open_statement("sqlite"), {"chat_id": "42"})
    assert "ix_inbox_open (processed_at=? AND chat_id=?)" in plan


def test_the_inbox_claim_reads_open_rows_only(tmp_path: Path) -> None:
    plan = _plan(tmp_path, delivery._inbox_statement("sqlite"), {"now": None, "limit": 10})
    assert "ix_inbox_open (processed_at=?)" in plan
    assert "SCAN inbox" not in plan
