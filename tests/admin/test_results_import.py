"""`thidua results import`: template -> fill -> import; bad rows by row number, nothing written."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.store.awards import AwardResult
from bot.store.models import Person, Unit
from tests.admin.conftest import Admin
from tests.admin.files import fill_template, import_units, write_csv

HEADER = [
    "năm",
    "danh hiệu, hình thức",
    "mã đơn vị",
    "họ và tên",
    "số điện thoại",
    "số quyết định",
    "ngày quyết định",
    "cấp quyết định",
]


def with_people(admin: Admin, folder: Path) -> None:
    import_units(admin, folder)
    people = write_csv(
        folder / "people.csv",
        ["họ và tên", "số điện thoại", "chức vụ", "mã đơn vị", "vai trò"],
        [
            ["Trần Thị Mai", "0912345678", "Chuyên viên", "SNV", "cán bộ thi đua"],
            ["Lê Văn Nam", "0912000111", "Trưởng phòng", "SNV", "cán bộ"],
        ],
    )
    code, out = admin.run("people", "import", people)
    assert code == 0, out


def results(admin: Admin) -> list[tuple[int, str, str, str | None, str, str]]:
    with admin.sessions()() as session:
        units = {u.id: u.code for u in session.scalars(select(Unit))}
        people = {p.id: p.full_name for p in session.scalars(select(Person))}
        return [
            (
                r.year,
                r.award_code,
                units[r.unit_id],
                people.get(r.person_id) if r.person_id else None,
                r.nominee_name,
                r.decision_number,
            )
            for r in session.scalars(select(AwardResult).order_by(AwardResult.id))
        ]


def test_template_fill_and_import_then_reimport_updates(admin: Admin, tmp_path: Path) -> None:
    with_people(admin, tmp_path)
    template = tmp_path / "ket-qua.xlsx"
    code, out = admin.run("results", "template", "--out", template)
    assert code == 0, out
    assert [c.value for c in load_workbook(template).worksheets[0][1]] == HEADER
    fill_template(
        template,
        [
            [2023, "Chiến sĩ thi đua cơ sở", "SNV", "Trần Thị Mai", "", "12/QĐ-SNV", "20/12/2023"],
            [2024, "CSTĐCS", "snv", "trần thị  mai", "", "15/QĐ-SNV", "2024-12-18"],
            [2025, "CSTDCS", "SNV", "Lê Văn Nam", "0912000111", "9/QĐ-SNV", "19/12/2025"],
            [2025, "Lao động tiên tiến", "SNV", "Hồ Thị Thu", "", "8/QĐ-SNV", "19/12/2025"],
            [2025, "Tập thể lao động xuất sắc", "SNV", "", "", "101/QĐ-UBND", "25/12/2025"],
            [2025, "Giấy khen", "STC", "", "", "3/QĐ-STC", "25/12/2025", "Giám đốc Sở"],
        ],
    )
    code, out = admin.run("results", "import", template)
    assert code == 0, out
    assert "6 mới, 0 cập nhật" in out
    found = results(admin)
    assert found[0] == (2023, "CSTDCS", "SNV", "Trần Thị Mai", "Trần Thị Mai", "12/QĐ-SNV")
    assert found[1][3] == "Trần Thị Mai"  # the same person, however the name was typed
    assert found[2][3] == "Lê Văn Nam"  # matched by phone
    assert found[3][3] is None and found[3][4] == "Hồ Thị Thu"  # a person not in the records
    assert found[4][1:4] == ("TTLDXS", "SNV", None)
    assert found[5][1] == "GK"

    again = write_csv(
        tmp_path / "sua.csv",
        HEADER,
        [[2023, "CSTDCS", "SNV", "Trần Thị Mai", "", "12b/QĐ", "1/1/2024"]],
    )
    code, out = admin.run("results", "import", again)
    assert code == 0, out
    assert "0 mới, 1 cập nhật" in out
    assert results(admin)[0][5] == "12b/QĐ"


def test_bad_rows_are_reported_by_row_number_and_nothing_is_written(
    admin: Admin, tmp_path: Path
) -> None:
    with_people(admin, tmp_path)
    bad = write_csv(
        tmp_path / "loi.csv",
        HEADER,
        [
            [2025, "Lao động tiên tiến", "SNV", "Nguyễn Văn A", "", "1/QĐ", "19/12/2025"],  # fine
            [2025, "Huân chương gì đó", "SNV", "Nguyễn Văn B", "", "2/QĐ", "19/12/2025"],
            [2025, "Lao động tiên tiến", "XYZ", "Nguyễn Văn C", "", "3/QĐ", "19/12/2025"],
            [2025, "Chiến sĩ thi đua cơ sở", "SNV", "", "", "4/QĐ", "19/12/2025"],
            [2025, "Tập thể lao động xuất sắc", "SNV", "Nguyễn Văn D", "", "5/QĐ", "19/12/2025"],
            ["năm ngoái", "Giấy khen", "SNV", "", "", "6/QĐ", "32/12/2025"],
            [2025, "Giấy khen", "SNV", "Lê Văn Nam", "0999999999", "", "19/12/2025"],
            [2025, "Lao động tiên tiến", "SNV", "nguyễn văn a", "", "7/QĐ", "19/12/2025"],
        ],
    )
    code, out = admin.run("results", "import", bad)
    assert code == 1
    assert "dòng 3: không có danh hiệu, hình thức «Huân chương gì đó»" in out
    assert "dòng 4: không có đơn vị mã «XYZ»" in out
    assert "dòng 5: «Chiến sĩ thi đua cơ sở» là danh hiệu cá nhân: cần «họ và tên»" in out
    assert "dòng 6: «Tập thể lao động xuất sắc» là danh hiệu tập thể" in out
    assert "dòng 7: năm «năm ngoái» không hợp lệ" in out
    assert "dòng 7: ngày «32/12/2025» không hợp lệ" in out
    assert "dòng 8: thiếu «số quyết định»" in out
    assert "dòng 8: không có cán bộ nào có số điện thoại «0999999999»" in out
    assert "dòng 9: kết quả này trùng với dòng 2" in out
    assert "dòng 2:" not in out
    assert "chưa ghi gì" in out
    with admin.sessions()() as session:
        assert session.scalar(select(func.count()).select_from(AwardResult)) == 0


def test_one_result_added_by_the_office_checked_like_a_row(admin: Admin, tmp_path: Path) -> None:
    with_people(admin, tmp_path)
    args = ["results", "add", "--year", "2025", "--award", "Chiến sĩ thi đua cơ sở"]
    code, out = admin.run(*args, "--unit", "SNV", "--decision", "9/QĐ", "--date", "19/12/2025")
    assert code == 1
    assert "«Chiến sĩ thi đua cơ sở» là danh hiệu cá nhân: cần «họ và tên»" in out
    code, out = admin.run(
        *args,
        "--unit",
        "SNV",
        "--name",
        "Trần Thị Mai",
        "--decision",
        "9/QĐ",
        "--date",
        "19/12/2025",
    )
    assert code == 0 and "1 mới, 0 cập nhật" in out
    assert results(admin) == [(2025, "CSTDCS", "SNV", "Trần Thị Mai", "Trần Thị Mai", "9/QĐ")]
