"""The audit log: who changed what and when, newest first, a page at a time, filtered by unit,
person and dates (dd/mm/yyyy, the office's own days).

Office only. A unit head or cluster lead does not get their units' share: many rows name no
unit (imports, failed links, invites), and a row's before/after may carry other units' data,
so cutting the log by unit would either leak or mislead."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.text import fold
from bot.i18n import web_vi
from bot.store import audit
from bot.store.models import AuditLog, Person, Unit
from bot.store.phone import normalize_phone
from bot.web.deps import CurrentViewer, Dash, Db, Templates
from bot.web.routers.questions import office_only

router = APIRouter(prefix="/web/audit", tags=["audit"])
PAGE_SIZE = 50
_DMY = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*")


def parse_day(text: str) -> date | None:
    """31/3/2026 or 31-03-2026; None when it is not a day."""
    match = _DMY.fullmatch(text)
    if not match:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def units_matching(session: Session, text: str) -> frozenset[int]:
    """The unit whose code is `text`, else those whose name holds it (diacritics optional)."""
    rows = session.execute(select(Unit.id, Unit.code, Unit.name)).all()
    wanted = fold(text)
    exact = frozenset(uid for uid, code, _name in rows if fold(code) == wanted)
    return exact or frozenset(uid for uid, _code, name in rows if wanted in fold(name))


def people_matching(session: Session, text: str) -> frozenset[int]:
    """The people with this phone number, else those whose name holds `text`."""
    try:
        phone = normalize_phone(text)
    except ValueError:
        phone = ""
    if phone:
        found = frozenset(session.scalars(select(Person.id).where(Person.phone == phone)))
        if found:
            return found
    wanted = fold(text)
    rows = session.execute(select(Person.id, Person.full_name))
    return frozenset(pid for pid, name in rows if wanted in fold(name))


@dataclass
class Filters:
    unit: str = ""
    person: str = ""
    since: str = ""
    until: str = ""

    def query_string(self) -> str:
        """The filters as the pager's links carry them."""
        pairs = {"unit": self.unit, "person": self.person, "from": self.since, "to": self.until}
        return urlencode({k: v for k, v in pairs.items() if v})


def build_query(
    session: Session, filters: Filters, tz: ZoneInfo
) -> tuple[audit.AuditQuery, list[str]]:
    """The store's query for what was typed, and what could not be used of it (said on the
    page; a date that is not one leaves that side open)."""
    notes: list[str] = []
    units = people = None
    if filters.unit:
        units = units_matching(session, filters.unit)
        if not units:
            notes.append(web_vi.AUDIT_NO_UNIT.format(value=filters.unit))
    if filters.person:
        people = people_matching(session, filters.person)
        if not people:
            notes.append(web_vi.AUDIT_NO_PERSON.format(value=filters.person))
    bounds: list[datetime | None] = []
    for value, label, shift in (
        (filters.since, web_vi.AUDIT_FROM, 0),
        (filters.until, web_vi.AUDIT_TO, 1),  # through the end of that day
    ):
        day = parse_day(value) if value else None
        if value and day is None:
            notes.append(web_vi.AUDIT_BAD_DATE.format(field=label, value=value))
        bounds.append(
            datetime.combine(day + timedelta(days=shift), time(), tz) if day is not None else None
        )
    since, until = bounds
    if since is not None and until is not None and since >= until:
        notes.append(web_vi.AUDIT_DATES_REVERSED)
    return audit.AuditQuery(units, people, since, until), notes


def _details(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, indent=1, default=str)


@dataclass(frozen=True)
class Line:
    row: AuditLog
    actor: str
    unit: str
    before: str
    after: str


def _lines(session: Session, rows: list[AuditLog]) -> list[Line]:
    units = audit.units_of(session, rows)
    names = dict(
        session.execute(
            select(Person.id, Person.full_name).where(
                Person.id.in_(sorted({r.person_id for r in rows if r.person_id}))
            )
        ).all()
    )
    unit_names = dict(
        session.execute(
            select(Unit.id, Unit.name).where(Unit.id.in_(sorted(set(units.values()))))
        ).all()
    )
    return [
        Line(
            row,
            names.get(row.person_id or 0, web_vi.AUDIT_SYSTEM),
            unit_names.get(units.get(row.id, 0), ""),
            _details(row.before),
            _details(row.after),
        )
        for row in rows
    ]


@router.get("", response_class=HTMLResponse)
def audit_log(
    request: Request,
    who: CurrentViewer,
    dash: Dash,
    session: Db,
    templates: Templates,
    unit: str = "",
    person: str = "",
    since: Annotated[str, Query(alias="from")] = "",
    until: Annotated[str, Query(alias="to")] = "",
    page: str = "1",
) -> Response:
    """A page of the log, newest first (a page number that is not one: the first)."""
    office_only(who)
    filters = Filters(unit.strip()[:100], person.strip()[:100], since.strip(), until.strip())
    query, notes = build_query(session, filters, dash.tz)
    total = audit.count(session, query)
    pages = max(1, -(-total // PAGE_SIZE))
    wanted = min(max(int(page) if page.isdigit() else 1, 1), pages)
    rows = audit.page(session, query, offset=(wanted - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    context = {
        "viewer": who,
        "lines": _lines(session, rows),
        "filters": filters,
        "notes": notes,
        "page": wanted,
        "pages": pages,
        "total": total,
    }
    return templates.TemplateResponse(request, "audit.html", context)
