"""`thidua export nominations`: the council's list grouped by award, with the checks; a tally."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select

from bot.i18n import nominations_vi as nv
from bot.store import nominations
from bot.store.models import Movement, Person, Unit
from tests.admin.conftest import Admin
from tests.admin.files import import_units
from tests.admin.test_exports import MOVEMENT

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
ALL = ("to_trinh", "bao_cao", "bien_ban", "sang_kien")


def seed(admin: Admin, tmp_path: Path) -> None:
    """SNV: its unit (TTLDXS), An (LĐTT and CSTĐCS), Bình (LĐTT); STC: Giấy khen for a named
    person, refused; HKH: LĐTT for Cường, in another movement's year (not exported)."""
    import_units(admin, tmp_path)
    (tmp_path / "m.yaml").write_text(MOVEMENT, encoding="utf-8")
    assert admin.run("movement", "create", "--file", tmp_path / "m.yaml")[0] == 0
    with admin.sessions().begin() as session:
        movement = session.scalars(select(Movement)).one()
        units = {u.code: u.id for u in session.scalars(select(Unit))}
        people = {}
        for name in ("Nguyễn Văn An", "Trần Thị Bình"):
            person = Person(full_name=name, unit_id=units["SNV"])
            session.add(person)
            session.flush()
            people[name] = person.id

        def nominate(unit: str, award: str, who: str | None, **extra: Any) -> None:
            kind = "unit" if who is None else "person" if who in people else "named"
            draft = {
                "movement_id": movement.id,
                "year": 2026,
                "unit_id": units[unit],
                "kind": kind,
                "person_id": people.get(who or ""),
                "name": who or "",
                "award": award,
                "summary": f"Thành tích của {who or unit}",
                "files": [{"kind": k, "sha": f"{i:064x}", "name": k} for i, k in enumerate(ALL)],
                **extra,
            }
            status = extra.pop("status", "submitted")
            nominations.write_nomination(session, draft, status=status, person_id=None, now=NOW)

        nominate("SNV", "TTLDXS", None)
        nominate("SNV", "LDTT", "Nguyễn Văn An")
        nominate("SNV", "LDTT", "Trần Thị Bình")
        nominate("SNV", "CSTDCS", "Nguyễn Văn An", files=[])
        nominate("STC", "GK", "Phan Thị Dung")
        nominate("HKH", "LDTT", "Lê Văn Cường", movement_id=None)
        refused = session.scalars(
            select(nominations.Nomination).where(nominations.Nomination.award_code == "GK")
        ).one()
        nominations.set_status(
            session, refused.id, 1, status="refused", person_id=None, now=NOW, reason="Trùng"
        )


def test_export_grouped_with_checks_and_tally(admin: Admin, tmp_path: Path) -> None:
    seed(admin, tmp_path)
    out = tmp_path / "de-nghi.xlsx"
    code, text = admin.run("export", "nominations", "--movement", "TD2026", "--out", out)
    assert code == 0, text
    assert "5 đề nghị khen thưởng" in text
    book = load_workbook(out)
    assert book.sheetnames == [nv.EXPORT_SHEET, nv.EXPORT_TALLY_SHEET]
    rows = [list(r) for r in book[nv.EXPORT_SHEET].iter_rows(values_only=True)]
    assert rows[0] == list(nv.EXPORT_HEADERS)
    groups = [r[1] for r in rows[1:] if r[0] is None]
    assert groups == [
        "Lao động tiên tiến: 2 đề nghị",
        "Chiến sĩ thi đua cơ sở: 1 đề nghị",
        "Tập thể lao động xuất sắc: 1 đề nghị",
        "Giấy khen: 1 đề nghị",
    ]
    body = {(r[1], r[4]): r for r in rows[1:] if r[0] is not None}
    assert set(body) == {
        ("Lao động tiên tiến", "Nguyễn Văn An"),
        ("Lao động tiên tiến", "Trần Thị Bình"),
        ("Chiến sĩ thi đua cơ sở", "Nguyễn Văn An"),
        ("Tập thể lao động xuất sắc", "Sở Nội vụ"),
        ("Giấy khen", "Phan Thị Dung"),
    }
    cstdcs = body[("Chiến sĩ thi đua cơ sở", "Nguyễn Văn An")]
    assert cstdcs[2:4] == ["SNV", "Sở Nội vụ"]
    assert cstdcs[5] == "Thành tích của Nguyễn Văn An"
    assert cstdcs[6] == 0 and "Điều 84 khoản 1 điểm a, b, c, d" in cstdcs[10]
    assert "Điều 23 khoản 1" not in cstdcs[10]  # An is nominated for LĐTT this year
    unit_row = body[("Tập thể lao động xuất sắc", "Sở Nội vụ")]
    assert unit_row[6] == 4 and unit_row[7] == "Đã nộp"
    assert "Điều 27 khoản 1 điểm c" not in (unit_row[10] or "")  # 2 of its 2 people: 100 %
    dung = body[("Giấy khen", "Phan Thị Dung")]
    assert (dung[2], dung[7], dung[8]) == ("STC", "Không đồng ý", "Trùng")

    tally = [list(r) for r in book[nv.EXPORT_TALLY_SHEET].iter_rows(values_only=True)]
    assert tally[0] == [
        "Đơn vị",
        "Lao động tiên tiến",
        "Chiến sĩ thi đua cơ sở",
        "Tập thể lao động xuất sắc",
        "Giấy khen",
        "Cộng",
    ]
    assert tally[1] == ["Sở Nội vụ", 2, 1, 1, None, 4]
    assert tally[2] == ["Sở Tài chính", None, None, None, 1, 1]
    assert tally[3] == ["Cộng", 2, 1, 1, 1, 5]


def test_unknown_movement_and_wrong_suffix(admin: Admin, tmp_path: Path) -> None:
    seed(admin, tmp_path)
    code, text = admin.run("export", "nominations", "--movement", "KHONG", "--out", "x.xlsx")
    assert code == 1 and "KHONG" in text
    code, text = admin.run("export", "nominations", "--movement", "TD2026", "--out", "x.csv")
    assert code == 1 and not (tmp_path / "x.csv").exists()
