"""Movements: every running movement's units — registration, report periods, pledge — with
filters by cluster and registration state, counts, a chart, the units past each deadline and
«Nhắc ngay» for them. One movement's units are listed at a time, a page at a time: a province
has thousands of unit-movement rows."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.i18n import web_vi
from bot.reminders import standing as st
from bot.store.models import Movement
from bot.web import board
from bot.web.dashboard import PageError
from bot.web.deps import CheckedViewer, CurrentViewer, Dash, Db, Templates, Viewer

router = APIRouter(prefix="/web/movements", tags=["movements"])
PAGE_SIZE = 50


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def may_remind(who: Viewer) -> bool:
    """The office, and a cluster lead for their cluster's units."""
    return who.office or bool(who.actor.cluster_units)


@router.get("", response_class=HTMLResponse)
def movements(
    request: Request,
    who: CurrentViewer,
    dash: Dash,
    session: Db,
    templates: Templates,
    cluster: str | None = None,
    status: str | None = None,
    movement: str | None = None,
    overdue: str | None = None,
    page: int = 1,
    msg: str = "",
    count: int = 0,
) -> HTMLResponse:
    """The board of each running movement, within the viewer's units; the units of one of
    them (the first, or the one chosen) listed a page at a time."""
    visible = who.visible_units()
    today = dash.today()
    clusters = board.clusters_for(session, today.year, visible)
    cluster_id = _int_or_none(cluster)
    if cluster_id is not None and cluster_id not in dict(clusters):
        raise PageError(403)
    wanted_status = status if status in web_vi.REG_STATES else None
    running = st.active_movements(session, today)
    chosen_id = board.pick(running, _int_or_none(movement))
    whole = {chosen_id} if chosen_id is not None else set()
    found = board.boards(
        session,
        today,
        visible,
        cluster_id=cluster_id,
        status=wanted_status,
        whole=whole,
        running=running,
    )
    chosen = next((b for b in found if b.movement.id == chosen_id), None)
    rows: list[board.UnitRow] = []
    late_subject = None
    if chosen is not None:
        rows = chosen.rows
        if overdue in chosen.overdue:
            late_subject = overdue
            owing = set(chosen.overdue[overdue])
            rows = [r for r in rows if r.unit_id in owing]
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    base = {"cluster": cluster_id or "", "status": wanted_status or ""}
    context = {
        "viewer": who,
        "boards": found,
        "chosen": chosen,
        "rows": rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        "total": len(rows),
        "page": page,
        "pages": pages,
        "overdue": late_subject,
        "may_remind": may_remind(who),
        "clusters": clusters,
        "cluster_id": cluster_id,
        "status": wanted_status,
        "query": lambda **extra: urlencode({k: v for k, v in {**base, **extra}.items() if v}),
        "msg": msg,
        "count": count,
    }
    return templates.TemplateResponse(request, "movements.html", context)


@router.post("/{movement_id}/remind")
def remind(
    movement_id: int,
    who: CheckedViewer,
    dash: Dash,
    overdue: Annotated[str, Form()],
    cluster: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """«Nhắc ngay»: the units within the viewer's scope still owing that deadline are reminded
    at once (the reminders' own pass: same text, buttons, routing; once an hour at most)."""
    if not may_remind(who) or dash.chaser is None:
        raise PageError(403)
    cluster_id = _int_or_none(cluster)
    visible = who.visible_units()
    with dash.sessions.begin() as session:
        found = [
            b
            for b in board.boards(
                session, dash.today(), visible, cluster_id=cluster_id, whole={movement_id}
            )
            if b.movement.id == movement_id
        ]
        if not found or overdue not in found[0].overdue:
            raise PageError(404)
        chosen = found[0]
        report = dash.chaser.remind_now(
            session, dash.now(), chosen.reminder_key(overdue), chosen.overdue[overdue]
        )
    query = urlencode(
        {
            "movement": movement_id,
            "overdue": overdue,
            **({"cluster": cluster_id} if cluster_id else {}),
            "msg": "reminded",
            "count": report.sent,
        }
    )
    return RedirectResponse(f"/web/movements?{query}", status_code=303)


@router.get("/{movement_id}/chart.svg")
def chart(
    movement_id: int, who: CurrentViewer, dash: Dash, session: Db, cluster: str | None = None
) -> Response:
    """Units per registration state of one movement, within the viewer's units."""
    if session.get(Movement, movement_id) is None:
        raise PageError(404)
    visible = who.visible_units()
    cluster_id = _int_or_none(cluster)
    if cluster_id is not None:
        allowed = dict(board.clusters_for(session, dash.today().year, visible))
        if cluster_id not in allowed:
            raise PageError(403)
    found = [
        b
        for b in board.boards(session, dash.today(), visible, cluster_id=cluster_id, whole=())
        if b.movement.id == movement_id
    ]
    if not found:
        raise PageError(404)
    return Response(board.chart_svg(found[0].counts), media_type="image/svg+xml")
