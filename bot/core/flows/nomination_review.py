"""The office's review of submitted nominations: pick one → approve it for the council, return
it with a reason, or refuse it with a reason. The unit hears at once (nomination_handoffs).

`review` is the one decision and its notice, for /duyetdn and the dashboard's nominations page
alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core.access import Action, Actor, can
from bot.core.flows import nomination_handoffs, nomination_text
from bot.core.flows.base import Ctx, Draft, Engine, Flow, Step, Turn, buttons
from bot.core.flows.review import Queue, open_queue
from bot.core.nomination_record import nominee_name
from bot.core.text import reason_given
from bot.i18n import nominations_vi as nv
from bot.i18n import vi
from bot.messages import Incoming, Reply
from bot.store import lookups, nominations
from bot.store.conversations import Conflict, ConversationState
from bot.store.nominations import Nomination

NAME = "nomination_review"
PICK, DECIDE, REASON = "pick", "decide", "reason"
MAX_LISTED = 20
DONE, FORBIDDEN, CONFLICT = "done", "forbidden", "conflict"
DECISIONS = {
    "approve": nominations.APPROVED,
    "return": nominations.RETURNED,
    "refuse": nominations.REFUSED,
}


@dataclass(frozen=True)
class Decision:
    outcome: str  # DONE, FORBIDDEN or CONFLICT
    nomination: Nomination | None = None


def decide(
    session: Session,
    actor: Actor,
    nom_id: int,
    base_version: int,
    status: str,
    reason: str,
    now: datetime,
) -> Decision:
    """Approve, return or refuse (the last two with `reason`) nomination `nom_id` as read at
    `base_version`, in the caller's transaction."""
    nom = nominations.get(session, nom_id)
    if nom is None or not can(actor, Action.REVIEW, nom.unit_id):
        return Decision(FORBIDDEN)
    if nom.status != nominations.SUBMITTED:
        return Decision(CONFLICT)
    try:
        decided = nominations.set_status(
            session,
            nom_id,
            base_version,
            status=status,
            person_id=actor.person_id,
            now=now,
            reason=reason,
        )
    except Conflict:
        return Decision(CONFLICT)
    return Decision(DONE, decided)


def review(
    ctx: Ctx, nom_id: int, base_version: int, status: str, reason: str
) -> tuple[Decision, list[Reply]]:
    """Decide (`decide`) and, when done, tell the unit in the same transaction
    (nomination_handoffs.decided); the replies say when nobody of the unit could be reached."""
    decision = decide(ctx.session, ctx.actor, nom_id, base_version, status, reason, ctx.now)
    if decision.outcome != DONE or decision.nomination is None:
        return decision, []
    return decision, nomination_handoffs.decided(ctx, decision.nomination)


def _label(ctx: Ctx, nom: Nomination) -> str:
    draft = nominations.to_draft(nom)
    unit = lookups.unit_name(ctx.session, nom.unit_id)
    award = nomination_text.award_name(ctx.session, nom.award_code)
    return f"{unit} — {nominee_name(ctx.session, draft)} — {award}"[:60]


def ask_pick(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The nominations waiting for the office."""
    waiting = nominations.with_status(ctx.session, nominations.SUBMITTED)[:MAX_LISTED]
    options = [(_label(ctx, n), f"n:{n.id}") for n in waiting]
    return [Reply(nv.NOM_REVIEW_PICK.format(count=len(waiting)), buttons=buttons(*options))]


def on_pick(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    match = re.fullmatch(r"n:(\d+)", message.payload or "")
    nom = nominations.get(ctx.session, int(match.group(1))) if match else None
    if nom is None:
        return Turn(PICK, draft, [Reply(vi.CHOOSE_ONE)])
    return Turn(DECIDE, nominations.to_draft(nom))


def ask_decide(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The nomination in full, with its checks, and the three decisions."""
    options = [
        (nv.BTN_APPROVE_NOM, "approve"),
        (nv.BTN_RETURN_NOM, "return"),
        (nv.BTN_REFUSE_NOM, "refuse"),
    ]
    return [Reply(nomination_text.render(ctx.session, draft), buttons=buttons(*options))]


def on_decide(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    payload = message.payload or ""
    if payload in ("return", "refuse"):
        draft["decision"] = DECISIONS[payload]
        return Turn(REASON, draft)
    if payload != "approve":
        return Turn(DECIDE, draft, [Reply(vi.CHOOSE_ONE)])
    return _decide(ctx, draft, nominations.APPROVED, "")


def ask_reason(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Why it goes back, or why not."""
    refused = draft.get("decision") == nominations.REFUSED
    return [Reply(nv.NOM_ASK_REFUSE_REASON if refused else nv.NOM_ASK_RETURN_REASON)]


def on_reason(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    reason = reason_given(message.text)
    if reason is None:
        return Turn(REASON, draft, [Reply(vi.REVIEW_BAD_REASON)])
    status = draft.get("decision")
    if status not in (nominations.RETURNED, nominations.REFUSED):
        return Turn(DECIDE, draft, [Reply(vi.CHOOSE_ONE)])
    return _decide(ctx, draft, status, reason)


def _decide(ctx: Ctx, draft: Draft, status: str, reason: str) -> Turn:
    decision, told = review(ctx, draft["nom_id"], draft["base_version"], status, reason)
    if decision.outcome == FORBIDDEN:
        return Turn(None, draft, [Reply(vi.NOT_ALLOWED)])
    if decision.outcome == CONFLICT or decision.nomination is None:
        return Turn(None, draft, [Reply(nv.NOM_REVIEW_CONFLICT)])
    nom = decision.nomination
    done = {
        nominations.APPROVED: nv.NOM_APPROVED,
        nominations.RETURNED: nv.NOM_RETURNED,
        nominations.REFUSED: nv.NOM_REFUSED,
    }[status]
    unit = lookups.unit_name(ctx.session, nom.unit_id)
    replies = [Reply(done.format(id=nom.id, unit=unit)), *told]
    return Turn(None, draft, replies)


def begin(ctx: Ctx, engine: Engine, state: ConversationState, arg: str = "") -> list[Reply]:
    """/duyetdn: the nominations waiting for the office; `/duyetdn 12` (from a pushed notice)
    opens that one at its decision while it still waits."""
    return open_queue(
        ctx,
        engine,
        state,
        arg,
        Queue(
            NAME,
            lambda: nominations.with_status(ctx.session, nominations.SUBMITTED),
            nominations.to_draft,
            nv.NOM_REVIEW_NOT_FOR_YOU,
            nv.NOM_REVIEW_NOTHING,
        ),
    )


FLOW = Flow(
    NAME,
    {
        PICK: Step(ask_pick, on_pick),
        DECIDE: Step(ask_decide, on_decide),
        REASON: Step(ask_reason, on_reason, numbered=False, free_text=True),
    },
)
