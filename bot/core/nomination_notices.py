"""Nominations waiting for this person, for bot.core.notices (shown once on their next
message unless already pushed): a head's nominations to confirm, a unit's returned ones, the
office's count to review. Keys are the hand-offs' own (bot.core.flows.nomination_handoffs), so
a notice already pushed is not shown again.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.access import Action, can
from bot.core.flows import nomination_text
from bot.core.flows.base import Ctx, buttons
from bot.core.nomination_record import nominee_name
from bot.i18n import nominations_vi as nv
from bot.i18n import vi
from bot.messages import Reply
from bot.store import lookups, nominations
from bot.store.nominations import Nomination


def found(ctx: Ctx) -> list[tuple[str, Reply]]:
    """(key, notice) pairs for what waits for the actor now."""
    result: list[tuple[str, Reply]] = []
    unit_id = ctx.actor.unit_id
    if unit_id is not None and can(ctx.actor, Action.DRAFT, unit_id):
        waiting = ctx.session.scalars(
            select(Nomination)
            .where(
                Nomination.unit_id == unit_id,
                Nomination.status.in_([nominations.PENDING_HEAD, nominations.RETURNED]),
            )
            .order_by(Nomination.id)
        )
        head = can(ctx.actor, Action.CONFIRM, unit_id)
        for nom in waiting:
            if nom.status == nominations.PENDING_HEAD and not head:
                continue
            result.append(_unit_notice(ctx, nom))
    if can(ctx.actor, Action.REVIEW, None):
        submitted = nominations.with_status(ctx.session, nominations.SUBMITTED)
        if submitted:
            key = "nom_review:" + ",".join(f"{n.id}.{n.version}" for n in submitted)
            reply = Reply(
                nv.NOTICE_REVIEW.format(count=len(submitted)),
                buttons=buttons((nv.BTN_OPEN_REVIEW, "/duyetdn")),
            )
            result.append((key[:200], reply))
    return result


def _unit_notice(ctx: Ctx, nom: Nomination) -> tuple[str, Reply]:
    fields = {
        "nominee": nominee_name(ctx.session, nominations.to_draft(nom)),
        "award": nomination_text.award_name(ctx.session, nom.award_code),
    }
    if nom.status == nominations.PENDING_HEAD:
        by = lookups.person_name(ctx.session, nom.drafted_by) or vi.SOMEONE
        reply = Reply(
            nv.NOTICE_CONFIRM.format(by=by, **fields),
            buttons=buttons((nv.BTN_OPEN_CONFIRM, f"/xacnhandn {nom.id}")),
        )
        return f"nom_confirm:{nom.id}:{nom.version}", reply
    by = lookups.person_name(ctx.session, nom.decided_by) or vi.SOMEONE
    reply = Reply(
        nv.HANDOFF_RETURNED.format(by=by, reason=nom.reason, **fields),
        buttons=buttons((nv.BTN_OPEN_NOMINATION, f"/denghi {nom.id}")),
    )
    return f"nom_returned:{nom.id}:{nom.version}", reply
