"""Reading the audit log back for the office: newest first, a page at a time, cut by unit,
person and a span of time (rows are written by bot.store.org.audit).

A row has no unit of its own: it concerns a unit when the person who acted belongs to it, or
when its subject does — the unit itself, one of its people, its registrations or its reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from bot.store.models import AuditLog, Person, ProgressReport, Registration

UNIT, PERSON, REGISTRATION, REPORT = "unit", "person", "registration", "progress_report"


@dataclass(frozen=True)
class AuditQuery:
    """What the office asks for; None: no cut on that side."""

    unit_ids: frozenset[int] | None = None
    person_ids: frozenset[int] | None = None
    since: datetime | None = None  # from this moment on
    until: datetime | None = None  # before this moment


def _conditions(query: AuditQuery) -> list[ColumnElement[bool]]:
    a = AuditLog
    found: list[ColumnElement[bool]] = []
    if query.person_ids is not None:
        ids = sorted(query.person_ids)
        found.append(a.person_id.in_(ids) if ids else false())
    if query.unit_ids is not None:
        units = sorted(query.unit_ids)
        people = select(Person.id).where(Person.unit_id.in_(units))
        regs = select(Registration.id).where(Registration.unit_id.in_(units))
        reports = select(ProgressReport.id).where(ProgressReport.registration_id.in_(regs))
        found.append(
            or_(
                a.person_id.in_(people),
                and_(a.entity == UNIT, a.entity_id.in_(units)),
                and_(a.entity == PERSON, a.entity_id.in_(people)),
                and_(a.entity == REGISTRATION, a.entity_id.in_(regs)),
                and_(a.entity == REPORT, a.entity_id.in_(reports)),
            )
            if units
            else false()
        )
    if query.since is not None:
        found.append(a.at >= query.since)
    if query.until is not None:
        found.append(a.at < query.until)
    return found


def count(session: Session, query: AuditQuery) -> int:
    where = _conditions(query)
    return session.scalar(select(func.count()).select_from(AuditLog).where(*where)) or 0


def page(session: Session, query: AuditQuery, *, offset: int, limit: int) -> list[AuditLog]:
    """The rows `query` asks for, newest first, from `offset`."""
    rows = session.scalars(
        select(AuditLog)
        .where(*_conditions(query))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows)


def units_of(session: Session, rows: Sequence[AuditLog]) -> dict[int, int]:
    """Audit row id -> the unit it concerns: its subject's unit, else the actor's (rows with
    neither are left out). A few queries for the whole page, none per row."""

    def ids(entity: str) -> list[int]:
        return sorted({r.entity_id for r in rows if r.entity == entity and r.entity_id})

    people = {r.person_id for r in rows if r.person_id} | set(ids(PERSON))
    person_unit: dict[int, int | None] = dict(
        session.execute(
            select(Person.id, Person.unit_id).where(Person.id.in_(sorted(people)))
        ).all()
    )
    reg_unit: dict[int, int | None] = dict(
        session.execute(
            select(Registration.id, Registration.unit_id).where(
                Registration.id.in_(ids(REGISTRATION))
            )
        ).all()
    )
    report_unit: dict[int, int | None] = dict(
        session.execute(
            select(ProgressReport.id, Registration.unit_id)
            .join(Registration, Registration.id == ProgressReport.registration_id)
            .where(ProgressReport.id.in_(ids(REPORT)))
        ).all()
    )
    subjects: dict[str, dict[int, int | None]] = {
        UNIT: {i: i for i in ids(UNIT)},
        PERSON: person_unit,
        REGISTRATION: reg_unit,
        REPORT: report_unit,
    }
    found: dict[int, int] = {}
    for row in rows:
        unit = subjects.get(row.entity, {}).get(row.entity_id or 0)
        if unit is None and row.person_id:
            unit = person_unit.get(row.person_id)
        if unit is not None:
            found[row.id] = unit
    return found
