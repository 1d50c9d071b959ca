"""Schema migration and the unanswered log on SQLite."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import inspect

from bot.store.db import make_engine, migrate, session_factory
from bot.store.unanswered import UnansweredLog

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_migrate_is_idempotent_and_enables_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'db.sqlite'}")
    migrate(engine)
    migrate(engine)
    assert "unanswered_questions" in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_unanswered_log_keeps_order_and_timezone(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    log = UnansweredLog(session_factory(engine))
    first = datetime(2026, 3, 1, 8, 30, tzinfo=HCM)
    for offset, question in enumerate(["câu một", "câu hai", "câu ba"]):
        log.record(
            asked_at=first + timedelta(minutes=offset),
            channel="console",
            chat_id="c",
            user_id="u",
            question=question,
            confidence=0.1,
        )
    records = log.latest(limit=2)
    assert [r.question for r in records] == ["câu ba", "câu hai"]
    assert records[0].asked_at == first + timedelta(minutes=2)
    assert records[0].asked_at.tzinfo is not None
