"""Hand-offs pushed to the next person at once, in the transaction of the change that caused them.

An officer's registration or report reaches the unit head with the buttons to act; the head's
submission reaches the office; the office's decision reaches the unit; a cluster's pledge reaches
every member's head, each signature the lead. The push itself (which chat, quiet hours, the
office's list of people not reached) is the composition root's `Push` (bot.reminders.handoffs):
the core only says who, what and under which key. A key is also the notice's key in
bot.core.notices, so a notice already pushed is not shown again on the next message.

Buttons carry the record they are about (`/xacnhan 12 ok`), so a press lands in the right form
at the right step, whatever the person's chat was doing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from bot.core.flows import registration_text
from bot.core.flows.base import Ctx, buttons
from bot.i18n import vi
from bot.messages import Reply
from bot.store import lookups, pledges, progress_reports, registrations
from bot.store.models import (
    Cluster,
    Person,
    PersonRole,
    Pledge,
    ProgressReport,
    Registration,
    ReportPeriod,
)
from bot.store.roles import Role


def people(ctx: Ctx, role: Role, unit_id: int | None = None) -> list[int]:
    """Who holds `role` (in `unit_id`, when given)."""
    query = select(Person.id).join(PersonRole, PersonRole.person_id == Person.id)
    query = query.where(PersonRole.role == role.value)
    if unit_id is not None:
        query = query.where(Person.unit_id == unit_id)
    return sorted(set(ctx.session.scalars(query)))


def tell(
    ctx: Ctx, person_ids: Iterable[int], key: str, reply: Reply, unit_id: int | None
) -> tuple[int, int]:
    """Pushes `reply` to each person but the sender: (how many were reached, how many not).

    Without a `Push` wired (a build with no chats), nothing goes out and nobody counts as not
    reached: the notice then waits for the person's next message, as it always did.
    """
    if ctx.push is None:
        return 0, 0
    reached = missed = 0
    for person_id in sorted(set(person_ids) - {ctx.actor.person_id}):
        if ctx.push(ctx.session, person_id, key, reply, unit_id, ctx.now):
            reached += 1
        else:
            missed += 1
    return reached, missed


def _unreached(ctx: Ctx, who: str, reached: int, missed: int | bool) -> list[Reply]:
    """What the sender is told when nobody next in line can be reached by the assistant
    (`missed` is also true when there is nobody in that role at all)."""
    if ctx.push is None or reached or not missed:
        return []
    return [Reply(vi.HANDOFF_NOT_LINKED.format(who=who))]


# --- registrations -------------------------------------------------------------------------


def _registration(ctx: Ctx, saved: registrations.Saved) -> Registration:
    reg = ctx.session.get(Registration, saved.id)
    assert reg is not None
    return reg


def registration_to_head(ctx: Ctx, saved: registrations.Saved) -> list[Reply]:
    """An officer sent the registration: the unit's head gets it with confirm, view, return."""
    reg = _registration(ctx, saved)
    movement = lookups.movement(ctx.session, reg.movement_id)
    by = lookups.person_name(ctx.session, ctx.actor.person_id) or vi.SOMEONE
    text = vi.HANDOFF_CONFIRM.format(
        by=by,
        movement=movement.title if movement else "",
        version=reg.version,
        summary=registration_text.render(ctx.session, registrations.to_draft(reg)),
    )
    reply = Reply(
        text,
        buttons=buttons(
            (vi.BTN_SUBMIT, f"/xacnhan {reg.id} ok"),
            (vi.BTN_VIEW, f"/xacnhan {reg.id}"),
            (vi.BTN_HEAD_RETURN, f"/xacnhan {reg.id} back"),
        ),
    )
    heads = people(ctx, Role.UNIT_HEAD, reg.unit_id)
    reached, missed = tell(ctx, heads, f"confirm:{reg.id}:{reg.version}", reply, reg.unit_id)
    return _unreached(ctx, vi.HANDOFF_WHO_HEAD, reached, missed or not heads)


def registration_to_office(ctx: Ctx, saved: registrations.Saved) -> list[Reply]:
    """The head submitted: the office gets a notice with «Xem và duyệt»."""
    reg = _registration(ctx, saved)
    movement = lookups.movement(ctx.session, reg.movement_id)
    text = vi.HANDOFF_REVIEW.format(
        unit=lookups.unit_name(ctx.session, reg.unit_id),
        movement=movement.title if movement else "",
        version=reg.version,
    )
    reply = Reply(text, buttons=buttons((vi.BTN_VIEW_REVIEW, f"/duyet {reg.id}")))
    office = people(ctx, Role.OFFICE_ADMIN)
    reached, missed = tell(ctx, office, f"submitted:{reg.id}:{reg.version}", reply, reg.unit_id)
    return _unreached(ctx, vi.HANDOFF_WHO_OFFICE, reached, missed or not office)


def registration_decided(ctx: Ctx, reg: Registration, *, by_head: bool = False) -> list[Reply]:
    """Approved or returned (by the office, or by the head to the officer): the unit is told."""
    movement = lookups.movement(ctx.session, reg.movement_id)
    fields = {
        "unit": lookups.unit_name(ctx.session, reg.unit_id),
        "movement": movement.title if movement else "",
        "reason": reg.return_reason,
        "by": lookups.person_name(ctx.session, ctx.actor.person_id) or vi.SOMEONE,
    }
    if reg.status == registrations.APPROVED:
        reply = Reply(vi.HANDOFF_APPROVED.format(**fields))
        key = f"approved:{reg.id}:{reg.version}"
    else:
        text = vi.HANDOFF_HEAD_RETURNED if by_head else vi.HANDOFF_RETURNED
        reply = Reply(
            text.format(**fields), buttons=buttons((vi.BTN_OPEN_EDIT, f"/dangky {reg.id}"))
        )
        key = f"returned:{reg.id}:{reg.version}"
    audience = set(people(ctx, Role.UNIT_OFFICER, reg.unit_id))
    if by_head:
        audience |= {reg.drafted_by} if reg.drafted_by else set()
    else:
        audience |= set(people(ctx, Role.UNIT_HEAD, reg.unit_id))
    reached, missed = tell(ctx, audience, key, reply, reg.unit_id)
    who = vi.HANDOFF_WHO_OFFICER if by_head else vi.HANDOFF_WHO_UNIT
    return _unreached(ctx, who, reached, missed)


# --- progress reports ----------------------------------------------------------------------


def _report(ctx: Ctx, saved: progress_reports.SavedReport) -> ProgressReport:
    report = ctx.session.get(ProgressReport, saved.id)
    assert report is not None
    return report


def report_to_head(ctx: Ctx, saved: progress_reports.SavedReport, unit_id: int) -> list[Reply]:
    """An officer sent a report: the unit's head gets it with confirm and view."""
    report = _report(ctx, saved)
    period = ctx.session.get(ReportPeriod, report.period_id)
    by = lookups.person_name(ctx.session, ctx.actor.person_id) or vi.SOMEONE
    text = vi.HANDOFF_REPORT_CONFIRM.format(
        by=by, period=period.name if period else "", unit=lookups.unit_name(ctx.session, unit_id)
    )
    reply = Reply(
        text,
        buttons=buttons(
            (vi.BTN_SUBMIT, f"/baocao {report.id} ok"),
            (vi.BTN_VIEW, f"/baocao {report.id}"),
            (vi.BTN_HEAD_RETURN, f"/baocao {report.id} back"),
        ),
    )
    heads = people(ctx, Role.UNIT_HEAD, unit_id)
    reached, missed = tell(ctx, heads, f"report:{report.id}:{report.version}", reply, unit_id)
    return _unreached(ctx, vi.HANDOFF_WHO_HEAD, reached, missed or not heads)


def report_returned(ctx: Ctx, report: ProgressReport, unit_id: int, reason: str) -> list[Reply]:
    """The head sent a report back: its officer (and the unit's officers) are told why."""
    period = ctx.session.get(ReportPeriod, report.period_id)
    text = vi.HANDOFF_REPORT_RETURNED.format(
        by=lookups.person_name(ctx.session, ctx.actor.person_id) or vi.SOMEONE,
        period=period.name if period else "",
        reason=reason,
    )
    reply = Reply(text, buttons=buttons((vi.BTN_OPEN_REPORT_EDIT, "/baocao")))
    audience = set(people(ctx, Role.UNIT_OFFICER, unit_id))
    audience |= {report.submitted_by} if report.submitted_by else set()
    key = f"report_returned:{report.id}:{report.version}"
    reached, missed = tell(ctx, audience, key, reply, unit_id)
    return _unreached(ctx, vi.HANDOFF_WHO_OFFICER, reached, missed)


def report_late(ctx: Ctx, saved: progress_reports.SavedReport, unit_id: int) -> list[Reply]:
    """A report submitted after its deadline: the office is told."""
    report = _report(ctx, saved)
    period = ctx.session.get(ReportPeriod, report.period_id)
    text = vi.HANDOFF_REPORT_LATE.format(
        unit=lookups.unit_name(ctx.session, unit_id),
        period=period.name if period else "",
        deadline=period.deadline.strftime("%d/%m/%Y") if period else "",
    )
    office = people(ctx, Role.OFFICE_ADMIN)
    tell(ctx, office, f"report_late:{report.id}:{report.version}", Reply(text), unit_id)
    return []


# --- pledges -------------------------------------------------------------------------------


def pledge_opened(ctx: Ctx, pledge: Pledge, cluster: Cluster) -> list[Reply]:
    """The lead opened the pledge: each member unit's head gets it with «Ký» / «Xem»."""
    movement = lookups.movement(ctx.session, pledge.movement_id)
    text = vi.HANDOFF_PLEDGE_OPEN.format(
        cluster=cluster.name, movement=movement.title if movement else ""
    )
    reply = Reply(
        text,
        buttons=buttons(
            (vi.BTN_PLEDGE_SIGN_NOW, f"/giaouoc {pledge.id} sign"),
            (vi.BTN_VIEW, f"/giaouoc {pledge.id}"),
        ),
    )
    missed_units = []
    for unit_id in sorted(pledges.members(ctx.session, cluster)):
        if unit_id == ctx.actor.unit_id:
            continue
        heads = people(ctx, Role.UNIT_HEAD, unit_id)
        reached, _missed = tell(ctx, heads, f"pledge:{pledge.id}", reply, unit_id)
        if not reached and ctx.push is not None:
            missed_units.append(lookups.unit_name(ctx.session, unit_id))
    if not missed_units:
        return []
    return [Reply(vi.HANDOFF_PLEDGE_NOT_LINKED.format(units=", ".join(missed_units)))]


def pledge_signed(ctx: Ctx, pledge: Pledge, cluster: Cluster, unit_id: int) -> list[Reply]:
    """A member signed: the lead sees who is left; the last signature tells lead and office."""
    leads = people(ctx, Role.CLUSTER_LEAD, cluster.lead_unit_id) if cluster.lead_unit_id else []
    if pledge.status == pledges.CLOSED:
        reply = Reply(vi.NOTICE_PLEDGE_CLOSED.format(cluster=cluster.name))
        audience = {*leads, *people(ctx, Role.OFFICE_ADMIN)}
        tell(ctx, audience, f"pledge_closed:{pledge.id}", reply, cluster.lead_unit_id)
        return []
    left = sorted(set(pledges.members(ctx.session, cluster)) - pledges.signed_units(pledge))
    text = vi.HANDOFF_PLEDGE_SIGNED.format(
        unit=lookups.unit_name(ctx.session, unit_id),
        cluster=cluster.name,
        count=len(left),
        left=", ".join(lookups.unit_name(ctx.session, u) for u in left),
    )
    tell(ctx, leads, f"pledge_signed:{pledge.id}:{unit_id}", Reply(text), cluster.lead_unit_id)
    return []
