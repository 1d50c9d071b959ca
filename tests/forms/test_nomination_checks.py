"""Each of the Law's checks on a nomination: a case that triggers it and one that does not.

The history is three years of results imported as an office would (bot.admin.results); the
year's own nominations, rankings, registrations and reports are written through the store.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bot.admin.results import import_results
from bot.admin.tables import Row
from bot.core import nomination_checks
from bot.core.nomination_record import facts_for
from bot.store import awards, nominations
from bot.store.models import (
    Cluster,
    ProgressReport,
    Registration,
    RegistrationLine,
    ReportPeriod,
    ReportValue,
    Target,
    TitleCatalog,
)
from tests.chat import HCM
from tests.forms.conftest import World

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=HCM)
ALL_FILES = ("to_trinh", "bao_cao", "bien_ban", "sang_kien")
MAI, HUNG = "Trần Thị Mai", "Nguyễn Văn Hùng"  # officer and head of Sở Nội vụ
HISTORY = [
    (2023, "CSTDCS", MAI),
    (2024, "CSTDCS", MAI),
    (2025, "CSTDCS", MAI),
    (2024, "CSTD_TINH", MAI),
    (2025, "CSTD_TINH", MAI),
    (2023, "CSTDCS", HUNG),
    (2025, "CSTDCS", HUNG),  # not three in a row
    (2023, "CSTD_TINH", HUNG),
]


@pytest.fixture
def history(world: World) -> World:
    rows = [
        Row(n, {"year": str(y), "award": a, "unit": "SNV", "name": name, "decision": f"{n}/QĐ",
                "date": f"{y}-12-20"})
        for n, (y, a, name) in enumerate(HISTORY, start=2)
    ]  # fmt: skip
    with world.sessions.begin() as session:
        summary = import_results(session, rows, now=NOW)
    assert summary.created == len(HISTORY)
    return world


def draft(world: World, award: str, who: str | None = None, **extra: Any) -> dict[str, Any]:
    """A nomination of `who` (a chat user of the world, or None: Sở Nội vụ itself)."""
    files = extra.pop("files", ALL_FILES)
    base: dict[str, Any] = {
        "movement_id": world.movement_id,
        "year": 2026,
        "unit_id": world.units[extra.pop("unit", "SNV")],
        "kind": nominations.UNIT if who is None else nominations.PERSON,
        "person_id": None if who is None else world.people[who],
        "name": "",
        "award": award,
        "summary": "Hoàn thành xuất sắc nhiệm vụ.",
        "files": [{"kind": k, "sha": f"{i:064x}", "name": f"{k}.pdf"} for i, k in enumerate(files)],
    }
    return {**base, **extra}


def codes(world: World, nomination: dict[str, Any]) -> dict[str, str]:
    with world.sessions() as session:
        found = nomination_checks.warnings(facts_for(session, nomination))
    return {f.code: f.text for f in found}


def nominate(world: World, award: str, who: str | None = None, **extra: Any) -> None:
    with world.sessions.begin() as session:
        nominations.write_nomination(
            session, draft(world, award, who, **extra), status="submitted", person_id=None, now=NOW
        )


def test_cstdcs_needs_lao_dong_tien_tien_the_same_year(history: World) -> None:
    found = codes(history, draft(history, "CSTDCS", "head"))
    assert "Điều 23 khoản 1 Luật Thi đua, khen thưởng 2022" in found["dieu23"]
    assert found["dieu23"].startswith("Nguyễn Văn Hùng chưa có «Lao động tiên tiến» năm 2026")
    nominate(history, "LDTT", "head")
    assert "dieu23" not in codes(history, draft(history, "CSTDCS", "head"))


def test_provincial_title_needs_three_consecutive_cstdcs(history: World) -> None:
    found = codes(history, draft(history, "CSTD_TINH", "head"))
    assert "(các năm đã có: 2023, 2025)" in found["dieu22"]
    assert "Điều 22 khoản 1 điểm a" in found["dieu22"]
    assert "dieu22" not in codes(history, draft(history, "CSTD_TINH", "officer"))
    nominate(history, "CSTDCS", "head")  # 2025 and 2026: still not three in a row
    assert (
        "(các năm đã có: 2023, 2025, 2026)"
        in codes(history, draft(history, "CSTD_TINH", "head"))["dieu22"]
    )
    with history.sessions.begin() as session:  # the missing year's decision, imported late
        values = {"year": "2024", "award": "CSTDCS", "unit": "SNV", "name": HUNG,
                  "decision": "7/QĐ", "date": "2024-12-20"}  # fmt: skip
        import_results(session, [Row(2, values)], now=NOW)
    assert "dieu22" not in codes(history, draft(history, "CSTD_TINH", "head"))


def test_national_title_needs_two_consecutive_provincial(history: World) -> None:
    found = codes(history, draft(history, "CSTDTQ", "head"))
    assert "02 lần liên tục" in found["dieu21"] and "(các năm đã có: 2023)" in found["dieu21"]
    assert "Điều 21 khoản 1 điểm a" in found["dieu21"]
    assert "dieu21" not in codes(history, draft(history, "CSTDTQ", "officer"))


def test_excellent_collective_needs_70_percent_and_a_cstdcs(history: World) -> None:
    found = codes(history, draft(history, "TTLDXS"))
    # Sở Nội vụ has four people in the records: head, officer, cadre, lead3
    assert "0/4 người" in found["dieu27_70"] and "Điều 27 khoản 1 điểm c" in found["dieu27_70"]
    assert "Điều 27 khoản 1 điểm d" in found["dieu27_cstdcs"]
    for who in ("head", "officer"):
        nominate(history, "LDTT", who)
    found = codes(history, draft(history, "TTLDXS"))
    assert "2/4 người" in found["dieu27_70"] and "(50 %)" in found["dieu27_70"]
    nominate(history, "LDTT", "cadre")
    nominate(history, "CSTDCS", "officer")
    found = codes(history, draft(history, "TTLDXS"))
    assert "dieu27_70" not in found and "dieu27_cstdcs" not in found


def test_flag_goes_to_the_unit_leading_its_cluster(history: World) -> None:
    found = codes(history, draft(history, "CO_TINH"))
    assert "Khối Nội chính chưa ghi kết quả bình xét" in found["dieu26"]
    assert "Điều 26 khoản 1" in found["dieu26"]
    units = history.units
    with history.sessions.begin() as session:
        cluster = session.scalars(select(Cluster).where(Cluster.code == "K1")).one()
        awards.record_ranking(
            session, cluster, [units["STP"], units["SNV"]], person_id=None, now=NOW
        )
    found = codes(history, draft(history, "CO_TINH"))
    assert "suy tôn «Sở Tư pháp» dẫn đầu năm 2026" in found["dieu26"]
    assert "dieu26" not in codes(history, draft(history, "CO_TINH", unit="STP"))
    found = codes(history, draft(history, "CO_TINH", unit="BTDKT"))
    assert "không thuộc cụm, khối thi đua nào" in found["dieu26"]


def test_the_file_the_law_requires(history: World) -> None:
    found = codes(history, draft(history, "CSTDCS", "officer", files=()))
    assert "Điều 84 khoản 1 điểm a, b, c, d" in found["dieu84"]
    assert "chứng nhận sáng kiến" in found["dieu84"]
    found = codes(history, draft(history, "CSTDCS", "officer", files=ALL_FILES[:3]))
    assert "Điều 84 khoản 1 điểm d" in found["dieu84"]
    assert "dieu84" not in codes(history, draft(history, "CSTDCS", "officer"))
    assert "dieu84" not in codes(history, draft(history, "LDTT", "officer", files=ALL_FILES[:3]))
    found = codes(history, draft(history, "GK", "officer", files=("to_trinh", "bao_cao")))
    assert "Điều 84 khoản 2 điểm c" in found["dieu84"]


def test_prime_ministers_and_state_awards_need_the_opinion_of_the_province(
    history: World,
) -> None:
    """Điều 84 khoản 3: a «Bằng khen của Thủ tướng Chính phủ», the Government's flag or an
    order added to the catalogue; not a provincial Bằng khen."""
    found = codes(history, draft(history, "BK_TTG", "officer", files=ALL_FILES[:3]))
    assert "Điều 84 khoản 3" in found["dieu84_3"]
    assert "«Bằng khen của Thủ tướng Chính phủ»" in found["dieu84_3"]
    assert "Ủy ban nhân dân cấp tỉnh" in found["dieu84_3"]
    assert "dieu84" not in found  # khoản 2 điểm a–c are all there
    with_opinion = (*ALL_FILES[:3], "y_kien")
    assert "dieu84_3" not in codes(history, draft(history, "BK_TTG", "officer", files=with_opinion))
    assert "dieu84_3" in codes(history, draft(history, "CO_CP", files=ALL_FILES[:3]))
    assert "dieu84_3" not in codes(history, draft(history, "BK_TINH", "officer"))
    assert "dieu84_3" not in codes(history, draft(history, "CSTDCS", "officer"))
    with history.sessions.begin() as session:
        session.add(TitleCatalog(code="HCLD3", name="Huân chương Lao động hạng Ba", scope="cả hai"))
    found = codes(history, draft(history, "HCLD3", "officer"))
    assert "«Huân chương Lao động hạng Ba»" in found["dieu84_3"]


def register(world: World, collective: str, reached: int) -> None:
    """Sở Nội vụ's submitted registration (LĐTT for Mai; two targets) and a report reaching
    `reached` of them."""
    with world.sessions.begin() as session:
        reg = Registration(
            unit_id=world.units["SNV"],
            movement_id=world.movement_id,
            status="submitted",
            version=1,
            collective_title=collective,
        )
        reg.lines = [RegistrationLine(position=1, title_code="LDTT", names=MAI, count=1)]
        reg.targets = [
            Target(position=i, description=f"Chỉ tiêu {i}", target_value=Decimal(100))
            for i in (1, 2)
        ]
        session.add(reg)
        session.flush()
        period = session.scalars(select(ReportPeriod)).one()
        values = [Decimal(100) if i < reached else Decimal(60) for i in range(2)]
        report = ProgressReport(registration_id=reg.id, period_id=period.id)
        pairs = zip(reg.targets, values, strict=True)
        report.values = [ReportValue(target_id=t.id, actual_value=v) for t, v in pairs]
        session.add(report)


def test_registration_and_report_beside_the_nomination(history: World) -> None:
    found = codes(history, draft(history, "TTLDXS"))
    assert found["registration"].startswith("Đơn vị chưa có bản đăng ký thi đua")
    register(history, "TTLDTT", reached=1)
    found = codes(history, draft(history, "TTLDXS"))
    assert (
        "đã đăng ký «Tập thể lao động tiên tiến», nay đề nghị «Tập thể lao động xuất sắc»"
        in found["registration"]
    )
    assert "Báo cáo «Quý 1» của đơn vị đạt 1/2 chỉ tiêu (50 %)" in found["targets"]
    assert "Điều 27 khoản 1 điểm a" in found["targets"]
    assert "registration" not in codes(history, draft(history, "LDTT", "officer"))
    found = codes(history, draft(history, "LDTT", "head"))
    assert "Nguyễn Văn Hùng không có trong danh sách đăng ký" in found["registration"]
    found = codes(history, draft(history, "CSTDCS", "officer"))
    assert "không có «Chiến sĩ thi đua cơ sở»" in found["registration"]


def test_registration_matching_the_nomination_says_nothing(history: World) -> None:
    register(history, "TTLDXS", reached=2)
    found = codes(history, draft(history, "TTLDXS"))
    assert "registration" not in found and "targets" not in found


def test_quota_set_on_the_movement(history: World) -> None:
    for who in ("head", "officer"):
        nominate(history, "LDTT", who)
    nominate(history, "CSTDCS", "head")
    assert "quota" not in codes(history, draft(history, "CSTDCS", "officer"))  # none set
    with history.sessions.begin() as session:
        quotas = {"CSTDCS": {"of": "LDTT", "max_percent": 50}}
        nominations.save_settings(
            session, history.movement_id, deadline=date(2026, 12, 10), quotas=quotas
        )
    found = codes(history, draft(history, "CSTDCS", "officer"))
    assert (
        "Số «Chiến sĩ thi đua cơ sở» của đơn vị (2) vượt 50 % số «Lao động tiên tiến» (2)"
        in (found["quota"])
    )
    assert "quota" not in codes(history, draft(history, "CSTDCS", "head"))  # itself, one of 2
