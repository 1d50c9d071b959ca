"""The movements page: one movement's units a page at a time, the units past each deadline,
and «Nhắc ngay» for them, within the viewer's scope."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.i18n import web_vi
from bot.reminders import standing as st
from bot.reminders.calendar import VN_TZ
from bot.store import reminders as reminder_rows
from bot.store.models import ProgressReport, Registration, ReportPeriod
from bot.store.outbox import OutboxMessage
from tests.forms.conftest import World
from tests.web.conftest import sign_in
from tests.web.test_access import submitted

AFTER_DEADLINE = datetime(2026, 4, 2, 9, 0, tzinfo=VN_TZ)  # registration due 31/03/2026


def reminded(world: World) -> list[tuple[str, int | None]]:
    """(person, unit) of every reminder queued so far, with as many outbox rows."""
    names = {v: k for k, v in world.people.items()}
    log = reminder_rows.ReminderLog
    with world.sessions() as session:
        rows = session.execute(
            select(log.person_id, log.unit_id).where(log.status == reminder_rows.SENT)
        ).all()
        queued = session.scalars(select(OutboxMessage.id)).all()
    assert len(queued) == len(rows)
    return sorted((names[person], unit) for person, unit in rows)


def test_units_are_listed_a_page_at_a_time_without_the_office(
    app_client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.web.routers import movements

    monkeypatch.setattr(movements, "PAGE_SIZE", 2)
    sign_in(app_client, world, "office")
    first = app_client.get("/web/movements")
    assert "3 đơn vị, trang 1/2" in first.text
    assert "Ban TĐKT" not in first.text  # the office's own unit owes nothing
    second = app_client.get(f"/web/movements?movement={world.movement_id}&page=2")
    assert "trang 2/2" in second.text
    shown = [name for name in ("Sở Nội vụ", "Sở Tư pháp", "Sở Y tế") if name in second.text]
    assert len(shown) == 1


def test_the_overdue_list_names_the_units_that_still_owe(
    app_client: TestClient, world: World
) -> None:
    submitted(world, "SNV")
    world.clock.current = AFTER_DEADLINE
    sign_in(app_client, world, "office")
    page = app_client.get("/web/movements")
    assert "Đăng ký: 2 đơn vị quá hạn chưa nộp" in page.text
    late = app_client.get(f"/web/movements?movement={world.movement_id}&overdue=dk")
    assert "Đơn vị quá hạn chưa nộp — Đăng ký" in late.text
    assert "Sở Tư pháp" in late.text and "Sở Y tế" in late.text
    assert "Sở Nội vụ</a>" not in late.text
    assert "Nhắc ngay" in late.text


def test_a_report_is_owed_only_by_units_that_registered(
    app_client: TestClient, world: World
) -> None:
    """Past Q1's deadline, the unit that registered owes its report; the two that did not
    register owe the registration, not a report they cannot file."""
    submitted(world, "SNV")
    with world.sessions() as session:
        period = session.scalars(
            select(ReportPeriod.id).where(ReportPeriod.movement_id == world.movement_id)
        ).one()
    world.clock.current = datetime(2026, 4, 20, 9, 0, tzinfo=VN_TZ)  # past Q1's 10/04
    sign_in(app_client, world, "office")
    base = f"/web/movements?movement={world.movement_id}&overdue="
    late_report = app_client.get(f"{base}{period}").text
    assert "Sở Nội vụ</a>" in late_report
    assert "Sở Tư pháp" not in late_report and "Sở Y tế" not in late_report
    late_registration = app_client.get(f"{base}dk").text
    assert "Sở Tư pháp" in late_registration and "Sở Y tế" in late_registration


def test_before_the_deadline_nothing_is_overdue(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world, "office")
    page = app_client.get("/web/movements")
    assert "quá hạn chưa nộp" not in page.text


def test_remind_now_reaches_the_owing_units_once_an_hour(
    app_client: TestClient, world: World
) -> None:
    submitted(world, "SNV")
    world.clock.current = AFTER_DEADLINE
    csrf = sign_in(app_client, world, "office")
    done = app_client.post(
        f"/web/movements/{world.movement_id}/remind", data={"csrf": csrf, "overdue": "dk"}
    )
    assert done.status_code == 200 and "Đã xếp 2 lời nhắc" in done.text
    assert reminded(world) == [("head2", world.units["STP"]), ("head3", world.units["SYT"])]
    with world.sessions() as session:
        text = str(session.scalar(select(OutboxMessage.payload)))
    assert "quá hạn" in text
    again = app_client.post(
        f"/web/movements/{world.movement_id}/remind", data={"csrf": csrf, "overdue": "dk"}
    )
    assert "Không có lời nhắc mới" in again.text
    assert len(reminded(world)) == 2
    world.clock.advance(hours=1)
    app_client.post(
        f"/web/movements/{world.movement_id}/remind", data={"csrf": csrf, "overdue": "dk"}
    )
    assert len(reminded(world)) == 4


def test_a_cluster_lead_reminds_only_their_cluster(app_client: TestClient, world: World) -> None:
    world.clock.current = AFTER_DEADLINE
    csrf = sign_in(app_client, world, "head2")  # leads Khối Nội chính: SNV and STP
    app_client.post(
        f"/web/movements/{world.movement_id}/remind", data={"csrf": csrf, "overdue": "dk"}
    )
    units = {unit for _chat, unit in reminded(world)}
    assert units == {world.units["SNV"], world.units["STP"]}


def test_a_unit_head_may_not_remind_and_a_forged_post_is_refused(
    app_client: TestClient, world: World
) -> None:
    world.clock.current = AFTER_DEADLINE
    csrf = sign_in(app_client, world, "head3")
    url = f"/web/movements/{world.movement_id}/remind"
    assert app_client.post(url, data={"csrf": csrf, "overdue": "dk"}).status_code == 403
    page = app_client.get(f"/web/movements?movement={world.movement_id}&overdue=dk")
    assert "Nhắc ngay" not in page.text
    office_csrf = sign_in(app_client, world, "office")
    assert app_client.post(url, data={"overdue": "dk"}).status_code == 403
    assert office_csrf and reminded(world) == []


def _row(page: str, world: World, unit: str) -> list[str]:
    """The cells of a unit's row on the movements page, tags stripped."""
    row = page.split(f'href="/web/units/{world.units[unit]}"', 1)[1]
    row = row.split("</tr>", 1)[0]
    return [cell.rsplit(">", 1)[-1] for cell in row.replace("</span>", "").split("</td>")[:-1]]


def test_each_row_shows_the_state_its_unit_filed_in(app_client: TestClient, world: World) -> None:
    """Approved, filed in the deadline's next second (late) and returned registrations; a late
    report, a report returned to its officer; the office's unit not listed."""
    with world.sessions.begin() as session:
        period = session.scalars(
            select(ReportPeriod.id).where(ReportPeriod.movement_id == world.movement_id)
        ).one()
        regs = {}
        for unit, status, sent in (
            ("SNV", "approved", datetime(2026, 3, 31, 23, 59, 59, tzinfo=VN_TZ)),
            ("STP", "submitted", datetime(2026, 4, 1, 0, 0, 0, tzinfo=VN_TZ)),
            ("SYT", "returned", None),
        ):
            reg = Registration(
                unit_id=world.units[unit],
                movement_id=world.movement_id,
                status=status,
                version=2,
                submitted_at=sent,
            )
            session.add(reg)
            session.flush()
            regs[unit] = reg.id
        session.add(
            ProgressReport(
                registration_id=regs["SNV"],
                period_id=period,
                late=True,
                submitted_at=AFTER_DEADLINE,
            )
        )
        session.add(  # the head sent it back to the officer
            ProgressReport(registration_id=regs["STP"], period_id=period, status="returned")
        )
    world.clock.current = datetime(2026, 4, 20, 9, 0, tzinfo=VN_TZ)  # past Q1's 10/04
    sign_in(app_client, world, "office")
    page = app_client.get("/web/movements").text
    reg, report, late = web_vi.REG_STATES, web_vi.REPORT_STATES, st.LATE
    assert _row(page, world, "SNV")[1:3] == [reg["approved"], report[late]]
    assert _row(page, world, "STP")[1:3] == [reg[late], report[st.RETURNED]]
    assert _row(page, world, "SYT")[1:3] == [reg["returned"], "—"]  # it may not report
    assert "Ban TĐKT" not in page
