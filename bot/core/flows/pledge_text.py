"""A pledge as members read it, and its signing status as the lead and the office see it."""

from __future__ import annotations

from bot.core.flows.base import Ctx
from bot.core.text import day
from bot.i18n import vi
from bot.store import lookups, org, pledges
from bot.store.models import Cluster, Movement, Pledge


def items_text(commitments: list[str]) -> str:
    if not commitments:
        return vi.REG_NONE
    return "\n".join(f"{i}. {text}" for i, text in enumerate(commitments, start=1))


def pledge_text(
    ctx: Ctx, cluster: Cluster, movement: Movement, content: str, items: list[str]
) -> str:
    """The pledge as members read it before signing."""
    return vi.PLEDGE_TEXT.format(
        cluster=cluster.name,
        year=cluster.year,
        movement=movement.title,
        content=content,
        items=items_text(items),
    )


def status_text(ctx: Ctx, pledge: Pledge) -> str:
    """Who has signed (by whom, when) and who has not: what the lead and the office look at."""
    session = ctx.session
    cluster = session.get(Cluster, pledge.cluster_id)
    movement = lookups.movement(session, pledge.movement_id)
    assert cluster is not None and movement is not None
    by_unit = {s.unit_id: s for s in pledge.signatures}
    members = pledges.members(session, cluster)
    signed, missing = [], []
    for unit_id in members:
        unit = lookups.unit_name(session, unit_id)
        signature = by_unit.get(unit_id)
        if signature is None:
            missing.append(vi.PLEDGE_MISSING_LINE.format(unit=unit))
            continue
        when = org.aware(signature.signed_at).astimezone(ctx.now.tzinfo)
        name = lookups.person_name(session, signature.signed_by)
        signed.append(vi.PLEDGE_SIGNED_LINE.format(unit=unit, name=name, date=day(when.date())))
    state = vi.PLEDGE_STATE_OPEN
    if pledge.status == pledges.CLOSED and pledge.closed_at is not None:
        closed = org.aware(pledge.closed_at).astimezone(ctx.now.tzinfo).date()
        state = vi.PLEDGE_STATE_CLOSED.format(date=day(closed))
    return vi.PLEDGE_STATUS.format(
        cluster=cluster.name,
        movement=movement.title,
        state=state,
        signed=len(signed),
        total=len(members),
        signed_lines="\n".join(signed) or vi.PLEDGE_NONE_LINE,
        missing_lines="\n".join(missing) or vi.PLEDGE_NONE_LINE,
    )
