"""`thidua export registrations|reports`: Vietnamese headers and the stored rows, both layouts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.i18n import vi
from bot.store.models import (
    Movement,
    Person,
    PersonRole,
    ProgressReport,
    Registration,
    RegistrationLine,
    ReportAttachment,
    ReportValue,
    Target,
    Unit,
)
from bot.store.roles import Role
from tests.admin.conftest import Admin
from tests.admin.files import import_units

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MOVEMENT = """\
code: TD2026
title: Phong trào thi đua yêu nước năm 2026
start: 1/1/2026
end: 31/12/2026
registration_deadline: 31/3/2026
periods:
  - {code: Q1, name: Quý 1, kind: tiến độ, start: 1/1/2026, end: 31/3/2026, deadline: 5/4/2026}
  - {code: 6T, name: Sơ kết 6 tháng, kind: sơ kết, start: 1/1/2026, end: 30/6/2026,
     deadline: 20/6/2026}
"""


@pytest.fixture
def movement_id(admin: Admin, tmp_path: Path) -> int:
    """SNV has a submitted registration with two targets and two reports; HKH a bare draft;
    STC and SYT nothing; BTDKT is the office's own unit (its person holds the office role)."""
    import_units(admin, tmp_path)
    (tmp_path / "m.yaml").write_text(MOVEMENT, encoding="utf-8")
    assert admin.run("movement", "create", "--file", tmp_path / "m.yaml")[0] == 0
    with admin.sessions().begin() as session:
        movement = session.scalars(select(Movement)).one()
        units = {u.code: u.id for u in session.scalars(select(Unit))}
        snv = Registration(
            unit_id=units["SNV"],
            movement_id=movement.id,
            status="submitted",
            version=1,
            collective_title="TTLDXS",
            submitted_at=datetime(2026, 3, 20, 9, 15, tzinfo=HCM),
        )
        snv.lines = [
            RegistrationLine(position=1, title_code="LDTT", count=25),
            RegistrationLine(position=2, title_code="CSTDCS", names="Nguyễn Văn An, Trần Thị Bình"),
        ]
        snv.targets = [
            Target(
                position=1,
                description="Tỷ lệ hồ sơ giải quyết đúng hạn",
                measure="tỷ lệ",
                unit_of_measure="%",
                baseline=Decimal("95"),
                target_value=Decimal("98.5"),
                due_date=movement.end_date,
            ),
            Target(
                position=2,
                description="Số sáng kiến được công nhận",
                unit_of_measure="sáng kiến",
                target_value=Decimal("3"),
            ),
        ]
        session.add(snv)
        session.add(Registration(unit_id=units["HKH"], movement_id=movement.id))
        office = Person(full_name="Phạm Thị Lan", unit_id=units["BTDKT"])
        office.roles = [PersonRole(role=Role.OFFICE_ADMIN.value)]
        session.add(office)
        session.flush()
        q1, mid = movement.periods
        first = ProgressReport(
            registration_id=snv.id,
            period_id=q1.id,
            narrative="Hoàn thành đúng tiến độ quý 1.",
            submitted_at=datetime(2026, 4, 3, 10, 0, tzinfo=HCM),
        )
        first.values = [
            ReportValue(target_id=snv.targets[0].id, actual_value=Decimal("97.3")),
            ReportValue(target_id=snv.targets[1].id, actual_value=Decimal("1")),
        ]
        first.attachments = [
            ReportAttachment(
                content_hash="ab" * 32, filename="anh.jpg", content_type="image/jpeg", size=10
            )
        ]
        late = ProgressReport(
            registration_id=snv.id,
            period_id=mid.id,
            late=True,
            submitted_at=datetime(2026, 6, 25, 16, 30, tzinfo=HCM),
        )
        late.values = [ReportValue(target_id=snv.targets[0].id, actual_value=Decimal("1234.5"))]
        session.add_all([first, late])
        return movement.id


def cell_time(*parts: int) -> datetime:
    """What Excel holds: the province's wall-clock time, without a zone."""
    return datetime(*parts, tzinfo=HCM).replace(tzinfo=None)  # type: ignore[misc]


def sheet_rows(path: Path, sheet: str) -> list[list[Any]]:
    workbook = load_workbook(path)
    rows = [[None if v == "" else v for v in row] for row in workbook[sheet].values]
    return [row for row in rows if any(v is not None for v in row)]


def export(admin: Admin, kind: str, movement_id: int, out: Path, layout: str) -> str:
    code, output = admin.run(
        "export", kind, "--movement", str(movement_id), "--out", out, "--layout", layout
    )
    assert code == 0, output
    return output


def test_registrations_flat(admin: Admin, movement_id: int, tmp_path: Path) -> None:
    out = tmp_path / "dang-ky.xlsx"
    assert "Đã xuất 2 bản ghi" in export(admin, "registrations", movement_id, out, "flat")
    rows = sheet_rows(out, "Đăng ký thi đua")
    assert tuple(rows[0]) == vi.EXPORT_REGISTRATION_HEADERS
    assert rows[0][:6] == [
        "Mã đơn vị",
        "Tên đơn vị",
        "Trạng thái",
        "Phiên bản",
        "Danh hiệu tập thể",
        "Danh hiệu cá nhân",
    ]
    assert rows[1] == ["HKH", "UBND huyện Hương Khê", "Bản nháp", 0] + [None] * 10
    titles = "Lao động tiên tiến: 25; Chiến sĩ thi đua cơ sở: Nguyễn Văn An, Trần Thị Bình"
    head = ["SNV", "Sở Nội vụ", "Đã nộp", 1, "Tập thể lao động xuất sắc", titles]
    submitted = cell_time(2026, 3, 20, 9, 15)
    assert rows[2] == [
        *head,
        *(1, "Tỷ lệ hồ sơ giải quyết đúng hạn", "tỷ lệ", "%", 95, 98.5),
        cell_time(2026, 12, 31),
        submitted,
    ]
    assert rows[3] == [
        *head,
        2,
        "Số sáng kiến được công nhận",
        None,
        "sáng kiến",
        None,
        3,
        None,
        submitted,
    ]
    assert rows[4] == ["STC", "Sở Tài chính", "Chưa nộp"] + [None] * 11
    assert rows[5][:3] == ["SYT", "Sở Y tế", "Chưa nộp"]
    assert len(rows) == 6  # not the office's own unit


def test_registrations_per_unit(admin: Admin, movement_id: int, tmp_path: Path) -> None:
    out = tmp_path / "dang-ky-don-vi.xlsx"
    export(admin, "registrations", movement_id, out, "per-unit")
    assert load_workbook(out).sheetnames == ["Tổng hợp", "HKH", "SNV"]
    summary = sheet_rows(out, "Tổng hợp")
    assert tuple(summary[0]) == vi.EXPORT_REGISTRATION_SUMMARY_HEADERS
    assert summary[2][:4] == ["SNV", "Sở Nội vụ", "Đã nộp", "Tập thể lao động xuất sắc"]
    assert [row[:3] for row in summary[3:]] == [
        ["STC", "Sở Tài chính", "Chưa nộp"],
        ["SYT", "Sở Y tế", "Chưa nộp"],
    ]
    unit = sheet_rows(out, "SNV")
    assert unit[0] == ["Đơn vị", "Sở Nội vụ (SNV)", None, None, None, None, None]
    assert unit[1][:2] == ["Phong trào", "Phong trào thi đua yêu nước năm 2026"]
    assert list(vi.EXPORT_INDIVIDUAL_HEADERS) == unit[5][:3]
    assert unit[6][:3] == ["Lao động tiên tiến", None, 25]
    assert unit[7][:3] == ["Chiến sĩ thi đua cơ sở", "Nguyễn Văn An, Trần Thị Bình", None]
    assert tuple(unit[8]) == vi.EXPORT_TARGET_HEADERS
    assert unit[9][:6] == [1, "Tỷ lệ hồ sơ giải quyết đúng hạn", "tỷ lệ", "%", 95, 98.5]


def test_reports_flat(admin: Admin, movement_id: int, tmp_path: Path) -> None:
    out = tmp_path / "bao-cao.xlsx"
    assert "Đã xuất 2 bản ghi" in export(admin, "reports", movement_id, out, "flat")
    rows = sheet_rows(out, "Báo cáo")
    assert tuple(rows[0]) == vi.EXPORT_REPORT_HEADERS
    q1 = ["SNV", "Sở Nội vụ", "Quý 1", cell_time(2026, 4, 5), "Đã nộp", "không"]
    assert rows[1] == [
        *q1,
        cell_time(2026, 4, 3, 10, 0),
        *(1, "Tỷ lệ hồ sơ giải quyết đúng hạn", "%", 98.5, 97.3, 98.8),
        *("Hoàn thành đúng tiến độ quý 1.", 1),
    ]
    assert rows[2][7:13] == [2, "Số sáng kiến được công nhận", "sáng kiến", 3, 1, 33.3]
    assert rows[3][2:6] == ["Sơ kết 6 tháng", cell_time(2026, 6, 20), "Đã nộp", "có"]
    assert rows[3][10:13] == [98.5, 1234.5, 1253.3]
    assert rows[4][10:13] == [3, None, None]  # no value reported for this target
    assert len(rows) == 5


def test_reports_per_unit(admin: Admin, movement_id: int, tmp_path: Path) -> None:
    out = tmp_path / "bao-cao-don-vi.xlsx"
    export(admin, "reports", movement_id, out, "per-unit")
    assert load_workbook(out).sheetnames == ["Tổng hợp", "SNV"]
    summary = sheet_rows(out, "Tổng hợp")
    assert [row[2] for row in summary[1:]] == ["Quý 1", "Sơ kết 6 tháng"]
    unit = sheet_rows(out, "SNV")
    assert tuple(unit[0]) == vi.EXPORT_REPORT_HEADERS[2:]
    assert unit[1][:2] == ["Quý 1", cell_time(2026, 4, 5)]
    assert len(unit) == 5


def test_export_of_an_unknown_movement_fails(admin: Admin, tmp_path: Path) -> None:
    code, out = admin.run("export", "reports", "--movement", "42", "--out", tmp_path / "x.xlsx")
    assert code == 1
    assert "Không có phong trào mã hoặc số «42»" in out
    assert not (tmp_path / "x.xlsx").exists()


def test_reports_list_each_period_a_registered_unit_has_not_reported(
    admin: Admin, movement_id: int, tmp_path: Path
) -> None:
    with admin.sessions().begin() as session:
        stc = session.scalars(select(Unit).where(Unit.code == "STC")).one()
        session.add(Registration(unit_id=stc.id, movement_id=movement_id, status="submitted"))
    out = tmp_path / "bao-cao.xlsx"
    assert "Đã xuất 2 bản ghi" in export(admin, "reports", movement_id, out, "flat")
    rows = sheet_rows(out, "Báo cáo")
    assert (
        rows[5] == ["STC", "Sở Tài chính", "Quý 1", cell_time(2026, 4, 5), "Chưa nộp"] + [None] * 10
    )
    assert rows[6][2:5] == ["Sơ kết 6 tháng", cell_time(2026, 6, 20), "Chưa nộp"]
    assert len(rows) == 7  # HKH's draft owes no report; SYT has not registered
    out = tmp_path / "bao-cao-don-vi.xlsx"
    export(admin, "reports", movement_id, out, "per-unit")
    assert load_workbook(out).sheetnames == ["Tổng hợp", "SNV", "STC"]
    summary = sheet_rows(out, "Tổng hợp")
    assert [row[4] for row in summary[1:]] == ["Đã nộp", "Đã nộp", "Chưa nộp", "Chưa nộp"]
    assert [row[2] for row in sheet_rows(out, "STC")[1:]] == ["Chưa nộp", "Chưa nộp"]


@pytest.mark.parametrize("kind", ["registrations", "reports"])
@pytest.mark.parametrize("layout", ["flat", "per-unit"])
def test_every_sheet_has_its_header_frozen_and_filters(
    admin: Admin, movement_id: int, tmp_path: Path, kind: str, layout: str
) -> None:
    out = tmp_path / f"{kind}-{layout}.xlsx"
    export(admin, kind, movement_id, out, layout)
    for sheet in load_workbook(out).worksheets:
        header = int(str(sheet.freeze_panes)[1:]) - 1
        assert header >= 1, sheet.title
        labels = [cell.value for cell in sheet[header]]
        assert labels[0] in ("Mã đơn vị", "Kỳ báo cáo", "STT"), (sheet.title, labels)
        last = sheet.cell(header, len([v for v in labels if v])).column_letter
        assert sheet.auto_filter.ref == f"A{header}:{last}{sheet.max_row}", sheet.title


def test_the_movement_is_named_by_its_code(admin: Admin, movement_id: int, tmp_path: Path) -> None:
    out = tmp_path / "ma.xlsx"
    code, output = admin.run("export", "registrations", "--movement", "TD2026", "--out", out)
    assert code == 0, output
    assert sheet_rows(out, "Đăng ký thi đua")[1][0] == "HKH"
    code, output = admin.run("export", "reports", "--movement", "TD2099", "--out", out)
    assert code == 1
    assert "Không có phong trào mã hoặc số «TD2099»" in output
