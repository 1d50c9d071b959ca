"""The office's dashboard inside the web app: its settings, templates, static files and routers.

The composition root builds a `Dashboard` (bot.cli.serve) from Settings; `mount` adds the
routers under /web, the static files under /web/static and the pages' error handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import web_vi
from bot.reminders.reach import RouteFinder

HERE = Path(__file__).parent
LINK_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard needs from the composition root."""

    sessions: sessionmaker[Session]
    secret: str  # signs the session cookie
    public_url: str  # where people reach the app: the base of sign-in links
    now: Callable[[], datetime]
    tz: ZoneInfo
    routes: RouteFinder  # which chat reaches a person (the reminders' routing)
    session_lifetime: timedelta = timedelta(hours=12)
    secure_cookies: bool = False  # behind HTTPS: the cookie only travels over it

    def today(self) -> date:
        return self.now().astimezone(self.tz).date()

    def link_url(self, token: str) -> str:
        return f"{self.public_url.rstrip('/')}/web/login/{token}"


def _date(value: date | datetime | None, tz: ZoneInfo | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(tz).date() if tz else value.date()
    return value.strftime("%d/%m/%Y")


def make_templates(tz: ZoneInfo) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["vndate"] = lambda value: _date(value, tz)
    templates.env.globals["t"] = web_vi
    return templates


class PageError(Exception):
    """A page refused: 403 (not allowed), 404 (no such thing), 401 (not signed in)."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def mount(app: FastAPI, dashboard: Dashboard) -> None:
    """Adds the dashboard to `app`."""
    from bot.web.routers import auth, movements, review, units

    templates = make_templates(dashboard.tz)
    app.state.dashboard = dashboard
    app.state.templates = templates
    app.mount("/web/static", StaticFiles(directory=HERE / "static"), name="web-static")
    for module in (auth, movements, units, review):
        app.include_router(module.router)

    @app.exception_handler(PageError)
    async def page_error(request: Request, error: PageError) -> Response:
        if error.status == 401:
            return RedirectResponse("/web/login", status_code=303)
        title = web_vi.NOT_FOUND_TITLE if error.status == 404 else web_vi.FORBIDDEN_TITLE
        message = error.message or (
            web_vi.NOT_FOUND if error.status == 404 else web_vi.FORBIDDEN
        )
        context: dict[str, Any] = {"title": title, "message": message, "viewer": None}
        page: HTMLResponse = templates.TemplateResponse(
            request, "error.html", context, status_code=error.status
        )
        return page
