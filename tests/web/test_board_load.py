"""The movements board reads standings without loading what a standing never shows: a
registration's lines and targets, a report's values and attachments (bench/dashboard.py: at
2,000 units and 20,000 reports they were most of the page's time)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import event, select

from bot.i18n import web_vi
from bot.store.models import (
    ProgressReport,
    Registration,
    RegistrationLine,
    ReportPeriod,
    ReportValue,
    Target,
)
from tests.forms.conftest import World
from tests.web.conftest import sign_in

UNLOADED = ("registration_lines", "targets", "report_values", "report_attachments")


def _report(world: World) -> None:
    """An approved registration of SNV with a line and a target, and its Q1 report."""
    at = datetime(2026, 3, 20, 8, tzinfo=UTC)
    with world.sessions.begin() as session:
        reg = Registration(
            unit_id=world.units["SNV"],
            movement_id=world.movement_id,
            status="approved",
            version=3,
            submitted_at=at,
        )
        reg.lines = [RegistrationLine(position=0, title_code="LĐTT", count=3)]
        reg.targets = [Target(position=0, description="Hồ sơ đúng hạn", target_value=95)]
        session.add(reg)
        session.flush()
        period = session.scalars(
            select(ReportPeriod).where(ReportPeriod.movement_id == world.movement_id)
        ).first()
        assert period is not None
        report = ProgressReport(registration_id=reg.id, period_id=period.id, submitted_at=at)
        report.values = [ReportValue(target_id=reg.targets[0].id, actual_value=Decimal(90))]
        session.add(report)


def test_board_shows_reports_without_loading_their_details(
    app_client: TestClient, world: World
) -> None:
    _report(world)
    sign_in(app_client, world, "office")
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement.lower())

    event.listen(world.engine, "before_cursor_execute", seen)
    try:
        page = app_client.get("/web/movements")
    finally:
        event.remove(world.engine, "before_cursor_execute", seen)
    assert page.status_code == 200, page.text
    row = page.text.split('href="/web/units/{}"'.format(world.units["SNV"]), 1)[1]
    row = row.split("</tr>", 1)[0]
    assert web_vi.REG_STATES["approved"] in row
    assert web_vi.REPORT_STATES["submitted"] in row
    read = [s for s in statements for table in UNLOADED if f"from {table}" in s]
    assert read == []


def _submitted(world: World, unit: str) -> None:
    at = datetime(2026, 3, 20, 8, tzinfo=UTC)
    with world.sessions.begin() as session:
        reg = Registration(
            unit_id=world.units[unit],
            movement_id=world.movement_id,
            status="submitted",
            version=2,
            submitted_at=at,
        )
        reg.targets = [Target(position=0, description="Hồ sơ đúng hạn", target_value=95)]
        session.add(reg)


def _review_statements(client: TestClient, world: World) -> tuple[str, list[str]]:
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement.lower())

    event.listen(world.engine, "before_cursor_execute", seen)
    try:
        page = client.get("/web/review")
    finally:
        event.remove(world.engine, "before_cursor_execute", seen)
    assert page.status_code == 200, page.text
    return page.text, statements


def test_review_lists_every_waiting_unit_in_as_many_queries(
    app_client: TestClient, world: World
) -> None:
    """The review page's queries do not grow with the registrations it lists."""
    sign_in(app_client, world, "office")
    _submitted(world, "SNV")
    page, one = _review_statements(app_client, world)
    assert "Sở Nội vụ" in page and "Sở Tư pháp" not in page
    _submitted(world, "STP")
    _submitted(world, "SYT")
    page, three = _review_statements(app_client, world)
    for name in ("Sở Nội vụ", "Sở Tư pháp", "Sở Y tế"):
        assert name in page
    assert page.count("Thi đua thực hiện thắng lợi nhiệm vụ năm 2026") == 3
    assert len(three) == len(one)
    assert not [s for s in three for table in UNLOADED if f"from {table}" in s]
