"""Units, people and clusters imports: template -> fill -> import, bad rows, re-import as upsert."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.store.models import Cluster, Person, Unit
from bot.store.org import roles_of
from bot.store.roles import Role
from tests.admin.conftest import Admin
from tests.admin.files import UNIT_HEADER, UNITS, fill_template, import_units, write_csv

PEOPLE_HEADER = ["họ và tên", "số điện thoại", "chức vụ", "mã đơn vị", "vai trò"]
CLUSTER_HEADER = [
    "mã cụm/khối",
    "tên cụm/khối",
    "loại cụm/khối",
    "năm",
    "mã đơn vị cụm trưởng",
    "mã đơn vị cụm phó",
    "mã đơn vị thành viên",
]


def units_by_code(admin: Admin) -> dict[str, Unit]:
    with admin.sessions()() as session:
        return {u.code: u for u in session.scalars(select(Unit))}


def people_by_phone(admin: Admin) -> dict[str, tuple[str, str, str | None, set[Role]]]:
    """phone -> (name, position, unit code, roles)."""
    with admin.sessions()() as session:
        codes = {u.id: u.code for u in session.scalars(select(Unit))}
        return {
            p.phone: (p.full_name, p.position, codes.get(p.unit_id or 0), roles_of(p))
            for p in session.scalars(select(Person))
        }


def test_units_template_fill_and_import_xlsx(admin: Admin, tmp_path: Path) -> None:
    template = tmp_path / "don-vi.xlsx"
    code, out = admin.run("units", "template", "--out", template)
    assert code == 0, out
    workbook = load_workbook(template)
    assert [cell.value for cell in workbook.worksheets[0][1]] == UNIT_HEADER
    assert workbook.sheetnames[1] == "Hướng dẫn"
    sheet, guide = workbook.worksheets
    assert (sheet.freeze_panes, sheet.auto_filter.ref) == ("A2", "A1:D1")
    assert (guide.freeze_panes, guide.auto_filter.ref) == ("A2", f"A1:C{len(UNIT_HEADER) + 1}")
    code, out = admin.run("units", "import", fill_template(template, UNITS))
    assert code == 0, out
    assert "5 mới, 0 cập nhật" in out
    units = units_by_code(admin)
    assert set(units) == {"BTDKT", "SNV", "HKH", "STC", "SYT"}
    assert units["BTDKT"].parent_id == units["SNV"].id
    assert units["SNV"].parent_id is None
    assert units["SNV"].unit_type == "sở, ban, ngành"
    assert units["HKH"].name == "UBND huyện Hương Khê"


def test_template_refuses_to_overwrite_a_filled_file(admin: Admin, tmp_path: Path) -> None:
    filled = write_csv(tmp_path / "units.csv", UNIT_HEADER, UNITS)
    code, out = admin.run("units", "template", "--out", filled)
    assert code == 1
    assert "--force" in out
    assert "Sở Nội vụ" in filled.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("encoding", "delimiter", "header"),
    [
        ("utf-8", ",", UNIT_HEADER),
        ("utf-8-sig", ";", ["Ma don vi", "Ten don vi", "Loai", "Ma don vi cap tren"]),
    ],
    ids=["utf8-comma", "bom-semicolon-no-accents"],
)
def test_units_import_csv(
    admin: Admin, tmp_path: Path, encoding: str, delimiter: str, header: list[str]
) -> None:
    path = write_csv(tmp_path / "u.csv", header, UNITS, encoding=encoding, delimiter=delimiter)
    code, out = admin.run("units", "import", path)
    assert code == 0, out
    units = units_by_code(admin)
    assert units["BTDKT"].parent_id == units["SNV"].id
    assert units["SNV"].name == "Sở Nội vụ"


def test_units_reimport_updates_by_code(admin: Admin, tmp_path: Path) -> None:
    import_units(admin, tmp_path)
    rows = [
        *UNITS[:4],
        ["SYT", "Sở Y tế Hà Tĩnh", "sở", "SNV"],
        ["HSN", "UBND huyện Hồng Lĩnh", "", ""],
    ]
    code, out = admin.run("units", "import", write_csv(tmp_path / "v2.csv", UNIT_HEADER, rows))
    assert code == 0, out
    assert "1 mới, 5 cập nhật" in out
    units = units_by_code(admin)
    assert len(units) == 6
    assert units["SYT"].name == "Sở Y tế Hà Tĩnh"
    assert units["SYT"].parent_id == units["SNV"].id


def test_bad_unit_rows_are_named_and_nothing_is_written(admin: Admin, tmp_path: Path) -> None:
    rows = [
        ["SNV", "Sở Nội vụ", "", ""],
        ["STC", "", "sở", ""],
        ["SYT", "Sở Y tế", "", "XYZ"],
        ["SNV", "Sở Nội vụ (trùng)", "", ""],
        ["A", "Đơn vị A", "", "B"],
        ["B", "Đơn vị B", "", "A"],
    ]
    path = write_csv(tmp_path / "bad.csv", UNIT_HEADER, rows)
    code, out = admin.run("units", "import", path)
    assert code == 1
    assert f"{path}, dòng 3: thiếu «tên đơn vị»" in out
    assert f"{path}, dòng 4: không có đơn vị mã «XYZ»" in out
    assert f"{path}, dòng 5: «SNV» trùng với dòng 2" in out
    assert f"{path}, dòng 6: cấp trên của đơn vị «A» tạo thành vòng lặp" in out
    assert "dòng 2:" not in out
    assert "chưa ghi gì" in out
    assert units_by_code(admin) == {}


def test_a_file_without_a_required_column_is_refused(admin: Admin, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", ["mã đơn vị", "loại"], [["SNV", "sở"]])
    code, out = admin.run("units", "import", path)
    assert code == 1
    assert f"{path}: thiếu cột «tên đơn vị»" in out


def test_people_template_fill_and_import_xlsx(admin: Admin, tmp_path: Path) -> None:
    import_units(admin, tmp_path)
    template = tmp_path / "can-bo.xlsx"
    assert admin.run("people", "template", "--out", template)[0] == 0
    assert [c.value for c in load_workbook(template).worksheets[0][1]] == PEOPLE_HEADER
    rows = [
        [
            "Nguyễn Văn An",
            912345678,
            "Giám đốc",
            "SNV",
            "Thủ trưởng; cụm trưởng",
        ],  # Excel dropped 0
        ["Trần Thị Bình", "+84 987 654 321", "Chuyên viên", "snv", "cán bộ thi đua"],
        ["Lê Văn Cường", "0239.3855.123", "Trưởng ban", "BTDKT", "Ban TĐKT"],
        ["Phạm Thị Dung", "84911222333", "", "", ""],
        ["Hồ Văn Em", "0977 000 111", "Chủ tịch", "HKH", "thu truong"],
    ]
    code, out = admin.run("people", "import", fill_template(template, rows))
    assert code == 0, out
    assert "5 mới, 0 cập nhật" in out
    assert people_by_phone(admin) == {
        "+84912345678": ("Nguyễn Văn An", "Giám đốc", "SNV", {Role.UNIT_HEAD, Role.CLUSTER_LEAD}),
        "+84987654321": ("Trần Thị Bình", "Chuyên viên", "SNV", {Role.UNIT_OFFICER}),
        "+842393855123": ("Lê Văn Cường", "Trưởng ban", "BTDKT", {Role.OFFICE_ADMIN}),
        "+84911222333": ("Phạm Thị Dung", "", None, {Role.CADRE}),
        "+84977000111": ("Hồ Văn Em", "Chủ tịch", "HKH", {Role.UNIT_HEAD}),
    }


def test_people_reimport_matches_any_phone_form_and_replaces_roles(
    admin: Admin, tmp_path: Path
) -> None:
    import_units(admin, tmp_path)
    first = [["Nguyễn Văn An", "0912345678", "Phó Giám đốc", "SNV", "thủ trưởng; cụm trưởng"]]
    assert (
        admin.run("people", "import", write_csv(tmp_path / "p1.csv", PEOPLE_HEADER, first))[0] == 0
    )
    again = [
        ["Nguyễn Văn An", "+84 912 345 678", "Giám đốc", "STC", "cán bộ thi đua"],
        ["Võ Thị Giang", "0988111222", "", "STC", "Thủ trưởng đơn vị"],
    ]
    code, out = admin.run("people", "import", write_csv(tmp_path / "p2.csv", PEOPLE_HEADER, again))
    assert code == 0, out
    assert "1 mới, 1 cập nhật" in out
    people = people_by_phone(admin)
    assert len(people) == 2
    assert people["+84912345678"] == ("Nguyễn Văn An", "Giám đốc", "STC", {Role.UNIT_OFFICER})


def test_bad_people_rows_are_named_and_nothing_changes(admin: Admin, tmp_path: Path) -> None:
    import_units(admin, tmp_path)
    good = [["Nguyễn Văn An", "0912345678", "Giám đốc", "SNV", "thủ trưởng"]]
    assert (
        admin.run("people", "import", write_csv(tmp_path / "ok.csv", PEOPLE_HEADER, good))[0] == 0
    )
    before = people_by_phone(admin)
    rows = [
        ["Nguyễn Văn An", "0912345678", "Nguyên Giám đốc", "STC", "cán bộ"],  # a valid update
        ["", "0912000111", "", "SNV", ""],
        ["Trần Thị Bình", "0912000222", "", "ZZZ", ""],
        ["Lê Văn Cường", "0912000333", "", "SNV", "thủ trưởng; giám đốc sở"],
        ["Phạm Thị Dung", "12345", "", "SNV", ""],
        ["Hồ Văn Em", "0912 000 333", "", "SNV", ""],
        ["Võ Thị Giang", "0912000444", "", "", "cán bộ thi đua"],
    ]
    path = write_csv(tmp_path / "bad.csv", PEOPLE_HEADER, rows)
    code, out = admin.run("people", "import", path)
    assert code == 1
    assert f"{path}, dòng 3: thiếu «họ và tên»" in out
    assert f"{path}, dòng 4: không có đơn vị mã «ZZZ»" in out
    assert f"{path}, dòng 5: không có vai trò «giám đốc sở»" in out
    assert f"{path}, dòng 6: số điện thoại «12345» không hợp lệ" in out
    assert f"{path}, dòng 7: «0912 000 333» trùng với dòng 5" in out
    assert (
        f"{path}, dòng 8: vai trò thủ trưởng, cán bộ thi đua, cụm/khối trưởng cần «mã đơn vị»"
        in out
    )
    assert "dòng 2:" not in out
    assert people_by_phone(admin) == before


def cluster_members(admin: Admin, code: str, year: int) -> tuple[str, str | None, set[str]]:
    with admin.sessions()() as session:
        codes = {u.id: u.code for u in session.scalars(select(Unit))}
        cluster = session.scalars(
            select(Cluster).where(Cluster.code == code, Cluster.year == year)
        ).one()
        lead = codes.get(cluster.lead_unit_id or 0)
        return cluster.kind, lead, {codes[m.unit_id] for m in cluster.members}


def test_clusters_import_and_reimport(admin: Admin, tmp_path: Path) -> None:
    import_units(admin, tmp_path)
    rows = [
        ["KHOI-NC", "Khối Nội chính", "khối", 2026, "SNV", "STC", "SYT; BTDKT"],
        ["CUM-1", "Cụm thi đua số 1", "Cụm", "2026", "HKH", "", "HKH"],
        ["KHOI-NC", "Khối Nội chính", "khoi", 2025, "STC", "", "SNV, STC"],
    ]
    code, out = admin.run("clusters", "import", write_csv(tmp_path / "c.csv", CLUSTER_HEADER, rows))
    assert code == 0, out
    assert "3 mới, 0 cập nhật" in out
    assert cluster_members(admin, "KHOI-NC", 2026) == (
        "khối",
        "SNV",
        {"SNV", "STC", "SYT", "BTDKT"},  # lead and deputy are members too
    )
    assert cluster_members(admin, "CUM-1", 2026) == ("cụm", "HKH", {"HKH"})
    again = [["KHOI-NC", "Khối Nội chính", "khối", 2026, "STC", "", "SYT"]]
    code, out = admin.run(
        "clusters", "import", write_csv(tmp_path / "c2.csv", CLUSTER_HEADER, again)
    )
    assert code == 0, out
    assert "0 mới, 1 cập nhật" in out
    assert cluster_members(admin, "KHOI-NC", 2026) == ("khối", "STC", {"STC", "SYT"})
    assert cluster_members(admin, "KHOI-NC", 2025)[2] == {"SNV", "STC"}


def test_bad_cluster_rows_are_named_and_nothing_is_written(admin: Admin, tmp_path: Path) -> None:
    import_units(admin, tmp_path)
    rows = [
        ["K1", "Khối 1", "khối", 2026, "SNV", "", "STC"],
        ["K2", "Khối 2", "nhóm", 2026, "", "", "HKH"],
        ["K3", "Khối 3", "khối", "năm nay", "", "", "HKH"],
        ["K4", "Khối 4", "khối", 2026, "", "", "SYT; ZZ"],
        ["K5", "Khối 5", "khối", 2026, "", "", "STC"],
    ]
    path = write_csv(tmp_path / "c.csv", CLUSTER_HEADER, rows)
    code, out = admin.run("clusters", "import", path)
    assert code == 1
    assert f"{path}, dòng 3: loại «nhóm» không hợp lệ" in out
    assert f"{path}, dòng 4: năm «năm nay» không hợp lệ" in out
    assert f"{path}, dòng 5: không có đơn vị mã «ZZ»" in out
    assert f"{path}, dòng 6: đơn vị «STC» đã thuộc khối «K1» năm 2026" in out
    with admin.sessions()() as session:
        assert session.scalar(select(func.count()).select_from(Cluster)) == 0
