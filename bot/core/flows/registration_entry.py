"""Where the registration form is entered: /dangky (start or resume) and /xacnhan (the head
opens what an officer sent, also from a pushed notice's buttons)."""

from __future__ import annotations

import re

from bot.core.access import Action, can
from bot.core.flows import registration_text
from bot.core.flows.base import Ctx, Engine
from bot.core.flows.registration import (
    HEAD_RETURN,
    MOVEMENT,
    NAME,
    SUMMARY,
    after_movement,
    choosable_with_registrations,
    save,
)
from bot.core.text import day
from bot.i18n import vi
from bot.messages import Reply
from bot.store import lookups, registrations
from bot.store.conversations import ConversationState


def begin(ctx: Ctx, engine: Engine, state: ConversationState, arg: str = "") -> list[Reply]:
    """/dangky: resume a saved draft, or start with the movement (asked only if several)."""
    if not can(ctx.actor, Action.DRAFT, ctx.actor.unit_id):
        return [Reply(vi.REG_NOT_FOR_YOU)]
    if engine.is_paused(state, NAME) and engine.known(state):
        return engine.resume(ctx, state)
    choosable = choosable_with_registrations(ctx)
    movements = [movement for movement, _reg in choosable]
    if not movements:
        running = lookups.open_movements(ctx.session, ctx.today)
        if running:
            deadline = day(running[0].registration_deadline)
            return [Reply(vi.REG_PAST_DEADLINE.format(deadline=deadline))]
        return [Reply(vi.REG_NO_MOVEMENT)]
    if len(movements) > 1:
        return engine.start(ctx, state, NAME, MOVEMENT, {})
    turn = after_movement(ctx, *choosable[0])
    header = Reply(vi.REG_START.format(movement=movements[0].title))
    return [
        header,
        *turn.replies,
        *engine.start(ctx, state, NAME, turn.step or SUMMARY, turn.draft),
    ]


def begin_confirm(ctx: Ctx, engine: Engine, state: ConversationState, arg: str = "") -> list[Reply]:
    """/xacnhan: the head opens the registration an officer sent, at its summary.

    From a pushed notice, `arg` names it and what was pressed: `12` (view), `12 ok` (confirm
    and submit at once), `12 back` (return it to the officer, with a reason).
    """
    unit_id = ctx.actor.unit_id
    if unit_id is None or not can(ctx.actor, Action.CONFIRM, unit_id):
        return [Reply(vi.CONFIRM_NOT_FOR_YOU)]
    pending = registrations.with_status(ctx.session, registrations.PENDING_HEAD, unit_id)
    match = re.fullmatch(r"(\d+)(?: (ok|back))?", arg)
    if match is not None:
        named = [r for r in pending if r.id == int(match.group(1))]
        if not named:
            gone = Reply(vi.HANDOFF_GONE)
            return [gone, *(_stored(ctx, int(match.group(1)), unit_id) or [])]
        pending = named
    if not pending:
        return [Reply(vi.CONFIRM_NOTHING)]
    reg = pending[0]
    draft = registrations.to_draft(reg)
    action = match.group(2) if match is not None else None
    if action == "ok":
        turn = save(ctx, draft, force=False)
        if turn.step is None:
            return turn.replies
        return [*turn.replies, *engine.start(ctx, state, NAME, turn.step, turn.draft)]
    if action == "back":
        return engine.start(ctx, state, NAME, HEAD_RETURN, draft)
    by = lookups.person_name(ctx.session, reg.drafted_by) or vi.SOMEONE
    header = Reply(vi.CONFIRM_HEADER.format(by=by))
    return [header, *engine.start(ctx, state, NAME, SUMMARY, draft)]


def _stored(ctx: Ctx, reg_id: int, unit_id: int) -> list[Reply]:
    """The registration as it stands now, when it is the head's unit's."""
    reg = registrations.get(ctx.session, reg_id)
    if reg is None or reg.unit_id != unit_id:
        return []
    return [Reply(registration_text.render(ctx.session, registrations.to_draft(reg)))]
