"""Signing in with a one-time link, and out.

The link's GET only shows a button: chat apps open links to preview them, and a preview must
not spend the link. The button's POST spends it (once, see bot.store.web_sessions) and sets the
signed session cookie. That form is protected by a double-submit token set with the page.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.i18n import web_vi
from bot.store import web_sessions
from bot.web.dashboard import LINK_TTL, PageError
from bot.web.deps import (
    COOKIE,
    CSRF_FIELD,
    CheckedViewer,
    Dash,
    Db,
    Templates,
    cookie_sid,
    csrf_token_of,
    signer,
)

router = APIRouter(prefix="/web", tags=["auth"])
PRE_COOKIE = "thidua_login"


@router.get("", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/web/movements", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def sign_in_page(request: Request, templates: Templates) -> HTMLResponse:
    """How to get a link: /web in the chat."""
    minutes = int(LINK_TTL.total_seconds() // 60)
    context = {"viewer": None, "message": web_vi.SIGN_IN_HOW.format(minutes=minutes)}
    return templates.TemplateResponse(request, "signin.html", context)


@router.get("/login/{token}", response_class=HTMLResponse)
def confirm_page(
    request: Request, token: str, dash: Dash, session: Db, templates: Templates
) -> HTMLResponse:
    """The link's page: a button that signs in, or why the link no longer works."""
    if not web_sessions.link_valid(session, token, now=dash.now()):
        context = {"viewer": None, "message": web_vi.SIGN_IN_SPENT}
        return templates.TemplateResponse(request, "signin.html", context, status_code=410)
    pre = secrets.token_urlsafe(24)
    context = {"viewer": None, "token": token, "pre": pre, "field": CSRF_FIELD}
    page = templates.TemplateResponse(request, "signin_confirm.html", context)
    page.set_cookie(
        PRE_COOKIE,
        pre,
        max_age=int(LINK_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=dash.secure_cookies,
        path="/web/login",
    )
    return page


@router.post("/login/{token}")
async def sign_in(request: Request, token: str, dash: Dash, templates: Templates) -> Response:
    """Spends the link and opens the session."""
    sent = await csrf_token_of(request)
    expected = request.cookies.get(PRE_COOKIE, "")
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise PageError(403, web_vi.CSRF_FAILED)
    with dash.sessions.begin() as session:
        opened = web_sessions.spend_link(
            session, token, now=dash.now(), lifetime=dash.session_lifetime
        )
    if opened is None:
        context = {"viewer": None, "message": web_vi.SIGN_IN_SPENT}
        return templates.TemplateResponse(request, "signin.html", context, status_code=410)
    response = RedirectResponse("/web/movements", status_code=303)
    response.set_cookie(
        COOKIE,
        signer(dash).dumps(opened.sid),
        max_age=int(dash.session_lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=dash.secure_cookies,
        path="/",
    )
    response.delete_cookie(PRE_COOKIE, path="/web/login")
    return response


@router.post("/logout")
def sign_out(request: Request, who: CheckedViewer, dash: Dash, templates: Templates) -> Response:
    """Ends the session on the server and forgets the cookie."""
    sid = cookie_sid(request, dash)
    if sid:
        with dash.sessions.begin() as session:
            web_sessions.revoke(session, sid, now=dash.now())
    context = {"viewer": None, "message": web_vi.SIGNED_OUT}
    page = templates.TemplateResponse(request, "signin.html", context)
    page.delete_cookie(COOKIE, path="/")
    return page
