"""One unit's standing: its registration for each running movement, its report for each period
asked («đơn vị tôi đã nộp báo cáo quý 1 chưa», «Sở Y tế đã nộp đăng ký chưa»)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.flows.base import Ctx
from bot.core.records.wording import local_day
from bot.core.text import day
from bot.i18n import vi
from bot.store import filings, progress_reports, registrations
from bot.store.models import Movement, ProgressReport, Registration, ReportPeriod, Unit


def registration_lines(ctx: Ctx, unit: Unit, movements: Sequence[Movement]) -> list[str]:
    """«Sở Y tế — đăng ký thi đua «…»: đã nộp ngày 02/03/2026», one line per movement."""
    lines = []
    for movement in movements:
        reg = registrations.registration_of(ctx.session, unit.id, movement.id)
        paper = unit.id in filings.on_paper(ctx.session, filings.registration_key(movement.id))
        state = _registration_state(ctx, movement, reg, paper)
        lines.append(vi.OPS_UNIT_REG.format(unit=unit.name, movement=movement.title, state=state))
    return lines


def _registration_state(ctx: Ctx, movement: Movement, reg: Registration | None, paper: bool) -> str:
    deadline = movement.registration_deadline
    if reg is not None and reg.submitted_at is not None and reg.status in _FILED:
        when = local_day(reg.submitted_at, ctx.now)
        text = vi.OPS_STATE_APPROVED if reg.status == registrations.APPROVED else vi.OPS_STATE_FILED
        return text.format(date=day(when)) + (vi.OPS_LATE if when > deadline else "")
    if paper:
        return vi.OPS_STATE_PAPER
    late = vi.OPS_OVERDUE if ctx.today > deadline else ""
    if reg is not None and reg.status == registrations.PENDING_HEAD:
        return vi.OPS_STATE_PENDING.format(deadline=day(deadline)) + late
    if reg is not None and reg.status == registrations.RETURNED:
        return vi.OPS_STATE_RETURNED.format(deadline=day(deadline)) + late
    return vi.OPS_STATE_MISSING.format(deadline=day(deadline)) + late


_FILED = (registrations.SUBMITTED, registrations.APPROVED)


def report_lines(
    ctx: Ctx, unit: Unit, movement: Movement, periods: Sequence[ReportPeriod]
) -> list[str]:
    """«• Quý 1: đã nộp ngày 12/04/2026 (nộp muộn)», one line per period."""
    reg = registrations.registration_of(ctx.session, unit.id, movement.id)
    lines = []
    for period in periods:
        report = None if reg is None else progress_reports.report_of(ctx.session, reg.id, period.id)
        filed = report is not None and report.status == progress_reports.SUBMITTED
        if not filed and unit.id in filings.on_paper(ctx.session, filings.report_key(period.id)):
            lines.append(vi.OPS_REPORT_PAPER.format(period=period.name))
        else:
            lines.append(_report_line(ctx, period, report))
    return lines


def _report_line(ctx: Ctx, period: ReportPeriod, report: ProgressReport | None) -> str:
    deadline = day(period.deadline)
    if report is not None and report.status == progress_reports.PENDING_HEAD:
        return vi.OPS_REPORT_PENDING.format(period=period.name, deadline=deadline)
    if report is not None and report.status == progress_reports.RETURNED:
        return vi.OPS_REPORT_RETURNED.format(period=period.name, deadline=deadline)
    if report is not None and report.submitted_at is not None:
        when = day(local_day(report.submitted_at, ctx.now))
        late = vi.OPS_LATE if report.late else ""
        return vi.OPS_REPORT_FILED.format(period=period.name, date=when) + late
    missing = vi.OPS_REPORT_MISSING.format(period=period.name, deadline=deadline)
    return missing + (vi.OPS_OVERDUE if ctx.today > period.deadline else "")
