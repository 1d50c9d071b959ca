"""/xacnhan: everything waiting for the unit head, behind one command.

A head confirms three kinds of things: a registration an officer sent, a progress report an
officer sent, and the pledge of a cluster the unit belongs to. One waiting item opens at once,
in its own form at the step where the head acts (the same entry points a pushed notice's
buttons use); several are listed, each a button naming its record, so the press lands in the
right form. `/xacnhan 12 ok` and the like (a pushed registration notice) go straight to the
registration. The office, which confirms nothing for a unit, is sent to its review (/duyet).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.access import Action, can
from bot.core.flows import pledge, registration_entry, report_entry, review
from bot.core.flows.base import Ctx, Draft, Engine, Flow, Step, Turn, buttons
from bot.i18n import vi
from bot.messages import Incoming, Reply
from bot.store import lookups, pledges, progress_reports, registrations
from bot.store.conversations import ConversationState
from bot.store.models import Cluster, ReportPeriod

NAME = "waiting"
PICK = "pick"
LABEL_LIMIT = 64


@dataclass(frozen=True)
class Waiting:
    """One thing waiting for the head: its button's label and the command that opens it."""

    label: str
    command: str


def waiting_for(ctx: Ctx) -> list[Waiting]:
    """What the head of the asker's unit must confirm now, oldest kind first."""
    unit_id = ctx.actor.unit_id
    if unit_id is None or not can(ctx.actor, Action.CONFIRM, unit_id):
        return []
    found: list[Waiting] = []
    for reg in registrations.with_status(ctx.session, registrations.PENDING_HEAD, unit_id):
        movement = lookups.movement(ctx.session, reg.movement_id)
        label = vi.WAITING_REGISTRATION.format(
            movement=movement.title if movement else "",
            by=lookups.person_name(ctx.session, reg.drafted_by) or vi.SOMEONE,
        )
        found.append(Waiting(_short(label), f"/xacnhan {reg.id}"))
    pending = progress_reports.PENDING_HEAD
    for filed in progress_reports.with_status(ctx.session, pending, unit_id):
        period = ctx.session.get(ReportPeriod, filed.period_id)
        movement = lookups.movement(ctx.session, period.movement_id) if period else None
        label = vi.WAITING_REPORT.format(
            period=period.name if period else "",
            movement=movement.title if movement else "",
            by=lookups.person_name(ctx.session, filed.submitted_by) or vi.SOMEONE,
        )
        found.append(Waiting(_short(label), f"/baocao {filed.id}"))
    for open_pledge in pledges.to_sign(ctx.session, unit_id, ctx.today.year):
        cluster = ctx.session.get(Cluster, open_pledge.cluster_id)
        label = vi.WAITING_PLEDGE.format(cluster=cluster.name if cluster else "")
        found.append(Waiting(_short(label), f"/giaouoc {open_pledge.id}"))
    return found


def _short(label: str) -> str:
    return label if len(label) <= LABEL_LIMIT else label[: LABEL_LIMIT - 1] + "…"


def ask_pick(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The waiting items as buttons, each opening its own form (the router runs the command)."""
    found = waiting_for(ctx)
    if not found:
        return [Reply(vi.CONFIRM_NOTHING)]
    options = [(item.label, item.command) for item in found]
    return [Reply(vi.WAITING_LIST.format(count=len(found)), buttons=buttons(*options))]


def on_pick(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Anything but one of the listed buttons (which the router runs as commands)."""
    return Turn(PICK, draft, [Reply(vi.CHOOSE_ONE)])


def begin(ctx: Ctx, engine: Engine, state: ConversationState, arg: str = "") -> list[Reply]:
    """/xacnhan: the one waiting item opened where the head acts, or the list of them."""
    if arg:  # a pushed registration notice's button: `12`, `12 ok`, `12 back`
        return registration_entry.begin_confirm(ctx, engine, state, arg)
    unit_id = ctx.actor.unit_id
    if unit_id is None or not can(ctx.actor, Action.CONFIRM, unit_id):
        if can(ctx.actor, Action.REVIEW, None):
            return review.begin(ctx, engine, state, "")
        return [Reply(vi.CONFIRM_NOT_FOR_YOU)]
    found = waiting_for(ctx)
    if not found:
        return [Reply(vi.CONFIRM_NOTHING)]
    if len(found) > 1:
        return engine.start(ctx, state, NAME, PICK, {"unit_id": unit_id})
    name, _, record = found[0].command[1:].partition(" ")
    opener = {"xacnhan": registration_entry.begin_confirm, "baocao": report_entry.begin}
    return opener.get(name, pledge.begin)(ctx, engine, state, record)


FLOW = Flow(NAME, {PICK: Step(ask_pick, on_pick)})
