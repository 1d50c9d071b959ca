"""What a person can do, as buttons and as their chat's command menu.

The stale-button menu and the command menu follow what the person may do (bot.core.access), so a
cadre is not offered a form that would only refuse them, and the menu of a head holds /xacnhan,
the office's /duyet.
"""

from __future__ import annotations

from bot.core.access import Action, Actor, can
from bot.core.flows.base import Ctx, buttons
from bot.core.weblink import may_use_dashboard
from bot.i18n import nominations_vi, vi
from bot.messages import MenuCommand, Reply, menu_reply


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


def commands_for(actor: Actor, *, web: bool) -> tuple[MenuCommand, ...]:
    """The commands that apply to `actor`, most used first; `web`: the dashboard runs."""
    unit_id = actor.unit_id
    head = unit_id is not None and can(actor, Action.CONFIRM, unit_id)
    office = can(actor, Action.REVIEW, None)
    lead = any(can(actor, Action.LEAD_PLEDGE, unit) for unit in actor.cluster_units)
    names: list[str] = []
    if head:
        names.append("xacnhan")
    if office:
        names.append("duyet")
    if unit_id is not None and can(actor, Action.DRAFT, unit_id):
        names += ["dangky", "baocao"]
    if head or lead or office:
        names.append("giaouoc")
    if unit_id is not None and can(actor, Action.DRAFT, unit_id):
        names.append("denghi")  # the year end's nominations
    if head:
        names.append("xacnhandn")
    if office:
        names.append("duyetdn")
    if lead:
        names.append("xephang")
    if names:  # someone who fills forms can save, resume and cancel them
        names += ["tieptuc", "huy"]
    if web and may_use_dashboard(actor):
        names.append("web")
    names.append("help")
    return tuple(MenuCommand(name, vi.CHAT_COMMANDS[name]) for name in names)


def chat_menu(actor: Actor, *, web: bool) -> Reply:
    """The reply that sets the chat's command menu for `actor` (see bot.messages.CHAT_MENU)."""
    return menu_reply(commands_for(actor, web=web))
