"""The office's review of submitted registrations: pick one → approve, or return with a reason.

The decision is pushed at once to the unit's officer and head (flows.handoffs); a returned
registration is edited with /dangky and submitted again, as a new version. The web dashboard
makes the same decision through `decide`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from sqlalchemy.orm import Session

from bot.core.access import Action, Actor, can
from bot.core.flows import handoffs, registration_text
from bot.core.flows.base import Ctx, Draft, Engine, Flow, Step, Turn, buttons
from bot.core.text import reason_given
from bot.i18n import vi
from bot.messages import Incoming, Reply
from bot.store import lookups, registrations
from bot.store.conversations import Conflict, ConversationState
from bot.store.models import Registration

NAME = "review"
PICK, DECIDE, REASON = "pick", "decide", "reason"
MAX_LISTED = 20


def ask_pick(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The submitted registrations waiting for review."""
    waiting = registrations.with_status(ctx.session, registrations.SUBMITTED)[:MAX_LISTED]
    options = [(_label(ctx, r.unit_id, r.movement_id), f"r:{r.id}") for r in waiting]
    return [Reply(vi.REVIEW_PICK.format(count=len(waiting)), buttons=buttons(*options))]


def _label(ctx: Ctx, unit_id: int, movement_id: int) -> str:
    movement = lookups.movement(ctx.session, movement_id)
    return f"{lookups.unit_name(ctx.session, unit_id)} — {movement.title if movement else ''}"[:60]


def on_pick(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Open the chosen registration."""
    match = re.fullmatch(r"r:(\d+)", message.payload or "")
    reg = registrations.get(ctx.session, int(match.group(1))) if match else None
    if reg is None:
        return Turn(PICK, draft, [Reply(vi.CHOOSE_ONE)])
    return Turn(DECIDE, registrations.to_draft(reg))


def ask_decide(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The registration in full, with approve and return."""
    options = [(vi.BTN_APPROVE, "approve"), (vi.BTN_RETURN, "return")]
    return [Reply(registration_text.render(ctx.session, draft), buttons=buttons(*options))]


def on_decide(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Approve now, or ask for the reason to return it."""
    if message.payload == "return":
        return Turn(REASON, draft)
    if message.payload != "approve":
        return Turn(DECIDE, draft, [Reply(vi.CHOOSE_ONE)])
    return _decide(ctx, draft, registrations.APPROVED, "")


def ask_reason(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Why it goes back to the unit."""
    return [Reply(vi.REVIEW_ASK_REASON)]


def on_reason(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Return the registration with the reason given."""
    reason = reason_given(message.text)
    if reason is None:
        return Turn(REASON, draft, [Reply(vi.REVIEW_BAD_REASON)])
    return _decide(ctx, draft, registrations.RETURNED, reason)


def _decide(ctx: Ctx, draft: Draft, status: str, reason: str) -> Turn:
    decision = decide(
        ctx.session, ctx.actor, draft["reg_id"], draft["base_version"], status, reason, ctx.now
    )
    if decision.outcome == FORBIDDEN:
        return Turn(None, draft, [Reply(vi.NOT_ALLOWED)])
    if decision.outcome == CONFLICT:
        return Turn(None, draft, [Reply(vi.REVIEW_CONFLICT)])
    done = vi.REVIEW_APPROVED if status == registrations.APPROVED else vi.REVIEW_RETURNED
    assert decision.registration is not None
    replies = [
        Reply(done.format(unit=decision.unit)),
        *handoffs.registration_decided(ctx, decision.registration),
    ]
    return Turn(None, draft, replies)


DONE, FORBIDDEN, CONFLICT = "done", "forbidden", "conflict"


@dataclass(frozen=True)
class Decision:
    """The outcome of approving or returning a registration; who is told, and how, is
    handoffs.registration_decided's, for the chat and the dashboard alike."""

    outcome: str  # DONE, FORBIDDEN or CONFLICT
    unit: str = ""
    registration: Registration | None = None  # as decided, when DONE


def decide(
    session: Session,
    actor: Actor,
    reg_id: int,
    base_version: int,
    status: str,
    reason: str,
    now: datetime,
) -> Decision:
    """Approve or return (with `reason`) registration `reg_id` as read at `base_version`, in
    the caller's transaction: the one decision /duyet and the web dashboard both make."""
    reg = registrations.get(session, reg_id)
    if reg is None or not can(actor, Action.REVIEW, reg.unit_id):
        return Decision(FORBIDDEN)
    if reg.status != registrations.SUBMITTED:
        return Decision(CONFLICT)
    try:
        decided = registrations.set_status(
            session,
            reg_id,
            base_version,
            status=status,
            person_id=actor.person_id,
            now=now,
            reason=reason,
        )
    except Conflict:
        return Decision(CONFLICT)
    return Decision(DONE, lookups.unit_name(session, reg.unit_id), decided)


def begin(ctx: Ctx, engine: Engine, state: ConversationState, arg: str = "") -> list[Reply]:
    """/duyet: the office's list of registrations to review; `/duyet 12` (from a pushed
    notice) opens that one at its decision, while it still waits for review."""
    return open_queue(
        ctx,
        engine,
        state,
        arg,
        Queue(
            NAME,
            lambda: registrations.with_status(ctx.session, registrations.SUBMITTED),
            registrations.to_draft,
            vi.REVIEW_NOT_FOR_YOU,
            vi.REVIEW_NOTHING,
        ),
    )


class Waiting(Protocol):
    @property
    def id(self) -> int: ...


W = TypeVar("W", bound=Waiting)


@dataclass(frozen=True)
class Queue(Generic[W]):
    """One of the office's review queues: its form, what waits, each one's draft, the texts
    for whoever may not review and for an empty queue."""

    flow: str
    waiting: Callable[[], Sequence[W]]
    draft: Callable[[W], Draft]
    refused: str
    empty: str


def open_queue(
    ctx: Ctx, engine: Engine, state: ConversationState, arg: str, queue: Queue[W]
) -> list[Reply]:
    """The office's review commands (/duyet, /duyetdn): the list, or with a number (a pushed
    notice's button) that record at its decision while it still waits; one gone says so."""
    if not can(ctx.actor, Action.REVIEW, None):
        return [Reply(queue.refused)]
    waiting = queue.waiting()
    if arg.isdigit():
        named = [w for w in waiting if w.id == int(arg)]
        if named:
            return engine.start(ctx, state, queue.flow, DECIDE, queue.draft(named[0]))
        if not waiting:
            return [Reply(vi.HANDOFF_GONE), Reply(queue.empty)]
        return [Reply(vi.HANDOFF_GONE), *engine.start(ctx, state, queue.flow, PICK, {})]
    if not waiting:
        return [Reply(queue.empty)]
    return engine.start(ctx, state, queue.flow, PICK, {})


FLOW = Flow(
    NAME,
    {
        PICK: Step(ask_pick, on_pick),
        DECIDE: Step(ask_decide, on_decide),
        REASON: Step(ask_reason, on_reason, numbered=False, free_text=True),
    },
)
