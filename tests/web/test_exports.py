"""Exports as downloads: the command line's workbooks, named in Vietnamese, within the viewer's
units (the office: every unit; a cluster lead: the cluster; a unit head: their unit)."""

from __future__ import annotations

import io
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.workbook import Workbook
from sqlalchemy import select

from bot.i18n import vi
from bot.store.models import (
    ProgressReport,
    Registration,
    ReportPeriod,
    ReportValue,
    Target,
    Unit,
)
from tests.forms.conftest import World
from tests.web.conftest import sign_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def registered(world: World) -> None:
    """SNV submitted with two targets and reported Q1; STP approved with none; SYT nothing."""
    with world.sessions.begin() as session:
        snv = Registration(
            unit_id=world.units["SNV"],
            movement_id=world.movement_id,
            status="submitted",
            version=2,
            submitted_at=world.clock(),
        )
        snv.targets = [
            Target(position=1, description="Hồ sơ đúng hạn", unit_of_measure="%", target_value=98),
            Target(
                position=2, description="Sáng kiến", unit_of_measure="sáng kiến", target_value=3
            ),
        ]
        stp = Registration(
            unit_id=world.units["STP"], movement_id=world.movement_id, status="approved", version=1
        )
        session.add_all([snv, stp])
        session.flush()
        period = session.scalars(
            select(ReportPeriod).where(ReportPeriod.movement_id == world.movement_id)
        ).one()
        report = ProgressReport(
            registration_id=snv.id, period_id=period.id, narrative="Đạt", submitted_at=world.clock()
        )
        report.values = [ReportValue(target_id=snv.targets[0].id, actual_value=Decimal("97"))]
        session.add(report)


def workbook(client: TestClient, world: World, **params: str) -> Workbook:
    query = {"movement": str(world.movement_id), **params}
    answer = client.get("/web/exports/download", params=query)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    return load_workbook(io.BytesIO(answer.content))


def rows(book: Workbook, sheet: int = 0) -> list[list[object]]:
    return [list(r) for r in book.worksheets[sheet].iter_rows(min_row=2, values_only=True)]


def test_the_office_downloads_every_unit(app_client: TestClient, world: World) -> None:
    registered(world)
    sign_in(app_client, world, "office")
    page = app_client.get("/web/exports")
    assert "Thi đua thực hiện thắng lợi nhiệm vụ năm 2026 (PT2026)" in page.text
    assert "mọi đơn vị" in page.text
    answer = app_client.get(f"/web/exports/download?movement={world.movement_id}")
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Dang ky thi dua - PT2026.xlsx"')
    assert "filename*=UTF-8''%C4%90%C4%83ng%20k%C3%BD%20thi%20%C4%91ua%20-%20PT2026.xlsx" in (
        disposition
    )
    found = rows(load_workbook(io.BytesIO(answer.content)))
    # SNV: a row per target; STP: one row without targets; SYT: «Chưa nộp»; BTDKT is the office.
    assert [(r[0], r[2], r[7]) for r in found] == [
        ("SNV", vi.STATUS_LABELS["submitted"], "Hồ sơ đúng hạn"),
        ("SNV", vi.STATUS_LABELS["submitted"], "Sáng kiến"),
        ("STP", vi.STATUS_LABELS["approved"], None),
        ("SYT", vi.EXPORT_NOT_SUBMITTED, None),
    ]
    assert found[0][3] == 2  # the version


def test_reports_per_unit(app_client: TestClient, world: World) -> None:
    registered(world)
    sign_in(app_client, world, "office")
    answer = app_client.get(
        "/web/exports/download",
        params={"movement": str(world.movement_id), "kind": "reports", "layout": "per-unit"},
    )
    assert (
        "B%C3%A1o%20c%C3%A1o%20thi%20%C4%91ua%20-%20PT2026%20-%20t%E1%BB%ABng"
        in (answer.headers["content-disposition"])
    )
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == [vi.EXPORT_SUMMARY_SHEET, "SNV", "STP"]
    summary = {(r[0], r[4]) for r in rows(book)}
    assert summary == {("SNV", vi.STATUS_LABELS["submitted"]), ("STP", vi.EXPORT_NOT_SUBMITTED)}
    # period, deadline, status, late, submitted, then per target: position, …, target, actual
    assert [(r[5], r[8], r[9]) for r in rows(book, 1)] == [(1, 98, 97), (2, 3, None)]


@pytest.mark.parametrize(
    ("user", "units"),
    [("head", {"SNV"}), ("officer", {"SNV"}), ("head2", {"SNV", "STP"}), ("head3", {"SYT"})],
)
def test_others_download_only_their_units(
    app_client: TestClient, world: World, user: str, units: set[str]
) -> None:
    registered(world)
    sign_in(app_client, world, user)
    page = app_client.get("/web/exports")
    assert f"chỉ gồm {len(units)} đơn vị" in page.text
    for kind in ("registrations", "reports"):
        for layout in ("flat", "per-unit"):
            book = workbook(app_client, world, kind=kind, layout=layout)
            codes = {r[0] for r in rows(book)}
            assert codes <= units, (kind, layout, codes)
            if (kind, layout) == ("registrations", "flat"):  # every unit has a row there
                assert codes == units
            assert set(book.sheetnames[1:]) <= units


def test_unknown_choices_are_not_found(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world, "office")
    for query in (
        "movement=999",
        "movement=abc",
        "",
        f"movement={world.movement_id}&kind=people",
        f"movement={world.movement_id}&layout=wide",
    ):
        assert app_client.get(f"/web/exports/download?{query}").status_code == 404, query


def test_the_file_is_removed_once_sent(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world, "office")
    folder = Path(tempfile.gettempdir())
    before = set(folder.glob("thidua-*.xlsx"))
    workbook(app_client, world)
    app_client.get("/web/org/template/units")
    assert set(folder.glob("thidua-*.xlsx")) <= before


def test_a_download_lets_the_bot_write_meanwhile(
    app_client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a workbook is built, a chat's turn can still commit (SQLite: no writer's lock is
    held by the download), and the workbook shows the data as it was when it began."""
    from bot.admin import exports

    real = exports.KINDS["registrations"]
    written: list[int] = []

    def meanwhile(session: Any, *args: Any, **kwargs: Any) -> int:
        session.execute(select(Unit.id)).all()  # the export's snapshot has begun
        if written:
            return int(real(session, *args, **kwargs))
        with world.sessions.begin() as other:  # would wait, then fail, behind a writer's lock
            unit = Unit(code="HKH", name="UBND huyện Hương Khê")
            other.add(unit)
            other.flush()
            written.append(unit.id)
        return int(real(session, *args, **kwargs))

    monkeypatch.setitem(exports.KINDS, "registrations", meanwhile)
    sign_in(app_client, world, "office")
    book = workbook(app_client, world)
    assert written and "HKH" not in {r[0] for r in rows(book)}
    assert "HKH" in {r[0] for r in rows(workbook(app_client, world))}
