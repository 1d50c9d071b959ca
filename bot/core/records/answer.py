"""A records question answered: whom it is about, what the asker may see of it, the lines.

Whom: the asker's unit («đơn vị tôi»), a cluster («cụm 3», «khối Nội chính»), every unit
(«những đơn vị nào»), a unit by name («Sở Y tế», «so y te»); a question naming nobody means
every unit in scope for the office and a cluster lead, the asker's own unit for anyone else.
Something named that does not exist (a unit, a cluster, a period) is said so: the question
never falls through to the legal Q&A.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.flows.base import Ctx
from bot.core.records import clusters, lists, names, periods, pledge_status, scope, unit_status
from bot.core.records.asked import Asked, Topic, Who, read
from bot.core.records.wording import cluster_title, names_line
from bot.i18n import vi
from bot.messages import Reply
from bot.store import org, participants, pledges
from bot.store.models import Cluster, Movement, ReportPeriod, Unit


@dataclass(frozen=True)
class Everyone:
    """Every unit in scope, or the members of the clusters named."""

    clusters: tuple[Cluster, ...] = ()


def answer(ctx: Ctx, text: str, *, shared: bool = False) -> Reply | None:
    """The answer from the records, or None when `text` is not a records question.

    In a `shared` (group) chat only the asker's own unit is answered: a list of units or
    another unit's standing would reach people of other units, so it is given in private.
    """
    asked = read(text)
    if asked is None:
        return None
    refused = scope.refusal(ctx)
    if refused is not None:
        return refused
    movements = org.open_movements(ctx.session, ctx.today)
    if not movements:
        return Reply(vi.OPS_NO_MOVEMENT)
    if asked.topic is Topic.REPORT and asked.period is not None and not asked.period.valid:
        return Reply(vi.OPS_INVALID_PERIOD.format(period=asked.period.label))
    target = _target(ctx, asked)
    if isinstance(target, Reply):
        return target
    if shared and not (isinstance(target, Unit) and target.id == ctx.actor.unit_id):
        return Reply(vi.OPS_PRIVATE_ONLY)
    if asked.topic is Topic.PLEDGE:
        return Reply("\n".join(_pledge(ctx, target)))
    return Reply("\n".join(_filings(ctx, asked, target, movements)))


def _target(ctx: Ctx, asked: Asked) -> Unit | Everyone | Reply:
    """Whom the question is about (a Reply: someone named who does not exist)."""
    own = ctx.session.get(Unit, ctx.actor.unit_id) if ctx.actor.unit_id is not None else None
    if asked.who is Who.SELF:
        return own if own is not None else Reply(vi.OPS_NEED_UNIT)
    named_clusters = clusters.named(ctx, asked)
    if isinstance(named_clusters, Reply):
        return named_clusters
    if named_clusters:
        return Everyone(tuple(named_clusters))
    if asked.who is Who.ALL:
        return Everyone()
    units = scope.all_units(ctx)
    found = names.about(
        asked.text, [names.Named(u.id, u.name, u.code) for u in units], asked.phrase
    )
    if found.unknown:
        hint = names_line([n.name for n in found.suggestions])
        did_you_mean = vi.OPS_DID_YOU_MEAN.format(names=hint) if found.suggestions else ""
        name = names.as_typed(asked.text, found.phrase)
        return Reply(vi.OPS_UNKNOWN_UNIT.format(name=name) + did_you_mean)
    if len(found.items) > 1:
        listed = names_line([n.name for n in found.items])
        return Reply(
            vi.OPS_AMBIGUOUS_UNIT.format(
                count=len(found.items), name=names.as_typed(asked.text, found.phrase), names=listed
            )
        )
    if found.items:
        unit = ctx.session.get(Unit, found.items[0].id)
        assert unit is not None  # just read
        return unit
    if scope.lists_units(ctx) or own is None:
        return Everyone()
    return own


def _filings(
    ctx: Ctx, asked: Asked, target: Unit | Everyone, movements: Sequence[Movement]
) -> list[str]:
    if isinstance(target, Unit):
        if not scope.sees(ctx, target.id):
            return [vi.OPS_OUT_OF_SCOPE_UNIT.format(unit=target.name, limit=scope.limit(ctx))]
        if target.id in participants.office_unit_ids(ctx.session):
            return [vi.OPS_NOT_PARTICIPANT.format(unit=target.name)]
        return _unit_filings(ctx, asked, target, movements)
    refused = _list_refusal(ctx, target)
    if refused:
        own = ctx.session.get(Unit, ctx.actor.unit_id) if ctx.actor.unit_id else None
        mine = _unit_filings(ctx, asked, own, movements) if own is not None else []
        return [*refused, *([vi.OPS_YOUR_UNIT_NOW, *mine] if mine else [])]
    within, label = _within(ctx, target)
    units = scope.units_to_list(ctx, within)
    if asked.topic is Topic.REGISTRATION:
        show = asked.done
        return [lists.registrations_list(ctx, m, units, label, show_filed=show) for m in movements]
    known, unknown = [], []
    for movement in movements:
        chosen = _periods(asked, movement)
        if chosen is None:
            current = periods.current(movement.periods, ctx.today)
            chosen = [current] if current is not None else []
        if not chosen:
            unknown.append(_no_period(asked, movement))
        for period in chosen:
            due_in = ""
            if asked.period is not None and periods.by_deadline(asked.period, period):
                due_in = vi.OPS_PERIOD_DUE_IN.format(asked=asked.period.label)
            known.append(
                lists.reports_list(
                    ctx, movement, period, units, label, show_filed=asked.done, due_in=due_in
                )
            )
    return known or unknown


def _unit_filings(ctx: Ctx, asked: Asked, unit: Unit, movements: Sequence[Movement]) -> list[str]:
    if unit.id in participants.office_unit_ids(ctx.session):
        return [vi.OPS_NOT_PARTICIPANT.format(unit=unit.name)]
    if asked.topic is Topic.REGISTRATION:
        return unit_status.registration_lines(ctx, unit, movements)
    lines, unknown = [], []
    for movement in movements:
        chosen = _periods(asked, movement)
        if chosen == [] or not movement.periods:
            unknown.append(_no_period(asked, movement))
            continue
        if len(movements) > 1:  # which movement each period belongs to
            lines.append(vi.OPS_MOVEMENT_HEADING.format(movement=movement.title))
        lines += unit_status.report_lines(ctx, unit, movement, chosen or movement.periods)
    return [vi.OPS_REPORTS_OF.format(unit=unit.name), *lines] if lines else unknown


def _periods(asked: Asked, movement: Movement) -> list[ReportPeriod] | None:
    """The movement's periods the question names (None: it names no period)."""
    quoted = periods.named_in(asked.text, asked.plain, movement.periods)
    if quoted:
        return quoted
    if asked.period is None:
        return None
    return periods.matching(asked.period, movement.periods)


def _no_period(asked: Asked, movement: Movement) -> str:
    if not movement.periods:
        return vi.OPS_NO_PERIODS.format(movement=movement.title)
    label = asked.period.label if asked.period is not None else ""
    have = ", ".join(p.name for p in movement.periods)
    return vi.OPS_UNKNOWN_PERIOD.format(movement=movement.title, period=label, periods=have)


def _list_refusal(ctx: Ctx, target: Everyone) -> list[str]:
    """Why the asker may not see this list (empty: they may)."""
    if not scope.lists_units(ctx):
        if target.clusters:
            return [_cluster_out(ctx, c) for c in target.clusters]
        return [vi.OPS_OUT_OF_SCOPE_ALL.format(limit=scope.limit(ctx))]
    if scope.office(ctx):
        return []
    led = scope.led_cluster(ctx)
    return [_cluster_out(ctx, c) for c in target.clusters if led is None or c.id != led.id]


def _cluster_out(ctx: Ctx, cluster: Cluster) -> str:
    name = cluster_title(cluster)
    return vi.OPS_OUT_OF_SCOPE_CLUSTER.format(cluster=name, limit=scope.limit(ctx))


def _within(ctx: Ctx, target: Everyone) -> tuple[set[int] | None, str]:
    """The units a list covers and how the answer names them."""
    if target.clusters:
        members = {u for c in target.clusters for u in pledges.members(ctx.session, c)}
        return members, "; ".join(scope.label(c) for c in target.clusters)
    if scope.office(ctx):
        return None, scope.label(None)
    return set(ctx.actor.cluster_units), scope.label(scope.led_cluster(ctx))


def _pledge(ctx: Ctx, target: Unit | Everyone) -> list[str]:
    if isinstance(target, Unit):
        if not scope.sees(ctx, target.id):
            return [vi.OPS_OUT_OF_SCOPE_UNIT.format(unit=target.name, limit=scope.limit(ctx))]
        found = pledge_status.clusters_of(ctx, target.id)
        if not found:
            return [vi.OPS_PLEDGE_NO_CLUSTER.format(unit=target.name, year=ctx.today.year)]
        return pledge_status.unit_lines(ctx, target, found)
    if target.clusters:
        return [
            pledge_status.cluster_lines(ctx, [c])[0]
            if pledge_status.visible(ctx, c)
            else _cluster_out(ctx, c)
            for c in target.clusters
        ]
    every = clusters.of_year(ctx)
    if not every:
        return [vi.OPS_NO_CLUSTERS.format(year=ctx.today.year)]
    led = [c for c in every if pledge_status.leads(ctx, c)]
    if led:
        return pledge_status.cluster_lines(ctx, led)
    mine = [c for c in every if pledge_status.member(ctx, c)]
    lines = [vi.OPS_OUT_OF_SCOPE_ALL.format(limit=scope.limit(ctx))]
    if mine:
        kind = mine[0].kind
        lines += [
            *pledge_status.cluster_lines(ctx, mine),
            vi.OPS_PLEDGE_SCOPE_NOTE.format(kind=kind),
        ]
    return lines
