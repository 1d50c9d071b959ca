"""Nominations (đề nghị khen thưởng): a year's or a movement's nominations by status and title,
filtered by unit and cluster, with the Law's checks and the hồ sơ's files; the office reviews
those submitted — approve for the council, return or refuse with a reason.

The decision is /duyetdn's own (bot.core.flows.nomination_review.review): the unit is told in
chat through the outbox in the same transaction. Everyone sees only the units they may view
(a cluster lead their cluster, a unit head or officer their unit), read-only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from bot.core.flows import nomination_review
from bot.core.text import reason_given
from bot.i18n import nominations_vi
from bot.store import nominations
from bot.web import nomination_view
from bot.web.dashboard import PageError
from bot.web.deps import CheckedViewer, CurrentViewer, Dash, Db, Templates, handoff_ctx
from bot.web.downloads import stored_file

router = APIRouter(prefix="/web/nominations", tags=["nominations"])
DONE_MESSAGES = {"approve", "return", "refuse", "unreached", "reason", "conflict"}


@router.get("", response_class=HTMLResponse)
def nominations_page(
    request: Request,
    who: CurrentViewer,
    dash: Dash,
    session: Db,
    templates: Templates,
    msg: str = "",
    page: int = 1,
) -> HTMLResponse:
    """The filtered list, its counts, and for the office the review of each one submitted."""
    visible = who.visible_units()
    if visible is not None and not visible:
        raise PageError(403)
    year = nomination_view.latest_year(session, visible, dash.today().year)
    filters = nomination_view.parse_filters(dict(request.query_params), year)
    by_status, by_award = nomination_view.counts(session, visible, filters)
    items, page, total = nomination_view.listed(session, visible, filters, page)
    context = {
        "viewer": who,
        "filters": filters,
        "by_status": by_status,
        "by_award": by_award,
        "items": items,
        "page": page,
        "pages": max(1, -(-total // nomination_view.PAGE_SIZE)),
        "total": total,
        "msg": msg if msg in DONE_MESSAGES else "",
        "scope": None if visible is None else len(visible),
        "statuses": nominations_vi.STATUS_LABELS,
        "file_kinds": nominations_vi.FILE_KIND_NAMES,
        "submitted": nominations.SUBMITTED,
        **nomination_view.choices(session, visible, filters),
    }
    return templates.TemplateResponse(request, "nominations.html", context)


@router.post("/{nom_id}")
def decide(
    nom_id: int,
    who: CheckedViewer,
    dash: Dash,
    action: Annotated[str, Form()],
    version: Annotated[int, Form()],
    reason: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Approve, return or refuse; the unit is told in the same transaction."""
    status = nomination_review.DECISIONS.get(action)
    if not who.office or status is None:
        raise PageError(403)
    filters = nomination_view.back_to(back, dash.today().year)
    here = f"/web/nominations?{filters.query()}"
    given = reason_given(reason) if status != nominations.APPROVED else ""
    if given is None:
        return RedirectResponse(f"{here}&msg=reason#n{nom_id}", status_code=303)
    now = dash.now()
    with dash.sessions.begin() as session:  # the write begins and commits here (bot.web.deps)
        ctx = handoff_ctx(session, who, dash, now)
        decision, unreached = nomination_review.review(ctx, nom_id, version, status, given)
        if decision.outcome == nomination_review.FORBIDDEN:
            raise PageError(403)
        if decision.outcome == nomination_review.CONFLICT:
            return RedirectResponse(f"{here}&msg=conflict#n{nom_id}", status_code=303)
    msg = "unreached" if unreached else action
    return RedirectResponse(f"{here}&msg={msg}#n{nom_id}", status_code=303)


@router.get("/{nom_id}/attachments/{attachment_id}")
def attachment(
    nom_id: int, attachment_id: int, who: CurrentViewer, dash: Dash, session: Db
) -> FileResponse:
    """A file of the nomination's hồ sơ, to whoever may view its unit."""
    nom = nominations.get(session, nom_id)
    if nom is None:
        raise PageError(404)
    if not who.may_view(nom.unit_id):
        raise PageError(403)
    found = next((a for a in nom.attachments if a.id == attachment_id), None)
    return stored_file(dash.files, found)
