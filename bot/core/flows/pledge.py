"""Ký kết giao ước thi đua: the cluster lead opens the pledge, each member unit's head signs.

Opening: movement (only asked when several lack a pledge) → content → common commitments one by
one → summary → open. Signing: the pledge (only asked when several wait) → read → sign. The lead
sees who has and has not signed with /giaouoc; the last signature closes the pledge. Members are
told on their next message (see bot.core.notices) and can always use /giaouoc.
"""

from __future__ import annotations

import re

from bot.core.access import Action, can
from bot.core.flows import handoffs
from bot.core.flows.base import Ctx, Draft, Engine, Flow, Step, Turn, buttons
from bot.core.flows.pledge_text import items_text, pledge_text, status_text
from bot.i18n import vi
from bot.messages import Incoming, Reply
from bot.store import lookups, org, pledges
from bot.store.conversations import ConversationState
from bot.store.models import Cluster, Movement, Pledge

NAME = "pledge"
MENU, MOVEMENT, CONTENT, COMMITMENTS, COMMITMENT = "menu", "movement", "content", "items", "item"
OPEN_SUMMARY, PICK, SIGN = "open_summary", "pick", "sign"
MAX_COMMITMENTS = 30


# --- who may do what -----------------------------------------------------------------------


def _led_cluster(ctx: Ctx) -> Cluster | None:
    if not ctx.actor.linked:
        return None
    cluster = org.cluster_led_from(ctx.session, ctx.actor.unit_id, ctx.actor.roles, ctx.today.year)
    if cluster is None or not can(ctx.actor, Action.LEAD_PLEDGE, cluster.lead_unit_id):
        return None
    return cluster


def _openable(ctx: Ctx, cluster: Cluster) -> list[Movement]:
    """Running movements for which the lead's cluster has no pledge yet."""
    return [
        m
        for m in org.open_movements(ctx.session, ctx.today)
        if pledges.pledge_for(ctx.session, cluster.id, m.id) is None
    ]


def _to_sign(ctx: Ctx) -> list[Pledge]:
    unit_id = ctx.actor.unit_id
    if unit_id is None or not can(ctx.actor, Action.CONFIRM, unit_id):
        return []
    return pledges.to_sign(ctx.session, unit_id, ctx.today.year)


# --- opening (the lead) --------------------------------------------------------------------


def ask_menu(ctx: Ctx, draft: Draft) -> list[Reply]:
    """A lead whose own unit must also sign: open a new pledge, or sign."""
    options = [(vi.BTN_PLEDGE_OPEN, "open"), (vi.BTN_PLEDGE_SIGN, "sign")]
    return [Reply(vi.PLEDGE_MENU, buttons=buttons(*options))]


def on_menu(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Go to opening or to signing."""
    if message.payload == "open":
        cluster = _led_cluster(ctx)
        movements = _openable(ctx, cluster) if cluster else []
        if cluster is None or not movements:
            return Turn(None, draft, [Reply(vi.NOT_ALLOWED)])
        return _opening(ctx, cluster, movements)
    if message.payload == "sign":
        return _signing(ctx, _to_sign(ctx))
    return Turn(MENU, draft, [Reply(vi.CHOOSE_ONE)])


def _opening(ctx: Ctx, cluster: Cluster, movements: list[Movement]) -> Turn:
    draft: Draft = {"cluster_id": cluster.id, "items": []}
    if len(movements) > 1:
        return Turn(MOVEMENT, draft)
    draft["movement_id"] = movements[0].id
    return Turn(CONTENT, draft)


def ask_movement(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Which movement the pledge is for (only asked when several lack one)."""
    cluster = ctx.session.get(Cluster, draft["cluster_id"])
    movements = _openable(ctx, cluster) if cluster else []
    options = [(m.title, f"m:{m.id}") for m in movements]
    return [Reply(vi.PLEDGE_ASK_MOVEMENT, buttons=buttons(*options))]


def on_movement(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Keep the chosen movement."""
    match = re.fullmatch(r"m:(\d+)", message.payload or "")
    if match is None or lookups.movement(ctx.session, int(match.group(1))) is None:
        return Turn(MOVEMENT, draft, [Reply(vi.CHOOSE_ONE)])
    draft["movement_id"] = int(match.group(1))
    return Turn(CONTENT, draft)


def ask_content(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The pledge's opening text."""
    return [Reply(vi.PLEDGE_ASK_CONTENT)]


def on_content(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Keep the content (10–4000 characters, line breaks kept)."""
    text = "\n".join(" ".join(line.split()) for line in message.text.strip().splitlines())
    if not 10 <= len(text) <= 4000:
        return Turn(CONTENT, draft, [Reply(vi.PLEDGE_BAD_CONTENT)])
    draft["content"] = text
    return Turn(COMMITMENTS, draft)


def ask_commitments(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The commitments so far, with add, delete and done."""
    items = list(draft.get("items") or [])
    options = [(vi.BTN_ADD_COMMITMENT, "add")]
    options += [
        (vi.BTN_DELETE_COMMITMENT.format(number=i), f"del:{i}") for i in range(1, len(items) + 1)
    ]
    if items:
        options.append((vi.BTN_DONE, "done"))
    text = vi.PLEDGE_ASK_COMMITMENTS.format(items=items_text(items))
    return [Reply(text, buttons=buttons(*options))]


def on_commitments(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Add one, delete one, or go to the summary."""
    payload = message.payload or ""
    items = list(draft.get("items") or [])
    if payload == "add":
        if len(items) >= MAX_COMMITMENTS:
            return Turn(
                COMMITMENTS, draft, [Reply(vi.PLEDGE_TOO_MANY.format(limit=MAX_COMMITMENTS))]
            )
        return Turn(COMMITMENT, draft)
    if payload == "done" and items:
        return Turn(OPEN_SUMMARY, draft)
    match = re.fullmatch(r"del:(\d+)", payload)
    if match and 1 <= int(match.group(1)) <= len(items):
        del items[int(match.group(1)) - 1]
        draft["items"] = items
        return Turn(COMMITMENTS, draft, [Reply(vi.PLEDGE_COMMITMENT_DELETED)])
    return Turn(COMMITMENTS, draft, [Reply(vi.CHOOSE_ONE)])


def ask_commitment(ctx: Ctx, draft: Draft) -> list[Reply]:
    """One common commitment."""
    return [Reply(vi.PLEDGE_ASK_COMMITMENT.format(number=len(draft.get("items") or []) + 1))]


def on_commitment(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Keep the commitment (3–1000 characters) and go back to the list."""
    text = " ".join(message.text.split())
    if not 3 <= len(text) <= 1000:
        return Turn(COMMITMENT, draft, [Reply(vi.PLEDGE_BAD_COMMITMENT)])
    draft["items"] = [*(draft.get("items") or []), text][:MAX_COMMITMENTS]
    added = Reply(vi.PLEDGE_COMMITMENT_ADDED.format(number=len(draft["items"])))
    return Turn(COMMITMENTS, draft, [added])


def ask_open_summary(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The pledge as members will read it, who will sign, and open / edit."""
    cluster = ctx.session.get(Cluster, draft["cluster_id"])
    movement = lookups.movement(ctx.session, draft["movement_id"])
    assert cluster is not None and movement is not None
    text = pledge_text(ctx, cluster, movement, draft.get("content", ""), draft.get("items") or [])
    units = ", ".join(
        lookups.unit_name(ctx.session, u) for u in pledges.members(ctx.session, cluster)
    )
    options = [
        (vi.BTN_PLEDGE_CONFIRM_OPEN, "ok"),
        (vi.BTN_EDIT_CONTENT, "e:content"),
        (vi.BTN_EDIT_COMMITMENTS, "e:items"),
    ]
    members = vi.PLEDGE_MEMBERS.format(units=units)
    return [Reply(f"{text}\n{members}", buttons=buttons(*options))]


def on_open_summary(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Open the pledge, or go back to a section."""
    jumps = {"e:content": CONTENT, "e:items": COMMITMENTS}
    payload = message.payload or ""
    if payload in jumps:
        return Turn(jumps[payload], draft)
    if payload != "ok":
        return Turn(OPEN_SUMMARY, draft, [Reply(vi.CHOOSE_ONE)])
    cluster = _led_cluster(ctx)
    if cluster is None or cluster.id != draft["cluster_id"]:
        return Turn(None, draft, [Reply(vi.NOT_ALLOWED)])
    if not draft.get("items"):
        return Turn(COMMITMENTS, draft, [Reply(vi.PLEDGE_NEED_COMMITMENT)])
    try:
        opened = pledges.open_pledge(
            ctx.session,
            cluster_id=cluster.id,
            movement_id=draft["movement_id"],
            content=draft["content"],
            commitments=list(draft["items"]),
            person_id=ctx.actor.person_id,
            now=ctx.now,
        )
    except pledges.AlreadyExists:
        return Turn(None, draft, [Reply(vi.PLEDGE_EXISTS)])
    count = len(pledges.members(ctx.session, cluster))
    replies = [Reply(vi.PLEDGE_OPENED.format(count=count))]
    return Turn(None, draft, [*replies, *handoffs.pledge_opened(ctx, opened, cluster)])


# --- signing (member unit heads) -----------------------------------------------------------


def _signing(ctx: Ctx, waiting: list[Pledge]) -> Turn:
    if not waiting:
        return Turn(None, {}, [Reply(vi.PLEDGE_NOTHING)])
    if len(waiting) > 1:
        return Turn(PICK, {})
    return Turn(SIGN, {"pledge_id": waiting[0].id})


def _cluster_label(ctx: Ctx, pledge: Pledge) -> str:
    cluster = ctx.session.get(Cluster, pledge.cluster_id)
    movement = lookups.movement(ctx.session, pledge.movement_id)
    label = f"{cluster.name if cluster else ''} — {movement.title if movement else ''}"
    return label[:60]


def ask_pick(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Which of the pledges waiting for the unit to sign."""
    waiting = _to_sign(ctx)
    options = [(_cluster_label(ctx, p), f"p:{p.id}") for p in waiting]
    return [Reply(vi.PLEDGE_ASK_PICK.format(count=len(waiting)), buttons=buttons(*options))]


def on_pick(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Open the chosen pledge for reading."""
    match = re.fullmatch(r"p:(\d+)", message.payload or "")
    if match is None:
        return Turn(PICK, draft, [Reply(vi.CHOOSE_ONE)])
    draft["pledge_id"] = int(match.group(1))
    return Turn(SIGN, draft)


def ask_sign(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The pledge in full, and the sign button."""
    pledge = ctx.session.get(Pledge, draft["pledge_id"])
    cluster = ctx.session.get(Cluster, pledge.cluster_id) if pledge else None
    movement = lookups.movement(ctx.session, pledge.movement_id) if pledge else None
    if pledge is None or cluster is None or movement is None:
        return [Reply(vi.PLEDGE_NOTHING)]
    items = list((pledge.commitments or {}).get("items", []))
    text = pledge_text(ctx, cluster, movement, pledge.content, items)
    unit = lookups.unit_name(ctx.session, ctx.actor.unit_id)
    return [
        Reply(text),
        Reply(vi.PLEDGE_ASK_SIGN.format(unit=unit), buttons=buttons((vi.BTN_PLEDGE_SIGN, "sign"))),
    ]


def on_sign(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Sign for the person's own unit, if it is a member and the person is its head."""
    if message.payload != "sign":
        return Turn(SIGN, draft, [Reply(vi.CHOOSE_ONE)])
    return _sign(ctx, draft)


def _sign(ctx: Ctx, draft: Draft) -> Turn:
    """The signature itself (the sign button, or «Ký» on a pushed notice)."""
    unit_id = ctx.actor.unit_id
    pledge = ctx.session.get(Pledge, draft.get("pledge_id", 0))
    cluster = ctx.session.get(Cluster, pledge.cluster_id) if pledge else None
    allowed = (
        unit_id is not None
        and cluster is not None
        and can(ctx.actor, Action.CONFIRM, unit_id)
        and unit_id in pledges.members(ctx.session, cluster)
    )
    if pledge is None or unit_id is None or not allowed:
        return Turn(None, draft, [Reply(vi.NOT_ALLOWED)])
    assert ctx.actor.person_id is not None
    unit = lookups.unit_name(ctx.session, unit_id)
    if pledge.status != pledges.OPEN:
        return Turn(None, draft, [Reply(vi.PLEDGE_ALREADY_SIGNED.format(unit=unit))])
    try:
        pledge, closed = pledges.sign(ctx.session, pledge.id, unit_id, ctx.actor.person_id, ctx.now)
    except pledges.AlreadySigned:
        return Turn(None, draft, [Reply(vi.PLEDGE_ALREADY_SIGNED.format(unit=unit))])
    assert cluster is not None
    handoffs.pledge_signed(ctx, pledge, cluster, unit_id)
    if closed:
        return Turn(None, draft, [Reply(vi.PLEDGE_SIGNED_CLOSED.format(unit=unit))])
    missing = len(set(pledges.members(ctx.session, cluster)) - pledges.signed_units(pledge))
    return Turn(None, draft, [Reply(vi.PLEDGE_SIGNED.format(unit=unit, missing=missing))])


# --- entry point (called by the router) ----------------------------------------------------


def _statuses(ctx: Ctx, cluster: Cluster | None) -> list[Reply]:
    """The lead sees their cluster's pledges; the office every pledge of the year."""
    if can(ctx.actor, Action.REVIEW, None):
        found = pledges.pledges_of_year(ctx.session, ctx.today.year)
        return [Reply(status_text(ctx, p)) for p in found] or [Reply(vi.PLEDGE_NONE_YET)]
    if cluster is None:
        return []
    return [
        Reply(status_text(ctx, p)) for p in pledges.pledges_of_clusters(ctx.session, [cluster.id])
    ]


def begin(ctx: Ctx, engine: Engine, state: ConversationState, arg: str = "") -> list[Reply]:
    """/giaouoc: resume, open (a lead), sign (a member's head), or see who has signed.

    From a pushed notice, `arg` names the pledge: `7` opens it for reading with the sign
    button, `7 sign` signs it at once.
    """
    match = re.fullmatch(r"(\d+)(?: (sign))?", arg)
    if match is not None:
        return _from_notice(ctx, engine, state, int(match.group(1)), bool(match.group(2)))
    if engine.is_paused(state, NAME) and engine.known(state):
        return engine.resume(ctx, state)
    cluster = _led_cluster(ctx)
    office = can(ctx.actor, Action.REVIEW, None)
    head = ctx.actor.unit_id is not None and can(ctx.actor, Action.CONFIRM, ctx.actor.unit_id)
    if cluster is None and not office and not head:
        return [Reply(vi.PLEDGE_NOT_FOR_YOU)]
    statuses = _statuses(ctx, cluster)
    movements = _openable(ctx, cluster) if cluster is not None else []
    waiting = _to_sign(ctx)
    if movements and waiting:
        return [*statuses, *engine.start(ctx, state, NAME, MENU, {})]
    if movements and cluster is not None:
        turn = _opening(ctx, cluster, movements)
        header = Reply(
            vi.PLEDGE_START.format(
                kind=cluster.kind,
                cluster=cluster.name,
                unit=lookups.unit_name(ctx.session, cluster.lead_unit_id),
            )
        )
        return [
            *statuses,
            header,
            *engine.start(ctx, state, NAME, turn.step or CONTENT, turn.draft),
        ]
    if waiting:
        turn = _signing(ctx, waiting)
        return [*statuses, *engine.start(ctx, state, NAME, turn.step or SIGN, turn.draft)]
    return statuses or [Reply(vi.PLEDGE_NOTHING)]


def _from_notice(
    ctx: Ctx, engine: Engine, state: ConversationState, pledge_id: int, sign: bool
) -> list[Reply]:
    """The pledge a pushed notice names: read it at the sign step, or sign it at once."""
    if pledge_id not in {p.id for p in _to_sign(ctx)}:
        return [Reply(vi.HANDOFF_GONE)]
    draft: Draft = {"pledge_id": pledge_id}
    if sign:
        return _sign(ctx, draft).replies
    return engine.start(ctx, state, NAME, SIGN, draft)


FLOW = Flow(
    NAME,
    {
        MENU: Step(ask_menu, on_menu),
        MOVEMENT: Step(ask_movement, on_movement),
        CONTENT: Step(ask_content, on_content, numbered=False, free_text=True),
        COMMITMENTS: Step(ask_commitments, on_commitments),
        COMMITMENT: Step(ask_commitment, on_commitment, numbered=False, free_text=True),
        OPEN_SUMMARY: Step(ask_open_summary, on_open_summary),
        PICK: Step(ask_pick, on_pick),
        SIGN: Step(ask_sign, on_sign),
    },
)
