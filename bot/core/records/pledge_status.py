"""Where a cluster's pledge stands: «cụm 3 đã ký giao ước chưa», «những đơn vị nào chưa ký».

The office sees every cluster; a cluster lead their own, with who signed and who is left. A
member unit's head or officer sees their own cluster's pledge (open, or signed by all) and their
own unit's signature, not the other members': access.can lets them VIEW their own unit only,
and the list of who is left is the lead's to chase.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from bot.core.flows.base import Ctx
from bot.core.records import scope
from bot.core.records.wording import cluster_title, local_day, names_line
from bot.core.text import day
from bot.i18n import vi
from bot.store import org, pledges
from bot.store.models import Cluster, Pledge, Unit
from bot.store.roles import Role


def cluster_lines(ctx: Ctx, clusters: Sequence[Cluster]) -> list[str]:
    """One line per cluster, as much as the asker may see of it (call with clusters they may
    see at least as a member: `visible`)."""
    found = _pledges(ctx, clusters)
    unit_names = {i: n for i, n in ctx.session.execute(select(Unit.id, Unit.name))}
    return [_cluster_line(ctx, c, found.get(c.id), unit_names) for c in clusters]


def visible(ctx: Ctx, cluster: Cluster) -> bool:
    """The office, the cluster's lead, or a member unit's head or officer."""
    return leads(ctx, cluster) or member(ctx, cluster)


def leads(ctx: Ctx, cluster: Cluster) -> bool:
    """The office, or the lead of this very cluster (their unit leads it, they hold the role)."""
    own = ctx.actor.unit_id
    lead = Role.CLUSTER_LEAD in ctx.actor.roles and own is not None and cluster.lead_unit_id == own
    return scope.office(ctx) or lead


def member(ctx: Ctx, cluster: Cluster) -> bool:
    own = ctx.actor.unit_id
    return own is not None and scope.sees(ctx, own) and own in pledges.members(ctx.session, cluster)


def unit_lines(ctx: Ctx, unit: Unit, clusters: Sequence[Cluster]) -> list[str]:
    """«• Sở Y tế — khối «…»: đã ký ngày …» for each cluster of the unit."""
    lines = []
    found = _pledges(ctx, clusters)
    for cluster in clusters:
        pledge = found.get(cluster.id)
        lines.append(
            vi.OPS_PLEDGE_UNIT.format(
                unit=unit.name,
                cluster=cluster_title(cluster),
                state=_state(ctx, cluster, pledge, unit.id),
            )
        )
    return lines


def clusters_of(ctx: Ctx, unit_id: int) -> list[Cluster]:
    return org.clusters_of_unit(ctx.session, unit_id, ctx.today.year)


def _cluster_line(
    ctx: Ctx, cluster: Cluster, pledge: Pledge | None, unit_names: dict[int, str]
) -> str:
    kind, name = cluster.kind, cluster_title(cluster)
    if pledge is None:
        return vi.OPS_PLEDGE_UNOPENED.format(kind=kind, cluster=name)
    everyone = pledges.members(ctx.session, cluster)
    signed = pledges.signed_units(pledge)
    if pledge.status == pledges.CLOSED or not set(everyone) - signed:
        closed = pledge.closed_at or max((s.signed_at for s in pledge.signatures), default=None)
        when = day(local_day(closed, ctx.now)) if closed else ""
        return vi.OPS_PLEDGE_SIGNED_ALL.format(cluster=name, total=len(everyone), date=when)
    if not leads(ctx, cluster):
        own = ctx.actor.unit_id
        assert own is not None  # visible() let only a member through
        state = _state(ctx, cluster, pledge, own)
        unit = unit_names.get(own, "")
        return vi.OPS_PLEDGE_MEMBER_OPEN.format(cluster=name, unit=unit, state=state)
    left = [unit_names.get(u, "") for u in everyone if u not in signed]
    return vi.OPS_PLEDGE_PROGRESS.format(
        cluster=name,
        count=len(everyone) - len(left),
        total=len(everyone),
        left=len(left),
        units=names_line(left),
    )


def _pledges(ctx: Ctx, clusters: Sequence[Cluster]) -> dict[int, Pledge]:
    """Each cluster's pledge for a running movement (the latest one when several)."""
    running = {m.id for m in org.open_movements(ctx.session, ctx.today, periods=False)}
    found: dict[int, Pledge] = {}
    for pledge in pledges.pledges_of_clusters(ctx.session, [c.id for c in clusters]):
        if pledge.movement_id in running:
            found[pledge.cluster_id] = pledge  # ordered by id: the latest wins
    return found


def _state(ctx: Ctx, cluster: Cluster, pledge: Pledge | None, unit_id: int) -> str:
    if pledge is None:
        return vi.OPS_PLEDGE_STATE_UNOPENED.format(kind=cluster.kind)
    signature = next((s for s in pledge.signatures if s.unit_id == unit_id), None)
    if signature is None:
        return vi.OPS_PLEDGE_STATE_UNSIGNED
    return vi.OPS_PLEDGE_STATE_SIGNED.format(date=day(local_day(signature.signed_at, ctx.now)))
