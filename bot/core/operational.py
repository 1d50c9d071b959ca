"""Operational questions answered from the records, scoped to who asks (not from the law texts).

"hạn nộp đăng ký thi đua là ngày nào", "đơn vị tôi thuộc khối nào, khối trưởng là ai"; who
filed, reported or signed what ("những đơn vị nào chưa nộp đăng ký", "Sở Y tế đã nộp báo cáo
quý 1 chưa", "cụm 3 đã ký giao ước chưa") in bot.core.records. Recognised by folded keywords:
cheap, predictable, and anything not recognised falls through to the legal Q&A.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core import records
from bot.core.access import Action, can
from bot.core.flows.base import Ctx
from bot.core.text import day, fold
from bot.i18n import vi
from bot.messages import Reply
from bot.store import lookups, org, registrations
from bot.store.models import (
    Person,
    PersonRole,
)
from bot.store.roles import Role


def answer(ctx: Ctx, text: str, *, shared: bool = False) -> Reply | None:
    """A Reply when the text is an operational question we know, else None (go to Q&A);
    `shared`: asked in a group chat."""
    reply = records.answer(ctx, text, shared=shared)  # who filed, reported, signed
    if reply is not None:
        return reply
    folded = fold(text)
    if "han" in folded.split() and "dang ky" in folded:
        return _deadlines(ctx)
    if any(k in folded for k in ("khoi nao", "cum nao", "khoi truong", "cum truong")):
        return _my_cluster(ctx)
    return None


def _deadlines(ctx: Ctx) -> Reply:
    movements = org.open_movements(ctx.session, ctx.today)
    if not movements:
        return Reply(vi.OPS_NO_MOVEMENT)
    lines = []
    for movement in movements:
        status = ""
        if ctx.actor.unit_id is not None and can(ctx.actor, Action.VIEW, ctx.actor.unit_id):
            reg = registrations.registration_of(ctx.session, ctx.actor.unit_id, movement.id)
            label = vi.STATUS_LABELS.get(reg.status, reg.status) if reg else vi.OPS_NOT_REGISTERED
            status = vi.OPS_YOUR_STATUS.format(status=label)
        deadline = day(movement.registration_deadline)
        lines.append(vi.OPS_DEADLINE.format(movement=movement.title, deadline=deadline) + status)
    return Reply("\n".join(lines))


def _my_cluster(ctx: Ctx) -> Reply:
    unit_id = ctx.actor.unit_id
    if unit_id is None:
        return Reply(vi.OPS_NEED_UNIT)
    clusters = org.clusters_of_unit(ctx.session, unit_id, ctx.today.year)
    if not clusters:
        return Reply(vi.OPS_NO_CLUSTER.format(year=ctx.today.year))
    lines = []
    for cluster in clusters:
        lead_unit = lookups.unit_name(ctx.session, cluster.lead_unit_id) or "—"
        leads = ctx.session.scalars(
            select(Person.full_name)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.unit_id == cluster.lead_unit_id, PersonRole.role == Role.CLUSTER_LEAD)
        ).all()
        people = f" ({', '.join(leads)})" if leads else ""
        lines.append(
            vi.OPS_CLUSTER.format(kind=cluster.kind, name=cluster.name, lead=lead_unit + people)
        )
    return Reply("\n".join(lines))
