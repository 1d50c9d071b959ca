"""What every dashboard route depends on: the database session, who is signed in and what
they may see (bot.core.access), and the CSRF check of every form.

Routes are plain `def`s: FastAPI runs them on its threads, so a page's queries never hold the
event loop that receives webhooks. Between a request's dependencies and its route FastAPI goes
back to the event loop, whose loops write the same database on its own thread: a request must
not hold SQLite's writer lock across that, or the loop would wait for a commit that needs the
loop. So a request reads from a snapshot (`Db`, no writer's lock), and a form's POST writes in
a transaction of its own, begun and committed within the route (`dash.sessions.begin()`).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.access import Action, Actor, actor_of, can
from bot.core.flows.base import Ctx
from bot.core.weblink import may_use_dashboard
from bot.i18n import web_vi
from bot.messages import Incoming, Reply
from bot.store import web_sessions
from bot.store.accounts import Caller
from bot.store.db import snapshot
from bot.store.models import Person, PersonRole, Unit
from bot.web.dashboard import Dashboard, PageError

COOKIE = "thidua_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


def dashboard(request: Request) -> Dashboard:
    found: Dashboard = request.app.state.dashboard
    return found


def templates(request: Request) -> Jinja2Templates:
    found: Jinja2Templates = request.app.state.templates
    return found


def db(dash: Annotated[Dashboard, Depends(dashboard)]) -> Iterator[Session]:
    """What the request reads: one snapshot (bot.store.db.snapshot), rolled back at the end;
    it writes nothing."""
    with snapshot(dash.sessions) as session:
        yield session


def signer(dash: Dashboard) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(dash.secret, salt="thidua-web-session")


def cookie_sid(request: Request, dash: Dashboard) -> str | None:
    """The session id in the signed cookie; None when absent, forged or too old."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        sid = signer(dash).loads(raw, max_age=int(dash.session_lifetime.total_seconds()))
    except BadSignature:
        return None
    return sid if isinstance(sid, str) else None


@dataclass(frozen=True)
class Viewer:
    """The signed-in person and what the access rules say about them."""

    person_id: int
    name: str
    actor: Actor
    csrf: str

    @property
    def office(self) -> bool:
        return can(self.actor, Action.REVIEW, None)

    def may_view(self, unit_id: int) -> bool:
        return can(self.actor, Action.VIEW, unit_id)

    def visible_units(self) -> frozenset[int] | None:
        """The units this person sees; None: all of them (the office)."""
        if self.office:
            return None
        own = {self.actor.unit_id} if self.actor.unit_id is not None else set()
        return frozenset(u for u in {*own, *self.actor.cluster_units} if self.may_view(u))


def viewer(
    request: Request,
    dash: Annotated[Dashboard, Depends(dashboard)],
    session: Annotated[Session, Depends(db)],
) -> Viewer:
    """The signed-in person; 401 (to the sign-in page) without a live session, 403 for a
    person who may see no unit at all."""
    sid = cookie_sid(request, dash)
    live = web_sessions.current(session, sid, now=dash.now()) if sid else None
    if sid and live is not None and live.roles_changed:
        with dash.sessions.begin() as writing:  # ended for good, in a short write of its own
            web_sessions.revoke(writing, sid, now=dash.now())
        live = None
    if live is None:
        raise PageError(401)
    person = session.get(Person, live.person_id)
    if person is None:
        raise PageError(401)
    names = frozenset(
        session.scalars(select(PersonRole.role).where(PersonRole.person_id == person.id))
    )
    actor = actor_of(session, Caller(person.id, person.unit_id, names), dash.today())
    found = Viewer(person.id, person.full_name, actor, live.csrf)
    if not may_use_dashboard(actor):
        raise PageError(403)
    return found


async def csrf_token_of(request: Request) -> str:
    """The token a form or an HTMX request carries."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


async def checked(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Viewer:
    """The viewer of a form post whose CSRF token matches their session's; 403 otherwise."""
    token = await csrf_token_of(request)
    if not token or not hmac.compare_digest(token, who.csrf):
        raise PageError(403, web_vi.CSRF_FAILED)
    return who


def handoff_ctx(session: Session, who: Viewer, dash: Dashboard, now: datetime) -> Ctx:
    """What a decision made on the dashboard tells the unit through: the chat's own hand-offs
    (bot.core.flows), pushed as the chat's /duyet and /duyetdn push, in this transaction."""
    return Ctx(session, who.actor, now, ask=_no_questions, push=dash.push)


def _no_questions(message: Incoming) -> Reply:
    raise AssertionError("a review decision asks no question")


def unit_or_404(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise PageError(404)
    return unit


CurrentViewer = Annotated[Viewer, Depends(viewer)]
CheckedViewer = Annotated[Viewer, Depends(checked)]
Db = Annotated[Session, Depends(db)]
Templates = Annotated[Jinja2Templates, Depends(templates)]
Dash = Annotated[Dashboard, Depends(dashboard)]
