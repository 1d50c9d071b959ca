"""Where /denghi and /xacnhandn enter the nomination form (bot.core.flows.nomination): a new
nomination, a saved one resumed, one opened by its number to edit, or the head's confirmation
of one an officer sent (from the pushed notice's buttons: view, confirm, return).
"""

from __future__ import annotations

import re

from bot.core.access import Action, can
from bot.core.flows.base import Ctx, Engine
from bot.core.flows.nomination import (
    HEAD_RETURN,
    KIND,
    MOVEMENT,
    NAME,
    deadline_of,
    editable,
    new_draft,
    save,
)
from bot.core.flows.nomination_files import SUMMARY
from bot.core.text import day
from bot.i18n import nominations_vi as nv
from bot.i18n import vi
from bot.messages import Reply
from bot.store import lookups, nominations
from bot.store.conversations import ConversationState


def begin(ctx: Ctx, engine: Engine, state: ConversationState, arg: str = "") -> list[Reply]:
    """/denghi: resume a saved form, open nomination `arg` to edit, or start a new one."""
    unit_id = ctx.actor.unit_id
    if unit_id is None or not can(ctx.actor, Action.DRAFT, unit_id):
        return [Reply(nv.NOM_NOT_FOR_YOU)]
    if arg.isdigit():
        return _open(ctx, engine, state, int(arg))
    if engine.is_paused(state, NAME) and engine.known(state):
        return engine.resume(ctx, state)
    movements = lookups.open_movements(ctx.session, ctx.today)
    if len(movements) > 1:
        return engine.start(ctx, state, NAME, MOVEMENT, {"unit_id": unit_id})
    draft = new_draft(ctx, movements[0] if movements else None)
    if not editable(ctx, draft):
        deadline = day(deadline_of(ctx, draft["movement_id"]))
        return [Reply(nv.NOM_PAST_DEADLINE.format(deadline=deadline))]
    count = len(nominations.of_unit(ctx.session, unit_id, draft["year"]))
    movement = nv.NOM_START_MOVEMENT.format(movement=movements[0].title) if movements else ""
    header = Reply(nv.NOM_START.format(year=draft["year"], movement=movement, count=count))
    return [header, *engine.start(ctx, state, NAME, KIND, draft)]


def _open(ctx: Ctx, engine: Engine, state: ConversationState, nom_id: int) -> list[Reply]:
    nom = nominations.get(ctx.session, nom_id)
    if nom is None or nom.unit_id != ctx.actor.unit_id:
        return [Reply(nv.NOM_NOT_FOUND.format(id=nom_id))]
    draft = {**nominations.to_draft(nom), "files_seen": True}
    if not editable(ctx, draft):
        if nom.status in (nominations.APPROVED, nominations.REFUSED):
            status = nv.STATUS_LABELS.get(nom.status, nom.status)
            return [Reply(nv.NOM_NOT_EDITABLE.format(id=nom.id, status=status))]
        deadline = day(deadline_of(ctx, nom.movement_id))
        return [Reply(nv.NOM_PAST_DEADLINE.format(deadline=deadline))]
    header = Reply(nv.NOM_EDITING.format(id=nom.id, version=nom.version))
    return [header, *engine.start(ctx, state, NAME, SUMMARY, draft)]


def begin_confirm(ctx: Ctx, engine: Engine, state: ConversationState, arg: str = "") -> list[Reply]:
    """/xacnhandn: the head opens a nomination an officer sent: `12` (view), `12 ok` (confirm
    and submit at once), `12 back` (return it to the officer, with a reason)."""
    unit_id = ctx.actor.unit_id
    if unit_id is None or not can(ctx.actor, Action.CONFIRM, unit_id):
        return [Reply(nv.NOM_CONFIRM_NOT_FOR_YOU)]
    pending = nominations.with_status(ctx.session, nominations.PENDING_HEAD, unit_id)
    match = re.fullmatch(r"(\d+)(?: (ok|back))?", arg)
    if match is not None:
        pending = [n for n in pending if n.id == int(match.group(1))]
        if not pending:
            return [Reply(vi.HANDOFF_GONE)]
    if not pending:
        return [Reply(nv.NOM_CONFIRM_NOTHING)]
    nom = pending[0]
    draft = {**nominations.to_draft(nom), "files_seen": True}
    action = match.group(2) if match is not None else None
    if action == "ok":
        turn = save(ctx, draft)
        if turn.step is None:
            return turn.replies
        return [*turn.replies, *engine.start(ctx, state, NAME, turn.step, turn.draft)]
    if action == "back":
        return engine.start(ctx, state, NAME, HEAD_RETURN, draft)
    by = lookups.person_name(ctx.session, nom.drafted_by) or vi.SOMEONE
    header = Reply(nv.NOM_CONFIRM_HEADER.format(by=by))
    return [header, *engine.start(ctx, state, NAME, SUMMARY, draft)]
