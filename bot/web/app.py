"""The web app: the channels' webhooks, a health check (/healthz, liveness), a readiness
check (/readyz, bot.web.ready), the metrics (/metrics) and the office's dashboard (under /web),
beside the background loops (each kept running by the services' supervisor, which the health
check reports on).

`create_app(services, dashboard)` takes what the composition root built (bot.cli.serve).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from bot.delivery.services import Services
from bot.i18n import web_vi
from bot.web import metrics, ready, webhooks
from bot.web.dashboard import HERE, Dashboard, PageError, make_templates
from bot.web.routers import (
    answers,
    audit,
    auth,
    exports,
    movements,
    nominations,
    org,
    questions,
    review,
    units,
)

TITLES = {
    404: web_vi.NOT_FOUND_TITLE,
    411: web_vi.UPLOAD_REFUSED_TITLE,
    413: web_vi.UPLOAD_REFUSED_TITLE,
}


def create_app(services: Services, dashboard: Dashboard | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = services.start_loops(stop)
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await services.close()

    app = FastAPI(title="Trợ lý Thi đua", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.services = services
    app.include_router(webhooks.router)
    app.include_router(metrics.router)
    app.include_router(ready.router)
    if dashboard is not None:
        mount(app, dashboard)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """200 while every background loop runs; 503 while one died and waits to restart
        (the supervisor restarts it), with each loop's state, restarts and last error."""
        supervisor = services.supervisor
        loops = {name: loop.as_json() for name, loop in supervisor.health().items()}
        healthy = supervisor.healthy()
        body = {"status": "ok" if healthy else "degraded", "loops": loops}
        return JSONResponse(body, status_code=200 if healthy else 503)

    return app


def mount(app: FastAPI, dashboard: Dashboard) -> None:
    """Adds the dashboard to `app`. Its routes run in the server's thread pool and read from
    snapshots; a form's write is one short transaction inside its route (bot.web.deps), so
    the loops keep their database work on the event loop's thread (bot.store.db.run_db)."""
    templates = make_templates(dashboard.tz)
    app.state.dashboard = dashboard
    app.state.templates = templates
    app.mount("/web/static", StaticFiles(directory=HERE / "static"), name="web-static")
    routers = (auth, movements, units, review, nominations, org, exports, questions, answers, audit)
    for module in routers:
        app.include_router(module.router)

    @app.exception_handler(PageError)
    async def page_error(request: Request, error: PageError) -> Response:
        if error.status == 401:
            return RedirectResponse("/web/login", status_code=303)
        title = TITLES.get(error.status, web_vi.FORBIDDEN_TITLE)
        message = error.message or (web_vi.NOT_FOUND if error.status == 404 else web_vi.FORBIDDEN)
        context: dict[str, Any] = {"title": title, "message": message, "viewer": None}
        page: HTMLResponse = templates.TemplateResponse(
            request, "error.html", context, status_code=error.status
        )
        return page
