"""The office's dashboard inside the web app: its settings, templates, static files and routers.

The composition root builds a `Dashboard` (bot.cli.web) from Settings; bot.web.app mounts the
routers under /web, the static files under /web/static and the pages' error handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from bot.core.flows.base import Push
from bot.i18n import web_vi
from bot.reminders.chase import Chaser
from bot.store.files import FileStore
from bot.store.web_sessions import LINK_TTL

if TYPE_CHECKING:  # the knowledge stack is the composition root's to load
    from bot.core.curated import CuratedLibrary

__all__ = ["LINK_TTL", "Dashboard", "PageError", "make_templates"]

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard needs from the composition root."""

    sessions: sessionmaker[Session]
    secret: str  # signs the session cookie
    public_url: str  # where people reach the app: the base of sign-in links
    now: Callable[[], datetime]
    tz: ZoneInfo
    push: Push  # a hand-off notice to a person's own chat: the chat's /duyet pushes the same way
    chaser: Chaser | None = None  # «Nhắc ngay» on the movements page (None: not offered)
    files: FileStore | None = None  # report attachments, for download from a unit's page
    session_lifetime: timedelta = timedelta(hours=12)
    secure_cookies: bool = False  # behind HTTPS: the cookie only travels over it
    bot_username: str = ""  # the Telegram bot's name: invite codes shown with their t.me link
    # The office's curated answers over the loaded texts (the bot's own); None: the Questions
    # page lists what waits but cannot check citations, so it writes nothing.
    curated: CuratedLibrary | None = None
    push_channels: frozenset[str] = frozenset()  # where a new answer is told to who asked

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


def _moment(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%d/%m/%Y %H:%M") if value is not None else ""


def make_templates(tz: ZoneInfo) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["vndate"] = lambda value: _date(value, tz)
    templates.env.filters["vntime"] = lambda value: _moment(value, tz)
    templates.env.globals["t"] = web_vi
    return templates


class PageError(Exception):
    """A page refused: 403 (not allowed), 404 (no such thing), 401 (not signed in)."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
