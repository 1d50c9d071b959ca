"""The delivery claims read only open rows on SQLite, whatever the tables hold.

Handled updates and sent messages stay for days (dedupe, audit), so the inbox and the outbox
hold thousands of rows; a claim planned as a scan would grow with them. The plans are
asserted, not the time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.store import delivery
from bot.store.db import make_engine, migrate

NOW = datetime(2026, 3, 10, tzinfo=UTC)


def _plan(tmp_path: Path, statement: Any, params: dict[str, Any]) -> str:
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    migrate(engine)
    compiled = statement.compile(dialect=engine.dialect)
    expanded = compiled.construct_expanded_state(params)  # IN (...) lists rendered in full
    positional = tuple(expanded.parameters[name] for name in expanded.positiontup or ())
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {expanded.statement}", positional
        ).all()
    engine.dispose()
    return " | ".join(str(row[-1]) for row in rows)


def test_the_inbox_claim_reads_open_rows_only(tmp_path: Path) -> None:
    plan = _plan(tmp_path, delivery._inbox_statement("sqlite"), {"now": NOW, "limit": 10})
    assert "ix_inbox_open (processed_at=?)" in plan
    assert "SCAN inbox" not in plan


def test_the_outbox_claim_reads_unsent_rows_only(tmp_path: Path) -> None:
    plan = _plan(tmp_path, delivery._due_statement("sqlite"), {"now": NOW, "limit": 10})
    assert "ix_outbox_due (status=?)" in plan
    assert "SCAN outbox" not in plan
