"""/xephang: the cluster lead records the cluster's bình xét, suy tôn (its units in order, the
first leading it and proposed for the cờ thi đua); members and the office are told, and any
member sees it with the same command. The ranking feeds the Law's check on a cờ thi đua
(Điều 26 khoản 1: the unit leading its cụm, khối), bot.core.nomination_checks.
"""

from __future__ import annotations

import re

from bot.core.access import Action, can
from bot.core.flows import handoffs
from bot.core.flows.base import Ctx, Draft, Engine, Flow, Step, Turn, buttons
from bot.i18n import nominations_vi as nv
from bot.i18n import vi
from bot.messages import Incoming, Reply
from bot.store import awards, lookups, org, pledges
from bot.store.conversations import ConversationState
from bot.store.models import Cluster
from bot.store.roles import Role

NAME = "ranking"
PICK, CONFIRM = "pick", "confirm"


def _cluster(ctx: Ctx, draft: Draft) -> Cluster:
    cluster = ctx.session.get(Cluster, draft["cluster_id"])
    assert cluster is not None
    return cluster


def _ranked(ctx: Ctx, unit_ids: list[int]) -> str:
    if not unit_ids:
        return nv.RANK_NONE_YET
    return "\n".join(
        nv.RANK_LINE.format(number=i, unit=lookups.unit_name(ctx.session, unit_id))
        for i, unit_id in enumerate(unit_ids, start=1)
    )


def ask_pick(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The units ranked so far, and a button for each unit not ranked yet."""
    cluster = _cluster(ctx, draft)
    order = list(draft.get("order") or [])
    left = [u for u in pledges.members(ctx.session, cluster) if u not in order]
    options = [(lookups.unit_name(ctx.session, u), f"u:{u}") for u in left]
    if order:
        options += [(vi.BTN_DONE, "done"), (nv.BTN_RANK_RESET, "reset")]
    text = nv.RANK_ASK.format(cluster=cluster.name, year=cluster.year, ranked=_ranked(ctx, order))
    return [Reply(text, buttons=buttons(*options))]


def on_pick(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """The next unit in the ranking; all ranked (or done) goes to the confirmation."""
    payload = message.payload or ""
    order = list(draft.get("order") or [])
    members = pledges.members(ctx.session, _cluster(ctx, draft))
    if payload == "reset":
        draft["order"] = []
        return Turn(PICK, draft)
    if payload == "done" and order:
        return Turn(CONFIRM, draft)
    match = re.fullmatch(r"u:(\d+)", payload)
    if match is None or int(match.group(1)) not in members or int(match.group(1)) in order:
        return Turn(PICK, draft, [Reply(vi.CHOOSE_ONE)])
    order.append(int(match.group(1)))
    draft["order"] = order
    return Turn(CONFIRM if len(order) == len(members) else PICK, draft)


def ask_confirm(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The ranking as it will be recorded, with save and start again."""
    cluster, order = _cluster(ctx, draft), list(draft["order"])
    text = nv.RANK_CONFIRM.format(
        cluster=cluster.name,
        year=cluster.year,
        ranked=_ranked(ctx, order),
        leader=lookups.unit_name(ctx.session, order[0]),
    )
    options = [(nv.BTN_RANK_SAVE, "save"), (nv.BTN_RANK_RESET, "reset")]
    return [Reply(text, buttons=buttons(*options))]


def on_confirm(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Record the ranking; the members' heads and the office are told."""
    if message.payload == "reset":
        draft["order"] = []
        return Turn(PICK, draft)
    if message.payload != "save":
        return Turn(CONFIRM, draft, [Reply(vi.CHOOSE_ONE)])
    cluster, order = _cluster(ctx, draft), list(draft["order"])
    if not can(ctx.actor, Action.LEAD_PLEDGE, cluster.lead_unit_id):
        return Turn(None, draft, [Reply(vi.NOT_ALLOWED)])
    awards.record_ranking(ctx.session, cluster, order, person_id=ctx.actor.person_id, now=ctx.now)
    notice = Reply(
        nv.RANK_NOTICE.format(
            cluster=cluster.name,
            year=cluster.year,
            ranked=_ranked(ctx, order),
            leader=lookups.unit_name(ctx.session, order[0]),
        )
    )
    audience = {p for u in order for p in handoffs.people(ctx, Role.UNIT_HEAD, u)}
    audience |= set(handoffs.people(ctx, Role.OFFICE_ADMIN))
    key = f"ranking:{cluster.id}:{ctx.now.isoformat()}"
    handoffs.tell(ctx, audience, key, notice, cluster.lead_unit_id)
    return Turn(None, draft, [Reply(nv.RANK_SAVED.format(cluster=cluster.name))])


def begin(ctx: Ctx, engine: Engine, state: ConversationState, arg: str = "") -> list[Reply]:
    """/xephang: the lead records the ranking; anyone else sees their clusters' rankings."""
    year = ctx.today.year
    led = org.cluster_led_from(ctx.session, ctx.actor.unit_id, ctx.actor.roles, year)
    if led is not None and can(ctx.actor, Action.LEAD_PLEDGE, led.lead_unit_id):
        return engine.start(ctx, state, NAME, PICK, {"cluster_id": led.id, "order": []})
    if ctx.actor.unit_id is None:
        return [Reply(nv.RANK_NO_CLUSTER.format(year=year))]
    clusters = org.clusters_of_unit(ctx.session, ctx.actor.unit_id, year)
    if not clusters:
        return [Reply(nv.RANK_NO_CLUSTER.format(year=year))]
    replies = []
    for cluster in clusters:
        order = awards.ranking(ctx.session, cluster.id)
        if order:
            text = nv.RANK_VIEW.format(cluster=cluster.name, year=year, ranked=_ranked(ctx, order))
        else:
            text = nv.RANK_NOT_RECORDED.format(cluster=cluster.name, year=year)
        replies.append(Reply(text))
    return replies


FLOW = Flow(NAME, {PICK: Step(ask_pick, on_pick), CONFIRM: Step(ask_confirm, on_confirm)})
