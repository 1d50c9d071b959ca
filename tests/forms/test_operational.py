"""Operational questions answered from the records, scoped to whoever asks."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.i18n import vi
from bot.store.models import (
    Cluster,
    Pledge,
    PledgeSignature,
    ProgressReport,
    Registration,
    ReportPeriod,
)
from tests.forms.conftest import World
from tests.forms.test_registration import fill_to_summary


def test_registration_deadline_with_my_status(world: World) -> None:
    head = world.chat("head")
    head.say("Hạn nộp đăng ký thi đua là ngày nào?")
    assert "hạn nộp đăng ký thi đua là ngày 31/03/2026" in head.text
    assert "Đơn vị của anh/chị: chưa đăng ký." in head.text
    assert world.qa.asked == []  # answered from the records, not the law texts
    fill_to_summary(head)
    head.say("han nop dang ky thi dua la ngay nao")  # mid-form, unaccented, from the records
    assert "Đơn vị của anh/chị: Bản nháp" not in head.text
    assert "hạn nộp đăng ký thi đua là ngày 31/03/2026" in head.last[0].text
    assert "ĐĂNG KÝ THI ĐUA" in head.last[-1].text  # and the form's prompt again


def test_my_cluster_and_its_lead(world: World) -> None:
    officer = world.chat("officer")
    officer.say("đơn vị tôi thuộc khối nào, khối trưởng là ai")
    assert officer.text == (
        "Đơn vị của anh/chị thuộc khối «Khối Nội chính»; khối trưởng: Sở Tư pháp (Lê Văn Nam)."
    )
    stranger = world.chat("stranger")
    stranger.say("đơn vị tôi thuộc khối nào")
    assert stranger.text == vi.OPS_NEED_UNIT


def test_report_filed_or_not(world: World) -> None:
    head = world.chat("head")
    head.say("đơn vị tôi đã nộp báo cáo quý 1 chưa")
    assert "Quý 1: chưa nộp (hạn 10/04/2026)" in head.text
    fill_to_summary(head)
    head.press("Xác nhận và nộp")
    with world.sessions.begin() as session:
        reg = session.scalar(select(Registration))
        assert reg is not None
        q1 = session.scalar(select(ReportPeriod).where(ReportPeriod.code == "Q1"))
        assert q1 is not None
        session.add(
            ProgressReport(
                registration_id=reg.id,
                period_id=q1.id,
                submitted_at=datetime(2026, 4, 12, 3, 0, tzinfo=UTC),
                late=True,
            )
        )
    head.say("đơn vị tôi đã nộp báo cáo quý 1 chưa")
    assert "Quý 1: đã nộp ngày 12/04/2026 (nộp muộn)" in head.text


def test_units_that_have_not_signed_the_pledge(world: World) -> None:
    with world.sessions.begin() as session:
        cluster = session.scalar(select(Cluster))
        assert cluster is not None
        pledge = Pledge(
            cluster_id=cluster.id,
            movement_id=world.movement_id,
            content="Giao ước thi đua năm 2026",
            opened_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
        pledge.signatures = [
            PledgeSignature(
                unit_id=world.units["STP"],
                signed_by=world.people["head2"],
                signed_at=datetime(2026, 2, 2, tzinfo=UTC),
            )
        ]
        session.add(pledge)
    lead = world.chat("head2")
    lead.say("những đơn vị nào chưa ký giao ước")
    assert lead.text == "• Khối Nội chính: đã ký 1/2 đơn vị; chưa ký 1: Sở Nội vụ"
    office = world.chat("office")
    office.say("nhung don vi nao chua ky giao uoc")
    assert office.text.splitlines() == [
        "• Khối Nội chính: đã ký 1/2 đơn vị; chưa ký 1: Sở Nội vụ",
        "• Khối Văn hoá - Xã hội: chưa mở ký kết giao ước (khối trưởng mở bằng /giaouoc).",
    ]
    head = world.chat("head")  # a member: its own khối's pledge and its own signature only
    head.say("những đơn vị nào chưa ký giao ước")
    assert "Khối Nội chính đã mở ký kết giao ước" in head.last[0].text  # the notice, once
    assert head.last[-1].text.splitlines() == [
        vi.OPS_OUT_OF_SCOPE_ALL.format(
            limit="anh/chị chỉ xem được tình hình của đơn vị mình (Sở Nội vụ)"
        ),
        "• Khối Nội chính: giao ước đang được ký; đơn vị của anh/chị (Sở Nội vụ): chưa ký.",
        vi.OPS_PLEDGE_SCOPE_NOTE.format(kind="khối"),
    ]
    assert world.qa.asked == []
