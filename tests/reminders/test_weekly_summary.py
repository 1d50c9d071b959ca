"""The weekly summary: its text, its chart, its delivery, and `thidua summary --dry-run`."""

from __future__ import annotations

import base64
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
from matplotlib import pyplot as plt
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.i18n import vi
from bot.reminders.calendar import WorkCalendar
from bot.reminders.chase import Chaser
from bot.reminders.digest import ChartData, summary_for
from bot.reminders.loop import ReminderScheduler
from bot.reports.charts import draw, progress_png
from bot.store.models import (
    Movement,
    ProgressReport,
    Registration,
    ReportPeriod,
    ReportValue,
    Target,
)
from tests.forms.conftest import World, build_world
from tests.reminders.conftest import CONSOLE_ROUTES, at, outbox

MONDAY = date(2026, 4, 13)  # after the Q1 deadline (10 April)
PNG = b"\x89PNG\r\n\x1a\n"


def _progress(world: World) -> None:
    """Sở Nội vụ registered and reported half of one target and all of another; Sở Tư pháp
    registered and has not reported."""
    with world.sessions.begin() as session:
        period = session.scalar(select(ReportPeriod).where(ReportPeriod.code == "Q1"))
        assert period is not None
        regs = {}
        for code in ("SNV", "STP"):
            reg = Registration(
                unit_id=world.units[code],
                movement_id=world.movement_id,
                status="submitted",
                version=1,
                submitted_at=at(date(2026, 3, 20)),
            )
            reg.targets = [
                Target(position=1, description="Tỷ lệ hồ sơ đúng hạn", target_value=Decimal(100)),
                Target(position=2, description="Số lớp tập huấn", target_value=Decimal(10)),
            ]
            session.add(reg)
            session.flush()
            regs[code] = reg
        report = ProgressReport(
            registration_id=regs["SNV"].id,
            period_id=period.id,
            status="submitted",
            submitted_at=at(date(2026, 4, 8)),
        )
        report.values = [
            ReportValue(target_id=regs["SNV"].targets[0].id, actual_value=Decimal(50)),
            ReportValue(target_id=regs["SNV"].targets[1].id, actual_value=Decimal(10)),
        ]
        session.add(report)


def test_the_office_summary_counts_each_deadline_and_names_the_late(sqlite_world: World) -> None:
    world = sqlite_world
    _progress(world)
    with world.sessions() as session:
        summary = summary_for(session, at(MONDAY), WorkCalendar())
    assert summary is not None
    lines = summary.text.splitlines()
    assert lines[0] == "📊 Tổng hợp tuần 16 (đến 13/04/2026) — toàn tỉnh"
    registration = next(i for i, line in enumerate(lines) if "Đăng ký thi đua" in line)
    assert lines[registration].endswith(
        "hạn 31/03/2026: đã nộp 2, nộp muộn 0, báo nộp bằng văn bản 0, chưa nộp 1"
    )
    assert lines[registration + 1] == "   Quá hạn chưa nộp: Sở Y tế"  # not the office's unit
    report = next(i for i, line in enumerate(lines) if line.startswith("• Quý 1"))
    assert lines[report].endswith(
        "hạn 10/04/2026: đã nộp 1, nộp muộn 0, báo nộp bằng văn bản 0, chưa nộp 1"
    )
    assert lines[report + 1] == "   Quá hạn chưa nộp: Sở Tư pháp"
    (chart,) = summary.charts
    assert chart.bars == (("Sở Nội vụ", 75.0), ("Sở Tư pháp", None))
    assert progress_png(chart).startswith(PNG)


def test_a_movement_not_yet_open_for_registration_is_left_out(sqlite_world: World) -> None:
    world = sqlite_world
    _progress(world)
    with world.sessions.begin() as session:
        session.add(
            Movement(
                code="CD2026",
                title="Thi đua chuyển đổi số",
                year=2026,
                start_date=date(2026, 4, 20),  # registration opens next week…
                end_date=date(2026, 12, 31),
                registration_deadline=date(2026, 4, 27),  # …and is due within the fortnight
            )
        )
    with world.sessions() as session:
        summary = summary_for(session, at(MONDAY), WorkCalendar())
    assert summary is not None
    assert "chuyển đổi số" not in summary.text
    assert [chart.title for chart in summary.charts] == [
        "Tiến độ thực hiện chỉ tiêu theo đơn vị — Thi đua thực hiện thắng lợi nhiệm vụ năm 2026"
    ]


def test_a_cluster_lead_reads_only_their_cluster(sqlite_world: World) -> None:
    world = sqlite_world
    _progress(world)
    with world.sessions() as session:
        summary = summary_for(session, at(MONDAY), WorkCalendar(), "K1")
        unknown = summary_for(session, at(MONDAY), WorkCalendar(), "K9")
    assert summary is not None and unknown is None
    assert "Khối Nội chính" in summary.text.splitlines()[0]
    assert "Sở Y tế" not in summary.text and "Ban TĐKT" not in summary.text


def test_the_monday_summary_goes_out_with_its_chart(sqlite_world: World) -> None:
    world = sqlite_world
    _progress(world)
    chaser = Chaser(WorkCalendar(), CONSOLE_ROUTES, render_chart=progress_png)
    world.clock.current = at(MONDAY, time(8, 0))
    report = ReminderScheduler(world.sessions, chaser, now=world.clock).tick()
    assert report is not None and report.summaries == 2  # the office and the khối lead
    summaries = [m.payload for m in outbox(world, "office") if m.payload["attachments"]]
    (message,) = summaries
    (image,) = message["attachments"]
    assert image["kind"] == "photo" and image["filename"] == "tien-do-2026-W16-1.png"
    assert base64.b64decode(image["data"]).startswith(PNG)
    assert message["text"].startswith("📊 Tổng hợp tuần 16")


def test_summary_dry_run_prints_and_writes_the_chart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    world = build_world(f"sqlite:///{data / 'thidua.db'}", tmp_path / "files")
    _progress(world)
    world.engine.dispose()
    out = tmp_path / "charts" / "tuan.png"
    result = CliRunner().invoke(
        app,
        ["--data-dir", str(data), "summary", "--dry-run", "--at", "2026-04-13", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "📊 Tổng hợp tuần 16 (đến 13/04/2026) — toàn tỉnh" in result.output
    assert "Quá hạn chưa nộp: Sở Tư pháp" in result.output
    assert f"Đã ghi biểu đồ vào {out}." in result.output
    assert out.read_bytes().startswith(PNG)
    bad = CliRunner().invoke(
        app, ["--data-dir", str(data), "summary", "--dry-run", "--cluster", "K9"]
    )
    assert bad.exit_code == 2 and "Không có cụm/khối mã K9" in bad.output


def test_summary_without_out_draws_into_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    world = build_world(f"sqlite:///{data / 'thidua.db'}", tmp_path / "files")
    _progress(world)
    world.engine.dispose()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    args = ["--data-dir", str(data), "summary", "--dry-run", "--at", "2026-04-13"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    chart = data / "bieu-do" / "tong-hop-tien-do-2026-W16.png"
    assert chart.read_bytes().startswith(PNG)
    assert f"Đã ghi biểu đồ vào {chart}." in result.output
    assert list(elsewhere.iterdir()) == []


def test_reminders_plan_lists_each_deadline_with_its_days(tmp_path: Path) -> None:
    data = tmp_path / "data"
    world = build_world(f"sqlite:///{data / 'thidua.db'}", tmp_path / "files")
    world.engine.dispose()
    args = ["--data-dir", str(data), "reminders", "plan", "--at", "2026-03-01"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    registration = next(line for line in lines if line.startswith("Đăng ký thi đua"))
    # -3 is a Saturday (27/03, the Friday before); +31 is 1 May (Monday 4 May after it).
    days = "24/03, 27/03, 30/03, 31/03, 01/04, 03/04, 10/04, 17/04, 24/04, 04/05, 08/05, 15/05"
    assert registration.endswith(f"hạn 31/03/2026: nhắc ngày {days}, 22/05, 29/05")


def test_a_long_chart_title_wraps_and_stays_inside_the_picture() -> None:
    movement = (
        "Phong trào thi đua «Cả nước chung tay vì người nghèo - Không để ai bị bỏ lại phía sau»"
        " giai đoạn 2021-2025 trên địa bàn tỉnh Hà Tĩnh"
    )
    chart = ChartData(
        vi.SUMMARY_CHART_CAPTION.format(movement=movement),
        (("Sở Nội vụ", 75.0), ("UBND huyện Hương Khê", None)),
    )
    figure = draw(chart)
    try:
        title = figure.axes[0].title
        assert " ".join(title.get_text().split()) == chart.title  # every word, none cut
        assert title.get_text().count("\n") >= 1
        box = title.get_window_extent(figure.canvas.get_renderer())  # type: ignore[attr-defined]
        assert box.x0 >= 0 and box.x1 <= figure.bbox.width
        assert box.y1 <= figure.bbox.height
    finally:
        plt.close(figure)
    assert progress_png(chart).startswith(PNG)
