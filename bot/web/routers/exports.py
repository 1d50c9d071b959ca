"""Exports: the Excel workbooks of `thidua export registrations|reports` (bot.admin.exports, the
same code), as downloads of a movement chosen on the page.

The office gets the whole province; anyone else the units they may view (a cluster lead their
cluster, a unit head or officer their own unit), through the exports' own unit filter, so no
other unit's row is ever written into their file.

A province's workbook takes openpyxl many seconds to build, so the download holds no
transaction of the request: who asks is checked in a short one, and the export reads a
snapshot (bot.store.db.snapshot) that holds no writer's lock, while the route, a plain `def`,
runs on a worker thread, away from the event loop. The file is streamed from disk and removed
once sent.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import select

from bot.admin import exports
from bot.i18n import web_vi
from bot.store.db import snapshot
from bot.store.models import Movement
from bot.web.dashboard import PageError
from bot.web.deps import CurrentViewer, Dash, Db, Templates, viewer
from bot.web.downloads import scratch_file, xlsx_download

router = APIRouter(prefix="/web/exports", tags=["exports"])


@router.get("", response_class=HTMLResponse)
def exports_page(
    request: Request, who: CurrentViewer, session: Db, templates: Templates
) -> HTMLResponse:
    """Choose a movement, what to export and how it is laid out."""
    movements = session.scalars(
        select(Movement).order_by(Movement.start_date.desc(), Movement.id.desc())
    ).all()
    visible = who.visible_units()
    context = {
        "viewer": who,
        "movements": movements,
        "kinds": web_vi.EXPORT_KINDS,
        "layouts": web_vi.EXPORT_LAYOUTS,
        "scope": None if visible is None else len(visible),
    }
    return templates.TemplateResponse(request, "exports.html", context)


@router.get("/download")
def download(
    request: Request,
    dash: Dash,
    movement: str = "",
    kind: str = "registrations",
    layout: str = "flat",
) -> FileResponse:
    """The workbook, within the viewer's units, named after the movement."""
    with dash.sessions.begin() as session:
        who = viewer(request, dash, session)
        found = session.get(Movement, int(movement)) if movement.isdigit() else None
    run = exports.KINDS.get(kind)
    if run is None or layout not in exports.LAYOUTS or found is None:
        raise PageError(404)
    path = scratch_file(".xlsx")
    try:
        with snapshot(dash.sessions) as session:
            run(session, found.code, path, layout=layout, tz=dash.tz, units=who.visible_units())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    per_unit = web_vi.EXPORT_FILE_PER_UNIT if layout == "per-unit" else ""
    kind_name = web_vi.EXPORT_FILE_KINDS[kind]
    name = web_vi.EXPORT_FILE.format(kind=kind_name, code=found.code, layout=per_unit)
    return xlsx_download(path, name)
