"""Operational questions answered from the records, scoped to who asks (not from the law texts).

"hạn nộp đăng ký thi đua là ngày nào", "đơn vị tôi thuộc khối nào, khối trưởng là ai",
"đơn vị tôi đã nộp báo cáo quý 1 chưa", "những đơn vị nào chưa ký giao ước". Recognised by
folded keywords: cheap, predictable, and anything not recognised falls through to the legal Q&A.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.access import Action, can
from bot.core.flows.base import Ctx
from bot.core.text import day, fold
from bot.i18n import vi
from bot.messages import Reply
from bot.store import lookups, org, pledges, progress_reports, registrations
from bot.store.models import (
    Cluster,
    Person,
    PersonRole,
    ProgressReport,
    ReportPeriod,
    Unit,
)
from bot.store.roles import Role


def answer(ctx: Ctx, text: str) -> Reply | None:
    """A Reply when the text is an operational question we know, else None (go to Q&A)."""
    folded = fold(text)
    if "han" in folded.split() and "dang ky" in folded:
        return _deadlines(ctx)
    if any(k in folded for k in ("khoi nao", "cum nao", "khoi truong", "cum truong")):
        return _my_cluster(ctx)
    if "giao uoc" in folded and "chua ky" in folded:
        return _unsigned(ctx)
    if "bao cao" in folded and ("chua" in folded.split() or "da nop" in folded):
        return _report_filed(ctx, folded)
    return None


def _deadlines(ctx: Ctx) -> Reply:
    movements = org.open_movements(ctx.session, ctx.today)
    if not movements:
        return Reply(vi.OPS_NO_MOVEMENT)
    lines = []
    for movement in movements:
        status = ""
        if ctx.actor.unit_id is not None and can(ctx.actor, Action.VIEW, ctx.actor.unit_id):
            reg = registrations.registration_of(ctx.session, ctx.actor.unit_id, movement.id)
            label = vi.STATUS_LABELS.get(reg.status, reg.status) if reg else vi.OPS_NOT_REGISTERED
            status = vi.OPS_YOUR_STATUS.format(status=label)
        deadline = day(movement.registration_deadline)
        lines.append(vi.OPS_DEADLINE.format(movement=movement.title, deadline=deadline) + status)
    return Reply("\n".join(lines))


def _my_cluster(ctx: Ctx) -> Reply:
    unit_id = ctx.actor.unit_id
    if unit_id is None:
        return Reply(vi.OPS_NEED_UNIT)
    clusters = org.clusters_of_unit(ctx.session, unit_id, ctx.today.year)
    if not clusters:
        return Reply(vi.OPS_NO_CLUSTER.format(year=ctx.today.year))
    lines = []
    for cluster in clusters:
        lead_unit = lookups.unit_name(ctx.session, cluster.lead_unit_id) or "—"
        leads = ctx.session.scalars(
            select(Person.full_name)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.unit_id == cluster.lead_unit_id, PersonRole.role == Role.CLUSTER_LEAD)
        ).all()
        people = f" ({', '.join(leads)})" if leads else ""
        lines.append(
            vi.OPS_CLUSTER.format(kind=cluster.kind, name=cluster.name, lead=lead_unit + people)
        )
    return Reply("\n".join(lines))


def _unsigned(ctx: Ctx) -> Reply:
    """The lead's cluster (the office: every cluster) and which members have not signed."""
    office = can(ctx.actor, Action.REVIEW, None)
    if not office and not ctx.actor.cluster_units:
        return Reply(vi.OPS_PLEDGE_NOT_FOR_YOU)
    found = [
        p
        for p in pledges.pledges_of_year(ctx.session, ctx.today.year)
        if office or can(ctx.actor, Action.LEAD_PLEDGE, _lead(ctx, p.cluster_id))
    ]
    if not found:
        return Reply(vi.OPS_NO_PLEDGE)
    lines = []
    for pledge in found:
        cluster = ctx.session.get(Cluster, pledge.cluster_id)
        if cluster is None:  # pragma: no cover - the foreign key rules this out
            continue
        signed = pledges.signed_units(pledge)
        missing = [
            lookups.unit_name(ctx.session, u)
            for u in pledges.members(ctx.session, cluster)
            if u not in signed
        ]
        names = ", ".join(missing) if missing else vi.OPS_ALL_SIGNED
        lines.append(vi.OPS_UNSIGNED.format(cluster=cluster.name, units=names))
    return Reply("\n".join(lines))


def _lead(ctx: Ctx, cluster_id: int) -> int | None:
    cluster = ctx.session.get(Cluster, cluster_id)
    return cluster.lead_unit_id if cluster else None


def _report_filed(ctx: Ctx, folded: str) -> Reply:
    unit_id = ctx.actor.unit_id
    if unit_id is None or not can(ctx.actor, Action.VIEW, unit_id):
        return Reply(vi.OPS_NEED_UNIT)
    lines = []
    for movement in org.open_movements(ctx.session, ctx.today):
        periods = [p for p in movement.periods if fold(p.name) in folded or fold(p.code) in folded]
        reg = registrations.registration_of(ctx.session, unit_id, movement.id)
        for period in periods or movement.periods:
            report = None
            if reg is not None:
                report = ctx.session.scalar(
                    select(ProgressReport).where(
                        ProgressReport.registration_id == reg.id,
                        ProgressReport.period_id == period.id,
                    )
                )
            lines.append(_report_line(ctx, period, report))
    unit = ctx.session.get(Unit, unit_id)
    header = vi.OPS_REPORTS_OF.format(unit=unit.name if unit else "")
    return Reply("\n".join([header, *lines]) if lines else vi.OPS_NO_MOVEMENT)


def _report_line(ctx: Ctx, period: ReportPeriod, report: ProgressReport | None) -> str:
    if report is not None and report.status == progress_reports.PENDING_HEAD:
        return vi.OPS_REPORT_PENDING.format(period=period.name, deadline=day(period.deadline))
    if report is not None and report.submitted_at is not None:
        when = org.aware(report.submitted_at).astimezone(ctx.now.tzinfo).strftime("%d/%m/%Y")
        late = vi.OPS_LATE if report.late else ""
        return vi.OPS_REPORT_FILED.format(period=period.name, date=when) + late
    overdue = vi.OPS_OVERDUE if ctx.today > period.deadline else ""
    return vi.OPS_REPORT_MISSING.format(period=period.name, deadline=day(period.deadline)) + overdue
