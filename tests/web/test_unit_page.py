"""A unit's page: the Law's warnings, report values against targets, attachments (for the
unit's viewers only), pledges and the reminders the unit was sent."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.store import reminders as reminder_rows
from bot.store.models import (
    Cluster,
    Pledge,
    PledgeSignature,
    ProgressReport,
    Registration,
    ReportAttachment,
    ReportPeriod,
    ReportValue,
    Target,
)
from tests.forms.conftest import World
from tests.web.conftest import sign_in

SCAN = b"%PDF-1.4 bien ban hop\n"


def _filed(world: World) -> tuple[int, int]:
    """SNV: «Tập thể lao động xuất sắc» with no «Chiến sĩ thi đua cơ sở» (a warning), two
    targets, a Q1 report with one value and a scanned attachment. (registration, attachment)"""
    stored = world.files.put(SCAN)
    with world.sessions.begin() as session:
        reg = Registration(
            unit_id=world.units["SNV"],
            movement_id=world.movement_id,
            status="submitted",
            version=1,
            collective_title="TTLDXS",
            submitted_at=world.clock(),
        )
        reg.targets = [
            Target(position=1, description="Giải quyết hồ sơ đúng hạn", target_value=Decimal(200)),
            Target(position=2, description="Số sáng kiến", target_value=Decimal(4)),
        ]
        session.add(reg)
        session.flush()
        period = session.scalar(select(ReportPeriod).where(ReportPeriod.code == "Q1"))
        assert period is not None
        report = ProgressReport(
            registration_id=reg.id, period_id=period.id, status="submitted", version=1
        )
        report.values = [ReportValue(target_id=reg.targets[0].id, actual_value=Decimal(170))]
        report.attachments = [
            ReportAttachment(
                content_hash=stored.sha256,
                filename="Biên bản họp.pdf",
                content_type="application/pdf",
                size=len(SCAN),
            )
        ]
        session.add(report)
        session.flush()
        cluster = session.scalar(select(Cluster).where(Cluster.code == "K1"))
        assert cluster is not None
        pledge = Pledge(
            cluster_id=cluster.id,
            movement_id=world.movement_id,
            content="Giao ước khối Nội chính",
            opened_at=world.clock(),
        )
        pledge.signatures = [
            PledgeSignature(
                unit_id=world.units["STP"], signed_by=world.people["head2"], signed_at=world.clock()
            )
        ]
        session.add(pledge)
        session.add(
            reminder_rows.ReminderLog(
                rule="unit",
                person_id=world.people["head"],
                subject=f"dk:{world.movement_id}",
                slot="-3",
                unit_id=world.units["SNV"],
                status=reminder_rows.UNREACHED,
                due_at=world.clock(),
                created_at=world.clock(),
            )
        )
        return reg.id, report.attachments[0].id


def test_the_unit_page_shows_warnings_values_pledge_and_reminders(
    app_client: TestClient, world: World
) -> None:
    _reg, attachment = _filed(world)
    sign_in(app_client, world, "office")
    page = app_client.get(f"/web/units/{world.units['SNV']}")
    assert page.status_code == 200, page.text
    assert "Điều 27" in page.text  # the excellent collective without a CSTĐCS
    assert "Giải quyết hồ sơ đúng hạn" in page.text and "85 %" in page.text
    assert f"/web/units/{world.units['SNV']}/attachments/{attachment}" in page.text
    assert "Khối Nội chính" in page.text and "1/2" in page.text and "chưa ký" in page.text
    assert "Đăng ký thi đua — Thi đua thực hiện thắng lợi" in page.text
    assert "chưa liên lạc được" in page.text


def test_an_attachment_downloads_for_the_unit_and_not_for_another(
    app_client: TestClient, world: World
) -> None:
    _reg, attachment = _filed(world)
    snv, syt = world.units["SNV"], world.units["SYT"]
    sign_in(app_client, world, "head")
    got = app_client.get(f"/web/units/{snv}/attachments/{attachment}")
    assert got.status_code == 200 and got.content == SCAN
    assert (
        "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n%20h%E1%BB%8Dp.pdf"
        in got.headers["content-disposition"]
    )
    sign_in(app_client, world, "head3")  # Sở Y tế's head
    assert app_client.get(f"/web/units/{snv}/attachments/{attachment}").status_code == 403
    assert app_client.get(f"/web/units/{syt}/attachments/{attachment}").status_code == 404
