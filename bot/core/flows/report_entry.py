"""Where the report form is entered: /baocao (start, resume, or the report waiting for the
head) and a pushed notice's buttons (view, submit at once, return to the officer)."""

from __future__ import annotations

import re

from bot.core.access import Action, can
from bot.core.flows.base import Ctx, Engine
from bot.core.flows.report import (
    HEAD_RETURN,
    NAME,
    PERIOD,
    SUMMARY,
    open_periods,
    save,
    start,
)
from bot.core.text import day
from bot.i18n import vi
from bot.messages import Reply
from bot.store import progress_reports
from bot.store.conversations import ConversationState


def begin(ctx: Ctx, engine: Engine, state: ConversationState, arg: str = "") -> list[Reply]:
    """/baocao: resume a saved draft, open a report waiting for the head, or start one.

    From a pushed notice, `arg` names the report waiting for the head: `12` opens it at its
    summary, `12 ok` submits it at once.
    """
    unit_id = ctx.actor.unit_id
    if unit_id is None or not can(ctx.actor, Action.DRAFT, unit_id):
        return [Reply(vi.REPORT_NOT_FOR_YOU)]
    match = re.fullmatch(r"(\d+)(?: (ok|back))?", arg)
    if match is not None:
        return _from_notice(ctx, engine, state, int(match.group(1)), match.group(2) or "")
    if engine.is_paused(state, NAME) and engine.known(state):
        return engine.resume(ctx, state)
    registrations = progress_reports.reportable_registrations(ctx.session, unit_id)
    if not registrations:
        return [Reply(vi.REPORT_NO_REGISTRATION)]
    choices = open_periods(ctx, registrations)
    if not choices:
        return [Reply(vi.REPORT_NO_PERIOD)]
    waiting = [
        c
        for c in choices
        if c.report is not None and c.report.status == progress_reports.PENDING_HEAD
    ]
    if waiting and can(ctx.actor, Action.CONFIRM, unit_id):
        choices = waiting
    if len(choices) > 1:
        return engine.start(ctx, state, NAME, PERIOD, {})
    choice = choices[0]
    turn = start(ctx, choice)
    header = Reply(
        vi.REPORT_START.format(
            period=choice.period.name,
            movement=choice.movement.title,
            deadline=day(choice.period.deadline),
        )
    )
    return [
        header,
        *turn.replies,
        *engine.start(ctx, state, NAME, turn.step or SUMMARY, turn.draft),
    ]


def _from_notice(
    ctx: Ctx, engine: Engine, state: ConversationState, report_id: int, action: str
) -> list[Reply]:
    """The report a pushed notice names: at its summary, submitted at once (`ok`), or on its
    way back to the officer (`back`: the reason is asked)."""
    unit_id = ctx.actor.unit_id
    found = [
        c
        for c in open_periods(ctx)
        if c.report is not None
        and c.report.id == report_id
        and c.report.status == progress_reports.PENDING_HEAD
    ]
    if not found or unit_id is None or not can(ctx.actor, Action.CONFIRM, unit_id):
        return [Reply(vi.HANDOFF_GONE)]
    turn = start(ctx, found[0])
    if action == "back":
        return engine.start(ctx, state, NAME, HEAD_RETURN, turn.draft)
    if action == "ok":
        turn = save(ctx, turn.draft, force=False)
        if turn.step is None:
            return turn.replies
    return [*turn.replies, *engine.start(ctx, state, NAME, turn.step or SUMMARY, turn.draft)]
