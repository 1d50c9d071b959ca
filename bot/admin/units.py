"""`thidua units import`: units upserted by code, parents by code (in the file or already known)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.admin.tables import Column, ImportFailed, ImportSummary, Row, RowError
from bot.i18n import vi
from bot.store.models import Unit
from bot.store.org import audit

COLUMNS = (
    Column("code", vi.COL_UNIT_CODE, required=True, note=vi.NOTE_UNIT_CODE),
    Column("name", vi.COL_UNIT_NAME, required=True, note=vi.NOTE_UNIT_NAME),
    Column("type", vi.COL_UNIT_TYPE, note=vi.NOTE_UNIT_TYPE),
    Column("parent", vi.COL_UNIT_PARENT, note=vi.NOTE_UNIT_PARENT),
)


def unit_code(text: str) -> str:
    """Codes compare without regard to case or spacing at the ends."""
    return text.strip().upper()


@dataclass(frozen=True)
class _UnitRow:
    line: int
    code: str
    name: str
    unit_type: str
    parent: str


def import_units(session: Session, rows: Sequence[Row], *, now: datetime) -> ImportSummary:
    """Check every row, then write them all; raise ImportFailed (writing nothing) on any error."""
    existing = {u.code: u for u in session.scalars(select(Unit))}
    code_of = {u.id: u.code for u in existing.values()}
    parents_known = {u.code: code_of.get(u.parent_id or 0, "") for u in existing.values()}
    errors: list[RowError] = []
    parsed: list[_UnitRow] = []
    first_line: dict[str, int] = {}
    for row in rows:
        item = _UnitRow(
            row.line,
            unit_code(row.get("code")),
            row.get("name"),
            row.get("type"),
            unit_code(row.get("parent")),
        )
        reasons = []
        if not item.code:
            reasons.append(vi.ROW_MISSING.format(column=vi.COL_UNIT_CODE))
        elif len(item.code) > 64:
            reasons.append(vi.ROW_TOO_LONG.format(column=vi.COL_UNIT_CODE, limit=64))
        elif item.code in first_line:
            reasons.append(vi.ROW_DUPLICATE.format(value=item.code, line=first_line[item.code]))
        else:
            first_line[item.code] = row.line
        if not item.name:
            reasons.append(vi.ROW_MISSING.format(column=vi.COL_UNIT_NAME))
        elif len(item.name) > 255:
            reasons.append(vi.ROW_TOO_LONG.format(column=vi.COL_UNIT_NAME, limit=255))
        if item.parent and item.parent == item.code:
            reasons.append(vi.ROW_UNIT_OWN_PARENT)
        parsed.append(item)
        if reasons:
            errors.extend(RowError(row.line, reason) for reason in reasons)
    planned = parents_known | {item.code: item.parent for item in parsed if item.code}
    for item in parsed:
        if item.parent and item.parent not in planned:
            errors.append(RowError(item.line, vi.ROW_UNKNOWN_UNIT.format(code=item.parent)))
        elif item.parent and item.parent != item.code and _cycles(item.code, planned):
            errors.append(RowError(item.line, vi.ROW_UNIT_CYCLE.format(code=item.code)))
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))

    units = dict(existing)
    created = 0
    for item in parsed:
        unit = units.get(item.code)
        if unit is None:
            unit = Unit(code=item.code, name=item.name, unit_type=item.unit_type)
            session.add(unit)
            units[item.code] = unit
            created += 1
        unit.name, unit.unit_type = item.name, item.unit_type
    session.flush()
    for item in parsed:
        units[item.code].parent_id = units[item.parent].id if item.parent else None
    summary = ImportSummary(created=created, updated=len(parsed) - created)
    audit(
        session,
        person_id=None,
        action="import",
        entity="unit",
        entity_id=None,
        before=None,
        after={"created": summary.created, "updated": summary.updated},
        now=now,
    )
    return summary


def _cycles(code: str, parents: dict[str, str]) -> bool:
    """Whether following parents from `code` comes back to it."""
    seen = {code}
    current = parents.get(code, "")
    while current:
        if current in seen:
            return True
        seen.add(current)
        current = parents.get(current, "")
    return False
