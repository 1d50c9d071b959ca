"""What is waiting for this person, shown once on their next message, unless it was pushed.

Hand-offs are pushed at once (bot.core.flows.handoffs); what could not be pushed (the person
had no chat then, or the build pushes nothing) still waits here for their next message.

A unit head sees a registration or a report an officer sent for confirmation, and a pledge their
unit has still to sign; head and officer see a registration the office returned, with the reason;
the office sees how many wait for review; a cluster lead hears when the last member signed. Each
notice is shown once per version of the record: the keys seen are kept in the conversation row,
not in memory.
"""

from __future__ import annotations

from sqlalchemy import BindParameter, Integer, and_, bindparam, exists, or_, select

from bot.core import nomination_notices
from bot.core.access import Action, can
from bot.core.flows.base import Ctx, buttons
from bot.i18n import vi
from bot.messages import Reply
from bot.store import lookups, org, pledges, progress_reports, registrations, reminders
from bot.store.conversations import ConversationState
from bot.store.models import (
    Cluster,
    ClusterMember,
    Pledge,
    PledgeSignature,
    ProgressReport,
    Registration,
    ReportPeriod,
)

SEEN = "_seen"
MAX_SEEN = 200

_UNIT: BindParameter[int] = bindparam("unit_id", type_=Integer)
# Whether anything could be waiting for a unit, in one round trip: most messages find nothing,
# and the per-kind queries below then need not run. Each EXISTS mirrors the query it guards.
_PROBE = select(
    exists().where(
        Registration.unit_id == _UNIT,
        Registration.status.in_([registrations.PENDING_HEAD, registrations.RETURNED]),
    ),
    exists().where(
        ProgressReport.registration_id == Registration.id,
        Registration.unit_id == _UNIT,
        ProgressReport.status == progress_reports.PENDING_HEAD,
    ),
    exists().where(
        Pledge.status == pledges.OPEN,
        Pledge.cluster_id.in_(
            select(Cluster.id).where(
                Cluster.year == bindparam("year"),
                or_(
                    Cluster.id.in_(
                        select(ClusterMember.cluster_id).where(ClusterMember.unit_id == _UNIT)
                    ),
                    Cluster.lead_unit_id == _UNIT,
                    Cluster.deputy_unit_id == _UNIT,
                ),
            )
        ),
        ~exists().where(
            and_(PledgeSignature.pledge_id == Pledge.id, PledgeSignature.unit_id == _UNIT)
        ),
    ),
)


def notices(ctx: Ctx, state: ConversationState) -> list[Reply]:
    """New notices for the person behind `ctx`, remembered as seen in `state`."""
    found: list[tuple[str, Reply]] = []
    unit_id = ctx.actor.unit_id
    regs = reports_waiting = pledges_waiting = False
    if unit_id is not None and can(ctx.actor, Action.DRAFT, unit_id):
        params = {"unit_id": unit_id, "year": ctx.today.year}
        ctx.session.flush()  # then Core on the connection, without the ORM's execution path
        probe = ctx.session.connection().execute(_PROBE, params)
        regs, reports_waiting, pledges_waiting = probe.one()
    if regs and unit_id is not None and can(ctx.actor, Action.CONFIRM, unit_id):
        for reg in registrations.with_status(ctx.session, registrations.PENDING_HEAD, unit_id):
            by = lookups.person_name(ctx.session, reg.drafted_by) or vi.SOMEONE
            reply = Reply(
                vi.NOTICE_CONFIRM.format(by=by),
                buttons=buttons((vi.BTN_OPEN_CONFIRM, "/xacnhan")),
            )
            found.append((f"confirm:{reg.id}:{reg.version}", reply))
    if regs and unit_id is not None and can(ctx.actor, Action.DRAFT, unit_id):
        for reg in registrations.with_status(ctx.session, registrations.RETURNED, unit_id):
            reply = Reply(
                vi.NOTICE_RETURNED.format(reason=reg.return_reason),
                buttons=buttons((vi.BTN_OPEN_EDIT, "/dangky")),
            )
            found.append((f"returned:{reg.id}:{reg.version}", reply))
    found += _pledge_notices(ctx, pledges_waiting)
    if reports_waiting:
        found += _report_notices(ctx)
    if can(ctx.actor, Action.REVIEW, None):
        waiting = registrations.with_status(ctx.session, registrations.SUBMITTED)
        if waiting:
            key = "review:" + ",".join(f"{r.id}.{r.version}" for r in waiting)
            reply = Reply(
                vi.NOTICE_REVIEW.format(count=len(waiting)),
                buttons=buttons((vi.BTN_OPEN_REVIEW, "/duyet")),
            )
            found.append((key[:200], reply))
    found += nomination_notices.found(ctx)
    seen = list(state.data.get(SEEN, []))
    fresh = [(key, reply) for key, reply in found if key not in seen]
    if fresh:
        state.data[SEEN] = [*seen, *(key for key, _ in fresh)][-MAX_SEEN:]
    if fresh and ctx.actor.person_id is not None:
        pushed = reminders.pushed_handoffs(ctx.session, ctx.actor.person_id, [k for k, _ in fresh])
        fresh = [(key, reply) for key, reply in fresh if key[:64] not in pushed]
    return [reply for _, reply in fresh]


def _pledge_notices(ctx: Ctx, to_sign: bool) -> list[tuple[str, Reply]]:
    found: list[tuple[str, Reply]] = []
    unit_id = ctx.actor.unit_id
    if to_sign and unit_id is not None and can(ctx.actor, Action.CONFIRM, unit_id):
        for pledge in pledges.to_sign(ctx.session, unit_id, ctx.today.year):
            cluster = ctx.session.get(Cluster, pledge.cluster_id)
            if cluster is None:
                continue
            text = vi.NOTICE_PLEDGE.format(cluster=cluster.name)
            reply = Reply(text, buttons=buttons((vi.BTN_OPEN_PLEDGE, "/giaouoc")))
            found.append((f"pledge:{pledge.id}", reply))
    if ctx.actor.cluster_units and ctx.actor.linked:
        cluster = org.cluster_led_from(
            ctx.session, ctx.actor.unit_id, ctx.actor.roles, ctx.today.year
        )
        for pledge in pledges.pledges_of_clusters(ctx.session, [cluster.id] if cluster else []):
            if pledge.status == pledges.CLOSED and cluster is not None:
                text = vi.NOTICE_PLEDGE_CLOSED.format(cluster=cluster.name)
                found.append((f"pledge_closed:{pledge.id}", Reply(text)))
    return found


def _report_notices(ctx: Ctx) -> list[tuple[str, Reply]]:
    unit_id = ctx.actor.unit_id
    if unit_id is None or not can(ctx.actor, Action.CONFIRM, unit_id):
        return []
    found: list[tuple[str, Reply]] = []
    for report in progress_reports.with_status(ctx.session, progress_reports.PENDING_HEAD, unit_id):
        period = ctx.session.get(ReportPeriod, report.period_id)
        by = lookups.person_name(ctx.session, report.submitted_by) or vi.SOMEONE
        text = vi.NOTICE_REPORT_CONFIRM.format(by=by, period=period.name if period else "")
        reply = Reply(text, buttons=buttons((vi.BTN_OPEN_REPORT, "/baocao")))
        found.append((f"report:{report.id}:{report.version}", reply))
    return found
