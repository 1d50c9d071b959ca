"""What of the records the asker may see, by bot.core.access's rules.

The office sees the province; a cluster lead the units of the cluster their unit leads; a unit
head or officer their own unit. Lists of units are for the first two; whoever else asks for
one, or names a unit they may not view, is told it is outside their scope («ngoài phạm vi»)
and what they may see instead.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.access import Action, can
from bot.core.flows.base import Ctx
from bot.core.records.wording import cluster_title
from bot.i18n import vi
from bot.messages import Reply
from bot.store import lookups, org, participants
from bot.store.models import Cluster, Unit


def refusal(ctx: Ctx) -> Reply | None:
    """Why the asker may see no records at all (None: they may see some)."""
    if office(ctx):
        return None
    if ctx.actor.unit_id is None:
        return Reply(vi.OPS_NEED_UNIT)
    if not can(ctx.actor, Action.VIEW, ctx.actor.unit_id):
        return Reply(vi.OPS_RECORDS_NOT_FOR_YOU)
    return None


def office(ctx: Ctx) -> bool:
    return can(ctx.actor, Action.REVIEW, None)


def led_cluster(ctx: Ctx) -> Cluster | None:
    """The cluster the asker leads this year (None: they lead none)."""
    if not ctx.actor.cluster_units:
        return None
    return org.cluster_led_from(ctx.session, ctx.actor.unit_id, ctx.actor.roles, ctx.today.year)


def lists_units(ctx: Ctx) -> bool:
    """Whether the asker may see lists of units: the office and a cluster lead."""
    return office(ctx) or bool(ctx.actor.cluster_units)


def sees(ctx: Ctx, unit_id: int) -> bool:
    return can(ctx.actor, Action.VIEW, unit_id)


def label(cluster: Cluster | None) -> str:
    """«toàn tỉnh» or «khối «Khối Nội chính»»: whose units a list covers."""
    return vi.OPS_SCOPE_PROVINCE if cluster is None else cluster_title(cluster)


def limit(ctx: Ctx) -> str:
    """What the asker may see, said when they asked for more."""
    cluster = led_cluster(ctx)
    if cluster is not None:
        return vi.OPS_LIMIT_CLUSTER.format(cluster=cluster_title(cluster))
    return vi.OPS_LIMIT_OWN.format(unit=lookups.unit_name(ctx.session, ctx.actor.unit_id))


def units_to_list(ctx: Ctx, within: set[int] | None) -> list[Unit]:
    """The units that take part which the asker may see, limited to `within` when given
    (a cluster's members), in the participants' order."""
    units = participants.taking_part(ctx.session)
    return [u for u in units if (within is None or u.id in within) and sees(ctx, u.id)]


def all_units(ctx: Ctx) -> list[Unit]:
    """Every unit, the office's own included: a question may name any of them."""
    return list(ctx.session.scalars(select(Unit).order_by(Unit.code)))
