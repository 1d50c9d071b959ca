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
