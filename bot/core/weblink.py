"""/web: a one-time link that signs the linked person in to the office's dashboard.

Who may use the dashboard is the access rules' answer: the office, or anyone who may view a
unit (their own as head or officer, their cluster's as its lead). Others get no link.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.access import Action, Actor, can
from bot.core.flows.base import Ctx
from bot.i18n import web_vi
from bot.messages import Reply
from bot.store import web_sessions


def may_use_dashboard(actor: Actor) -> bool:
    """Whether the dashboard has anything to show this person."""
    if can(actor, Action.REVIEW, None):
        return True
    units = {actor.unit_id, *actor.cluster_units} - {None}
    return any(can(actor, Action.VIEW, unit) for unit in units)


def sign_in_link(ctx: Ctx, url_for: Callable[[str], str]) -> list[Reply]:
    """The link, in this turn's transaction; refused to the unlinked and the out of scope."""
    if not ctx.actor.linked or ctx.actor.person_id is None:
        return [Reply(web_vi.WEB_NOT_LINKED)]
    if not may_use_dashboard(ctx.actor):
        return [Reply(web_vi.WEB_NOT_FOR_YOU)]
    ttl = web_sessions.LINK_TTL
    token = web_sessions.create_link(ctx.session, ctx.actor.person_id, now=ctx.now, ttl=ttl)
    minutes = int(ttl.total_seconds() // 60)
    return [Reply(web_vi.WEB_LINK.format(url=url_for(token), minutes=minutes))]
