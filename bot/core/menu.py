"""The menu offered when there is nothing else to answer: a stale button pressed outside a form.

The buttons follow what the person may do (bot.core.access), so a cadre is not offered a form
that would only refuse them.
"""

from __future__ import annotations

from bot.core.access import Action, can
from bot.core.flows.base import Ctx, buttons
from bot.i18n import nominations_vi, vi
from bot.messages import Reply


def stale(ctx: Ctx, saved_form: bool) -> Reply:
    """The button is old; here is what the person can do now (`saved_form`: one to resume)."""
    unit_id = ctx.actor.unit_id
    options: list[tuple[str, str]] = []
    if saved_form:
        options.append((vi.MENU_RESUME, "/tieptuc"))
    if unit_id is not None and can(ctx.actor, Action.DRAFT, unit_id):
        options += [(vi.MENU_REGISTER, "/dangky"), (vi.MENU_REPORT, "/baocao")]
        options.append((nominations_vi.MENU_NOMINATE, "/denghi"))
    if unit_id is not None and can(ctx.actor, Action.CONFIRM, unit_id):
        options += [(vi.MENU_CONFIRM, "/xacnhan"), (vi.MENU_PLEDGE, "/giaouoc")]
    if can(ctx.actor, Action.REVIEW, None):
        options.append((vi.MENU_REVIEW, "/duyet"))
    options.append((vi.MENU_HELP, "/help"))
    return Reply(vi.STALE_BUTTON_NO_FORM, buttons=buttons(*options, per_row=2))
