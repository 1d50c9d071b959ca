"""Every unit in scope against one deadline: who filed (and late), who has not, who declared
it on paper; counts exact, names cut for a chat (bot.core.records.wording)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.flows.base import Ctx
from bot.core.records.wording import local_day, names_line, noted, overdue
from bot.core.text import day
from bot.i18n import vi
from bot.store import filings, progress_reports, registrations
from bot.store.models import Movement, ReportPeriod, Unit

_NOTES = {
    registrations.DRAFT: vi.OPS_NOTE_DRAFT,
    registrations.PENDING_HEAD: vi.OPS_NOTE_PENDING,
    registrations.RETURNED: vi.OPS_NOTE_RETURNED,
    progress_reports.PENDING_HEAD: vi.OPS_NOTE_PENDING,
    progress_reports.RETURNED: vi.OPS_NOTE_RETURNED,
}
_REG_FILED = (registrations.SUBMITTED, registrations.APPROVED)


@dataclass
class Tally:
    """The units in scope sorted by where they stand."""

    total: int = 0
    filed: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    paper: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # with what is holding them up

    def lines(self, *, show_filed: bool) -> list[str]:
        total = self.total
        if not total:
            return [vi.OPS_LIST_NO_UNITS]
        count = len(self.filed)
        filed = (
            vi.OPS_LIST_FILED_NAMES.format(count=count, total=total, units=names_line(self.filed))
            if show_filed and self.filed
            else vi.OPS_LIST_FILED.format(count=count, total=total)
        )
        lines = [filed]
        if self.late:
            lines.append(vi.OPS_LIST_LATE.format(count=len(self.late), units=names_line(self.late)))
        if self.missing:
            units = names_line(self.missing)
            lines.append(
                vi.OPS_LIST_MISSING.format(count=len(self.missing), total=total, units=units)
            )
        else:
            lines.append(vi.OPS_LIST_NONE_MISSING)
        if self.paper:
            lines.append(
                vi.OPS_LIST_PAPER.format(count=len(self.paper), units=names_line(self.paper))
            )
        return lines


def registrations_list(
    ctx: Ctx, movement: Movement, units: Sequence[Unit], scope: str, *, show_filed: bool
) -> str:
    """«Đăng ký thi đua «…» (hạn …) — toàn tỉnh:» and the tally."""
    filed = filings.registrations(ctx.session, movement.id)
    paper = filings.on_paper(ctx.session, filings.registration_key(movement.id))
    tally = Tally(total=len(units))
    for unit in units:
        row = filed.get(unit.id)
        if row is not None and row.status in _REG_FILED and row.submitted_at is not None:
            tally.filed.append(unit.name)
            if local_day(row.submitted_at, ctx.now) > movement.registration_deadline:
                tally.late.append(unit.name)
        elif unit.id in paper:
            tally.paper.append(unit.name)
        else:
            tally.missing.append(noted(unit.name, _NOTES.get(row.status, "") if row else ""))
    header = vi.OPS_REG_LIST_HEADER.format(
        movement=movement.title,
        deadline=day(movement.registration_deadline),
        overdue=overdue(movement.registration_deadline, ctx.today),
        scope=scope,
    )
    return "\n".join([header, *tally.lines(show_filed=show_filed)])


def reports_list(
    ctx: Ctx,
    movement: Movement,
    period: ReportPeriod,
    units: Sequence[Unit],
    scope: str,
    *,
    show_filed: bool,
    due_in: str = "",
) -> str:
    """«Báo cáo Quý 1 «…» (hạn …) — khối «…»:» and the tally; a unit whose registration is not
    in yet is among those missing, with that said."""
    regs = filings.registrations(ctx.session, movement.id)
    reports = filings.reports(ctx.session, period.id)
    paper = filings.on_paper(ctx.session, filings.report_key(period.id))
    tally = Tally(total=len(units))
    for unit in units:
        report = reports.get(unit.id)
        if report is not None and report.status == progress_reports.SUBMITTED:
            tally.filed.append(unit.name)
            if report.late:
                tally.late.append(unit.name)
        elif unit.id in paper:
            tally.paper.append(unit.name)
        else:
            reg = regs.get(unit.id)
            note = _NOTES.get(report.status, "") if report is not None else ""
            if reg is None or reg.status not in progress_reports.REPORTABLE:
                note = vi.OPS_NOTE_UNREGISTERED
            tally.missing.append(noted(unit.name, note))
    header = vi.OPS_REPORT_LIST_HEADER.format(
        period=period.name,
        due_in=due_in,
        movement=movement.title,
        deadline=day(period.deadline),
        overdue=overdue(period.deadline, ctx.today),
        scope=scope,
    )
    return "\n".join([header, *tally.lines(show_filed=show_filed)])
