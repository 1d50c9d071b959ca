"""Organisation (the office only): units, clusters and people uploaded from the same xlsx/csv
files the command line imports, through the same steps (bot.admin.importing: read the table,
check every row, write in one transaction, report each bad row's line); invite codes issued
as `thidua invite` does (bot.admin.invites); and who has not linked a chat yet.

An upload's size is checked from its declared length before anything reads the body; the
import runs in a savepoint of the request's transaction, so a refused file leaves nothing.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from bot.admin import importing
from bot.admin.invites import issue_invite, telegram_link
from bot.admin.tables import ImportSummary, TableError, read_table, write_template
from bot.i18n import web_vi
from bot.store.models import Person
from bot.store.org import audit
from bot.store.phone import display_phone
from bot.web import unlinked
from bot.web.dashboard import Dashboard, PageError
from bot.web.deps import CheckedViewer, CurrentViewer, Dash, Db, Templates, Viewer
from bot.web.downloads import scratch_file, xlsx_download

router = APIRouter(prefix="/web/org", tags=["organisation"])
log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a province's 10,000 people fit in well under 1 MB
PAGE_SIZE = 100  # unlinked people shown at a time
INVITE_DAYS = 7  # as `thidua invite`'s default
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")


async def declared_size(request: Request) -> None:
    """Refuses an upload larger than the limit, or of unknown length, before it is read."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise PageError(411, web_vi.UPLOAD_NO_LENGTH)
    if int(declared) > MAX_UPLOAD_BYTES:
        raise PageError(413, web_vi.UPLOAD_TOO_LARGE.format(mb=MAX_UPLOAD_BYTES // 2**20))


async def uploaded_file(request: Request) -> UploadFile | None:
    """The form's file (the CSRF check has parsed the form already: this reads it back)."""
    found = (await request.form()).get("file")
    return found if isinstance(found, UploadFile) and found.filename else None


@dataclass(frozen=True)
class Result:
    """What an upload did, for the page: counts, or the bad rows, or why the file was refused."""

    file: str
    kind: str
    summary: ImportSummary | None = None
    rows: tuple[tuple[int, str], ...] = ()
    failure: str = ""


def _office(who: Viewer) -> None:
    if not who.office:
        raise PageError(403)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@contextmanager
def _savepoint(session: Session) -> Iterator[Session]:
    with session.begin_nested():
        yield session


def _render(
    request: Request,
    templates: Templates,
    session: Session,
    who: Viewer,
    now: datetime,
    *,
    unit: int | None = None,
    page: int = 1,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    tally = unlinked.counts(session)
    shown = [c for c in tally if unit is None or c.unit_id == unit]
    total = sum(c.unlinked for c in shown)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown_people = unlinked.page(session, unit, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    invited = unlinked.open_invites(session, [p.id for p, _ in shown_people], now)
    context = {
        "viewer": who,
        "kinds": web_vi.IMPORT_KINDS,
        "mb": MAX_UPLOAD_BYTES // 2**20,
        "counts": tally,
        "people_total": sum(c.people for c in tally),
        "unlinked_total": sum(c.unlinked for c in tally),
        "unit": unit,
        "people": shown_people,
        "invited": invited,
        "page": page,
        "pages": pages,
        "total": total,
        "days": INVITE_DAYS,
        "display_phone": display_phone,
        **extra,
    }
    return templates.TemplateResponse(request, "org.html", context, status_code=status)


@router.get("", response_class=HTMLResponse)
def org_page(
    request: Request,
    who: CurrentViewer,
    dash: Dash,
    session: Db,
    templates: Templates,
    unit: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    """The import forms and the people without a linked chat, by unit."""
    _office(who)
    unit_id = _int_or_none(unit)
    return _render(request, templates, session, who, dash.now(), unit=unit_id, page=page)


@router.post("/import/{kind}", response_class=HTMLResponse, dependencies=[Depends(declared_size)])
def upload(
    request: Request,
    kind: str,
    who: CheckedViewer,
    file: Annotated[UploadFile | None, Depends(uploaded_file)],
    dash: Dash,
    templates: Templates,
) -> HTMLResponse:
    """Imports one file: its counts, or each bad row's line and error with nothing written."""
    _office(who)
    spec = importing.KINDS.get(kind)
    if spec is None:
        raise PageError(404)
    with dash.sessions.begin() as session:
        if file is None:
            return _render(request, templates, session, who, dash.now(), status=422, missing=True)
        result = _import(session, spec, kind, file, who, dash.now())
        status = 200 if result.summary is not None else 422
        return _render(request, templates, session, who, dash.now(), status=status, result=result)


def _import(
    session: Session,
    spec: importing.ImportKind,
    kind: str,
    upload: UploadFile,
    who: Viewer,
    now: datetime,
) -> Result:
    name = Path(upload.filename or "").name[:200]
    suffix = Path(name).suffix
    path = scratch_file(suffix if _SUFFIX.fullmatch(suffix) else ".bin")
    try:
        with path.open("wb") as handle:
            shutil.copyfileobj(upload.file, handle)
        try:
            rows = read_table(path, spec.columns)
        except TableError as error:
            return Result(
                name, kind, failure=web_vi.IMPORT_FILE_FAILED.format(file=name, reason=error)
            )
    finally:
        path.unlink(missing_ok=True)

    def write(inner: Session) -> ImportSummary:
        summary = spec.run(inner, rows, now=now)
        after = {"file": name, "created": summary.created, "updated": summary.updated}
        audit(
            inner,
            person_id=who.person_id,
            action="web.import",
            entity=kind,
            entity_id=None,
            before=None,
            after=after,
            now=now,
        )
        return summary

    outcome = importing.apply_import(lambda: _savepoint(session), write)
    if outcome.db_error:
        log.warning("web import of %s refused by the database: %s", kind, outcome.db_error)
        return Result(name, kind, failure=web_vi.IMPORT_DB_FAILED.format(file=name))
    rows_failed = tuple((e.line, e.reason) for e in outcome.errors)
    return Result(name, kind, summary=outcome.summary, rows=rows_failed)


@router.get("/template/{kind}")
def template(kind: str, who: CurrentViewer) -> FileResponse:
    """The empty workbook to fill in, with a sheet explaining each column."""
    _office(who)
    spec = importing.KINDS.get(kind)
    if spec is None:
        raise PageError(404)
    path = scratch_file(".xlsx")
    write_template(path, spec.columns, spec.sheet)
    return xlsx_download(path, web_vi.TEMPLATE_FILE.format(kind=web_vi.IMPORT_KINDS[kind]))


@router.post("/invite", response_class=HTMLResponse)
def invite(
    request: Request,
    who: CheckedViewer,
    dash: Dash,
    templates: Templates,
    person: Annotated[str, Form()],
    unit: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """A one-time code for the person, shown on this page once (never kept in a URL)."""
    _office(who)
    person_id = _int_or_none(person)
    with dash.sessions.begin() as session:
        target = session.get(Person, person_id) if person_id is not None else None
        if target is None:
            raise PageError(404)
        now = dash.now()
        ttl = timedelta(days=INVITE_DAYS)
        code = issue_invite(session, target.id, now=now, ttl=ttl, by=who.person_id)
        issued = _issued(dash, target, code.code, now + ttl)
        unit_id = _int_or_none(unit)
        page = _render(request, templates, session, who, now, unit=unit_id, issued=issued)
        page.headers["Cache-Control"] = "no-store"
        return page


def _issued(dash: Dashboard, target: Person, code: str, expires: datetime) -> dict[str, str]:
    at = expires.astimezone(dash.tz).strftime("%d/%m/%Y %H:%M")
    link = telegram_link(dash.bot_username, code) if dash.bot_username else ""
    text = web_vi.INVITE_ISSUED.format(name=target.full_name, code=code, expires=at)
    return {"text": text, "code": code, "link": link}
