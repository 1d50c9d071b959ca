"""A nomination's hand-offs, pushed at once in the transaction of the change that caused them:
the officer's to the unit head (confirm, view, return), the head's submission to the office,
the office's decision (approved for the council, returned, refused, with the reason) to the
unit. Who and how is bot.core.flows.handoffs' `people` and `tell`, as for registrations.
"""

from __future__ import annotations

from bot.core.flows import handoffs, nomination_text
from bot.core.flows.base import Ctx, buttons
from bot.core.nomination_record import nominee_name
from bot.i18n import nominations_vi as nv
from bot.i18n import vi
from bot.messages import Reply
from bot.store import lookups, nominations
from bot.store.nominations import Nomination
from bot.store.roles import Role


def _unreached(ctx: Ctx, who: str, reached: int, missed: int | bool) -> list[Reply]:
    """The sender is told when nobody next in line can be reached by the assistant."""
    if ctx.push is None or reached or not missed:
        return []
    return [Reply(vi.HANDOFF_NOT_LINKED.format(who=who))]


def _names(ctx: Ctx, nom: Nomination) -> dict[str, str]:
    draft = nominations.to_draft(nom)
    return {
        "nominee": nominee_name(ctx.session, draft),
        "award": nomination_text.award_name(ctx.session, nom.award_code),
    }


def to_head(ctx: Ctx, nom: Nomination) -> list[Reply]:
    """An officer sent the nomination: the unit's heads get it with confirm, view, return."""
    by = lookups.person_name(ctx.session, ctx.actor.person_id) or vi.SOMEONE
    summary = nomination_text.render(ctx.session, nominations.to_draft(nom))
    reply = Reply(
        nv.HANDOFF_TO_HEAD.format(by=by, summary=summary),
        buttons=buttons(
            (vi.BTN_SUBMIT, f"/xacnhandn {nom.id} ok"),
            (vi.BTN_VIEW, f"/xacnhandn {nom.id}"),
            (vi.BTN_HEAD_RETURN, f"/xacnhandn {nom.id} back"),
        ),
    )
    heads = handoffs.people(ctx, Role.UNIT_HEAD, nom.unit_id)
    key = f"nom_confirm:{nom.id}:{nom.version}"
    reached, missed = handoffs.tell(ctx, heads, key, reply, nom.unit_id)
    return _unreached(ctx, vi.HANDOFF_WHO_HEAD, reached, missed or not heads)


def to_office(ctx: Ctx, nom: Nomination) -> list[Reply]:
    """The head submitted: the office gets a notice with «Xem và xét»."""
    found = nomination_text.findings(ctx.session, nominations.to_draft(nom))
    text = nv.HANDOFF_TO_OFFICE.format(
        unit=lookups.unit_name(ctx.session, nom.unit_id),
        id=nom.id,
        warnings=len(found),
        **_names(ctx, nom),
    )
    reply = Reply(text, buttons=buttons((nv.BTN_VIEW_DECIDE, f"/duyetdn {nom.id}")))
    office = handoffs.people(ctx, Role.OFFICE_ADMIN)
    key = f"nom_submitted:{nom.id}:{nom.version}"
    reached, missed = handoffs.tell(ctx, office, key, reply, nom.unit_id)
    return _unreached(ctx, vi.HANDOFF_WHO_OFFICE, reached, missed or not office)


def decided(ctx: Ctx, nom: Nomination, *, by_head: bool = False) -> list[Reply]:
    """Approved, returned or refused (by the office; or returned by the head to the officer):
    the unit's officers and heads (the officer who drafted it, for the head's) are told."""
    fields = {
        **_names(ctx, nom),
        "reason": nom.reason,
        "by": lookups.person_name(ctx.session, ctx.actor.person_id) or vi.SOMEONE,
    }
    if nom.status == nominations.APPROVED:
        reply = Reply(nv.HANDOFF_APPROVED.format(**fields))
    elif nom.status == nominations.REFUSED:
        reply = Reply(nv.HANDOFF_REFUSED.format(**fields))
    else:
        reply = Reply(
            nv.HANDOFF_RETURNED.format(**fields),
            buttons=buttons((nv.BTN_OPEN_NOMINATION, f"/denghi {nom.id}")),
        )
    audience = set(handoffs.people(ctx, Role.UNIT_OFFICER, nom.unit_id))
    if by_head:
        audience |= {nom.drafted_by} if nom.drafted_by else set()
    else:
        audience |= set(handoffs.people(ctx, Role.UNIT_HEAD, nom.unit_id))
    key = f"nom_{nom.status}:{nom.id}:{nom.version}"
    reached, missed = handoffs.tell(ctx, audience, key, reply, nom.unit_id)
    who = vi.HANDOFF_WHO_OFFICER if by_head else vi.HANDOFF_WHO_UNIT
    return _unreached(ctx, who, reached, missed)
