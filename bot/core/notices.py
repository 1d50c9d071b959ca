"""What is waiting for this person, shown once on their next message (until pushes exist).

A unit head sees a registration an officer sent for confirmation; head and officer see one the
office returned, with the reason; the office sees how many wait for review. Each notice is shown
once per version of the record: the keys seen are kept in the conversation row, not in memory.
"""

from __future__ import annotations

from bot.core.access import Action, can
from bot.core.flows.base import Ctx, buttons
from bot.i18n import vi
from bot.messages import Reply
from bot.store import forms
from bot.store.forms import ConversationState

SEEN = "_seen"
MAX_SEEN = 200


def notices(ctx: Ctx, state: ConversationState) -> list[Reply]:
    """New notices for the person behind `ctx`, remembered as seen in `state`."""
    found: list[tuple[str, Reply]] = []
    unit_id = ctx.actor.unit_id
    if unit_id is not None and can(ctx.actor, Action.CONFIRM, unit_id):
        for reg in forms.registrations_with_status(ctx.session, forms.PENDING_HEAD, unit_id):
            by = forms.person_name(ctx.session, reg.drafted_by) or vi.SOMEONE
            reply = Reply(
                vi.NOTICE_CONFIRM.format(by=by),
                buttons=buttons((vi.BTN_OPEN_CONFIRM, "/xacnhan")),
            )
            found.append((f"confirm:{reg.id}:{reg.version}", reply))
    if unit_id is not None and can(ctx.actor, Action.DRAFT, unit_id):
        for reg in forms.registrations_with_status(ctx.session, forms.RETURNED, unit_id):
            reply = Reply(
                vi.NOTICE_RETURNED.format(reason=reg.return_reason),
                buttons=buttons((vi.BTN_OPEN_EDIT, "/dangky")),
            )
            found.append((f"returned:{reg.id}:{reg.version}", reply))
    if can(ctx.actor, Action.REVIEW, None):
        waiting = forms.registrations_with_status(ctx.session, forms.SUBMITTED)
        if waiting:
            key = "review:" + ",".join(f"{r.id}.{r.version}" for r in waiting)
            reply = Reply(
                vi.NOTICE_REVIEW.format(count=len(waiting)),
                buttons=buttons((vi.BTN_OPEN_REVIEW, "/duyet")),
            )
            found.append((key[:200], reply))
    seen = list(state.data.get(SEEN, []))
    fresh = [(key, reply) for key, reply in found if key not in seen]
    if fresh:
        state.data[SEEN] = [*seen, *(key for key, _ in fresh)][-MAX_SEEN:]
    return [reply for _, reply in fresh]
