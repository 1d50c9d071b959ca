"""Review: the registrations waiting for the office — approve, or return with a reason. The
decision is /duyet's own (bot.core.flows.review.decide), and so is the notice: the unit's head
and officers are told in chat (bot.core.flows.handoffs) through the outbox, in the same
transaction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from bot.core.flows import handoffs, review
from bot.core.text import reason_given
from bot.store import registrations
from bot.store.models import Movement, Registration, Unit
from bot.web.dashboard import PageError
from bot.web.deps import CheckedViewer, CurrentViewer, Dash, Db, Templates, handoff_ctx

router = APIRouter(prefix="/web/review", tags=["review"])
PAGE_SIZE = 50  # a province has ~1,500 waiting at peak: a page of forms the office can read
WAITING_UNITS = select(Registration.unit_id).where(Registration.status == registrations.SUBMITTED)


@router.get("", response_class=HTMLResponse)
def waiting(
    request: Request,
    who: CurrentViewer,
    session: Db,
    templates: Templates,
    msg: str = "",
    page: int = 1,
) -> HTMLResponse:
    """The submitted registrations, oldest first, a page at a time."""
    if not who.office:
        raise PageError(403)
    every = registrations.with_status(session, registrations.SUBMITTED, details=False)
    pages = max(1, -(-len(every) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    regs = every[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    # Two queries for the whole list, not one per registration (bench/dashboard.py).
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(WAITING_UNITS)))}
    movements = {m.id: m for m in session.scalars(select(Movement))}
    items = [
        {"reg": reg, "unit": units.get(reg.unit_id), "movement": movements.get(reg.movement_id)}
        for reg in regs
    ]
    context = {
        "viewer": who,
        "items": items,
        "msg": msg,
        "page": page,
        "pages": pages,
        "total": len(every),
    }
    return templates.TemplateResponse(request, "review.html", context)


@router.post("/{reg_id}")
def decide(
    reg_id: int,
    who: CheckedViewer,
    dash: Dash,
    action: Annotated[str, Form()],
    version: Annotated[int, Form()],
    reason: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Approve or return; the unit is notified in the same transaction."""
    if not who.office or action not in ("approve", "return"):
        raise PageError(403)
    status = registrations.APPROVED if action == "approve" else registrations.RETURNED
    reason = " ".join(reason.split())
    if status == registrations.RETURNED and reason_given(reason) is None:
        return RedirectResponse(f"/web/review?msg=reason#r{reg_id}", status_code=303)
    now = dash.now()
    with dash.sessions.begin() as session:
        decision = review.decide(session, who.actor, reg_id, version, status, reason, now)
        if decision.outcome == review.FORBIDDEN:
            raise PageError(403)
        if decision.outcome == review.CONFLICT:
            return RedirectResponse("/web/review?msg=conflict", status_code=303)
        assert decision.registration is not None
        unreached = handoffs.registration_decided(
            handoff_ctx(session, who, dash, now), decision.registration
        )
        msg = "unreached" if unreached else action
        return RedirectResponse(f"/web/review?msg={msg}", status_code=303)
