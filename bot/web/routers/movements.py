"""Movements: every running movement's units — registration, report periods, pledge — with
filters by cluster and registration state, counts and a chart."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.i18n import web_vi
from bot.store.models import Movement
from bot.web import board
from bot.web.dashboard import PageError
from bot.web.deps import CurrentViewer, Dash, Db, Templates

router = APIRouter(prefix="/web/movements", tags=["movements"])


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@router.get("", response_class=HTMLResponse)
def movements(
    request: Request,
    who: CurrentViewer,
    dash: Dash,
    session: Db,
    templates: Templates,
    cluster: str | None = None,
    status: str | None = None,
) -> HTMLResponse:
    """The board of each running movement, within the viewer's units."""
    visible = who.visible_units()
    today = dash.today()
    clusters = board.clusters_for(session, today.year, visible)
    cluster_id = _int_or_none(cluster)
    if cluster_id is not None and cluster_id not in dict(clusters):
        raise PageError(403)
    wanted_status = status if status in web_vi.REG_STATES else None
    found = board.boards(session, today, visible, cluster_id=cluster_id, status=wanted_status)
    context = {
        "viewer": who,
        "boards": found,
        "clusters": clusters,
        "cluster_id": cluster_id,
        "status": wanted_status,
    }
    return templates.TemplateResponse(request, "movements.html", context)


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
        for b in board.boards(session, dash.today(), visible, cluster_id=cluster_id)
        if b.movement.id == movement_id
    ]
    if not found:
        raise PageError(404)
    return Response(board.chart_svg(found[0].counts), media_type="image/svg+xml")
