"""The delivery claims read only open rows on SQLite, whatever the tables hold.

Handled updates and sent messages stay for days (dedupe, audit), so the inbox and the outbox
hold thousands of rows; a claim planned as a scan would grow with them. The plans of the
statements the claims really run are asserted, not the time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.messages import Reply
from bot.store import inbox, outbox
from bot.store.db import make_engine, migrate, session_factory

NOW = datetime(2026, 3, 10, tzinfo=UTC)


def _plan_of_claim(tmp_path: Path, claim: Callable[[Session], Any], table: str) -> str:
    """EXPLAIN QUERY PLAN of the SELECT that `claim` runs on `table`."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        outbox.enqueue(session, channel="t", chat_id="1", replies=[Reply("x")], key="k", now=NOW)
        inbox.store(session, channel="t", update_key="u", chat_id="1", payload={}, now=NOW)
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    with sessions.begin() as session:
        claim(session)
    event.remove(engine, "before_cursor_execute", capture)
    [(statement, parameters)] = seen
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    engine.dispose()
    return " | ".join(str(row[-1]) for row in rows)


def test_the_inbox_claim_reads_open_rows_only(tmp_path: Path) -> None:
    plan = _plan_of_claim(tmp_path, lambda s: inbox.claim(s, now=NOW, limit=10), "inbox")
    assert "ix_inbox_open (processed_at=?)" in plan
    assert "SCAN inbox" not in plan


def test_the_outbox_claim_reads_unsent_rows_only(tmp_path: Path) -> None:
    plan = _plan_of_claim(tmp_path, lambda s: outbox.claim_due(s, now=NOW, limit=10), "outbox")
    assert "ix_outbox_due (status" in plan
    assert "SCAN outbox" not in plan
