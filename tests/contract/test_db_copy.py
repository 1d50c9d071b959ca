"""`thidua db copy --to postgresql+psycopg://…`: an office's SQLite file moved to an empty
PostgreSQL database (a private schema per test), through the command as the operator runs it.

The source is the forms' province (units, people, clusters, a movement) with a submitted
registration and progress report made through the chat, a sub-unit (a table that refers to
itself), inbox and outbox rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, inspect, select
from typer.testing import CliRunner

from bot.cli import app
from bot.messages import Reply
from bot.store import inbox, outbox
from bot.store.db import MIGRATIONS_DIR, make_engine
from bot.store.models import ProgressReport, Unit
from bot.store.transfer import tables
from tests.forms.conftest import World, _postgres_schema, build_world
from tests.forms.test_report import fill_report, register

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.output


@pytest.fixture
def target_url() -> Iterator[str]:
    yield from _postgres_schema()


@pytest.fixture
def source(tmp_path: Path) -> Iterator[World]:
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    register(world)
    head = world.chat("head")
    head.say("báo cáo tiến độ")
    fill_report(head)
    head.press("Xác nhận và nộp")
    with world.sessions.begin() as session:
        session.add(Unit(code="SNV-VP", name="Văn phòng Sở", parent_id=world.units["SNV"]))
        outbox.enqueue(
            session,
            channel="telegram",
            chat_id="501",
            replies=[Reply("Xin chào", meta={"key": "reminder:7"}), Reply("Lần hai")],
            key="copy-test",
            now=NOW,
        )
        inbox.store(
            session,
            channel="telegram",
            update_key="900",
            chat_id="501",
            payload={"update_id": 900, "message": {"text": "chào"}},
            now=NOW,
        )
    yield world
    world.engine.dispose()


def rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, by primary key, through the models' column types."""
    with engine.connect() as connection:
        return {
            table.name: [
                dict(row._mapping)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in tables()
        }


def test_round_trip_to_postgresql(source: World, target_url: str, tmp_path: Path) -> None:
    code, out = run(tmp_path, "db", "copy", "--to", target_url, "--batch", "3")
    assert code == 0, out
    before = rows(source.engine)
    target = make_engine(target_url)
    try:
        after = rows(target)
        for name in ("units", "people", "registrations", "progress_reports", "outbox", "inbox"):
            assert before[name], name  # the source really had some
        assert {name: len(r) for name, r in after.items()} == {
            name: len(r) for name, r in before.items()
        }
        assert after == before  # ids, datetimes (aware), JSON and decimals alike
        copied = sum(len(r) for r in before.values())
        assert f"Đã chép {copied} dòng của {len(before)} bảng" in out
        with target.begin() as connection:
            fresh = connection.execute(
                Unit.__table__.insert().values(code="MOI", name="Đơn vị mới").returning(Unit.id)
            ).scalar_one()
            top_report = connection.execute(select(func.max(ProgressReport.id))).scalar_one()
        assert fresh == max(u["id"] for u in before["units"]) + 1  # the sequence moved on
        assert top_report == max(r["id"] for r in before["progress_reports"])
        [reg] = after["registrations"]
        assert reg["status"] == "submitted" and reg["submitted_at"].tzinfo is not None
        child = next(u for u in after["units"] if u["code"] == "SNV-VP")
        assert child["parent_id"] == source.units["SNV"]
    finally:
        target.dispose()


def test_a_target_with_data_is_refused_and_left_alone(
    source: World, target_url: str, tmp_path: Path
) -> None:
    assert run(tmp_path, "db", "copy", "--to", target_url)[0] == 0
    target = make_engine(target_url)
    try:
        with target.connect() as connection:
            units = connection.execute(select(func.count()).select_from(Unit)).scalar_one()
        code, out = run(tmp_path, "db", "copy", "--to", target_url)
        assert code == 1
        assert "CSDL đích đã có dữ liệu" in out and f"units: {units}" in out
        with target.connect() as connection:
            assert connection.execute(select(func.count()).select_from(Unit)).scalar_one() == units
    finally:
        target.dispose()


def test_a_source_behind_the_newest_migration_is_refused(target_url: str, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'thidua.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0012")
    engine.dispose()
    code, out = run(tmp_path, "db", "copy", "--to", target_url)
    assert code == 1
    assert "chưa ở phiên bản lược đồ mới nhất (đang ở 0012" in out
    assert "thidua db migrate" in out
    target = make_engine(target_url)
    try:
        assert inspect(target).get_table_names() == []  # not even migrated
    finally:
        target.dispose()
    assert run(tmp_path, "db", "migrate")[0] == 0  # as the message says
    code, out = run(tmp_path, "db", "copy", "--to", target_url)
    assert code == 0, out


def test_the_same_database_or_a_bad_url_is_refused(tmp_path: Path) -> None:
    code, out = run(tmp_path, "db", "copy", "--to", f"sqlite:///{tmp_path / 'thidua.db'}")
    assert (code, "trùng với CSDL nguồn" in out) == (1, True)
    code, out = run(tmp_path, "db", "copy", "--to", "khong-phai-url")
    assert (code, "URL đích không đọc được" in out) == (1, True)
