"""`thidua results import`: what was awarded in earlier years, one row per person or unit.

The history the Law's checks read (bot.core.nomination_checks): a province starts with its
results of the last years. A row names the unit and, for a person, the name (and the phone
when the person is in the records, to match the right one); a name the records hold once in
that unit is that person, any other is kept as a named person of the unit. Upserted by year,
award and nominee: a second import of a corrected file updates the decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.admin.tables import Column, ImportFailed, ImportSummary, Row, RowError
from bot.admin.units import unit_code
from bot.admin.values import fold, parse_date, parse_year
from bot.i18n import nominations_vi as nv
from bot.i18n import vi
from bot.store import awards, nominations
from bot.store.models import Person, TitleCatalog, Unit
from bot.store.org import audit
from bot.store.phone import normalize_phone
from bot.store.titles import COLLECTIVE, INDIVIDUAL

COLUMNS = (
    Column("year", nv.COL_YEAR, required=True, note=nv.NOTE_YEAR),
    Column("award", nv.COL_AWARD, required=True, note=nv.NOTE_AWARD, aliases=("danh hiệu",)),
    Column("unit", nv.COL_UNIT, required=True, note=nv.NOTE_UNIT),
    Column("name", nv.COL_NAME, note=nv.NOTE_NAME, aliases=("họ tên",)),
    Column("phone", nv.COL_PHONE, note=nv.NOTE_PHONE),
    Column("decision", nv.COL_DECISION, required=True, note=nv.NOTE_DECISION),
    Column("date", nv.COL_DATE, required=True, note=nv.NOTE_DATE),
    Column("issuer", nv.COL_ISSUER, note=nv.NOTE_ISSUER, aliases=("cơ quan ban hành",)),
)


def award_catalog(session: Session) -> dict[str, tuple[str, str]]:
    """Every award a result may name: folded code and folded name -> (code, scope)."""
    found: dict[str, tuple[str, str]] = {}
    rows = session.execute(select(TitleCatalog.code, TitleCatalog.name, TitleCatalog.scope))
    entries = [*rows, *((f.code, f.name, f.scope) for f in awards.FORMS)]
    for code, name, scope in entries:
        found[fold(code)] = found[fold(name)] = (code, scope)
    return found


def import_results(session: Session, rows: Sequence[Row], *, now: datetime) -> ImportSummary:
    """Check every row, then write them all; raise ImportFailed (writing nothing) on any error."""
    catalog = award_catalog(session)
    units = {u.code: u for u in session.scalars(select(Unit))}
    people = list(session.scalars(select(Person)))
    errors: list[RowError] = []
    parsed: list[tuple[int, awards.Award]] = []
    first_line: dict[tuple[int, str, str], int] = {}
    for row in rows:
        award, reasons = _parse(row, catalog, units, people)
        if award is not None:
            key = (award.year, award.award_code, award.nominee_key)
            if key in first_line:
                reasons.append(nv.ROW_SAME_RESULT.format(line=first_line[key]))
            first_line.setdefault(key, row.line)
        if reasons or award is None:
            errors.extend(RowError(row.line, reason) for reason in reasons)
        else:
            parsed.append((row.line, award))
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))
    created = 0
    for _line, award in parsed:
        _row, new = awards.record_result(session, award, now=now)
        created += new
    summary = ImportSummary(created=created, updated=len(parsed) - created)
    audit(
        session,
        person_id=None,
        action="import",
        entity="award_result",
        entity_id=None,
        before=None,
        after={"created": summary.created, "updated": summary.updated},
        now=now,
    )
    return summary


def _parse(
    row: Row,
    catalog: dict[str, tuple[str, str]],
    units: dict[str, Unit],
    people: Sequence[Person],
) -> tuple[awards.Award | None, list[str]]:
    reasons: list[str] = []
    year = 0
    try:
        year = parse_year(row.get("year"))
    except ValueError as error:
        reasons.append(str(error))
    code, scope = catalog.get(fold(row.get("award")), ("", ""))
    if not row.get("award"):
        reasons.append(vi.ROW_MISSING.format(column=nv.COL_AWARD))
    elif not code:
        reasons.append(nv.ROW_UNKNOWN_AWARD.format(value=row.get("award")))
    unit = units.get(unit_code(row.get("unit")))
    if not row.get("unit"):
        reasons.append(vi.ROW_MISSING.format(column=nv.COL_UNIT))
    elif unit is None:
        reasons.append(vi.ROW_UNKNOWN_UNIT.format(code=row.get("unit")))
    name = row.get("name")
    if scope == INDIVIDUAL and not name:
        reasons.append(nv.ROW_AWARD_NEEDS_NAME.format(award=row.get("award")))
    if scope == COLLECTIVE and name:
        reasons.append(nv.ROW_AWARD_FOR_UNIT.format(award=row.get("award")))
    number = row.get("decision")
    if not number:
        reasons.append(vi.ROW_MISSING.format(column=nv.COL_DECISION))
    elif len(number) > 64:
        reasons.append(vi.ROW_TOO_LONG.format(column=nv.COL_DECISION, limit=64))
    decided = None
    try:
        decided = parse_date(row.get("date")) if row.get("date") else None
    except ValueError as error:
        reasons.append(str(error))
    if not row.get("date"):
        reasons.append(vi.ROW_MISSING.format(column=nv.COL_DATE))
    person, reason = (None, "") if unit is None or not name else _person(row, unit, people)
    if reason:
        reasons.append(reason)
    if reasons or unit is None or decided is None:
        return None, reasons
    kind = nominations.UNIT if not name else nominations.PERSON if person else nominations.NAMED
    key = nominations.nominee_key(
        kind, person_id=person.id if person else None, unit_id=unit.id, name=name
    )
    award = awards.Award(
        year=year,
        award_code=code,
        nominee_kind=kind,
        unit_id=unit.id,
        person_id=person.id if person else None,
        nominee_name=person.full_name if person else name,
        nominee_key=key,
        decision_number=number,
        decision_date=decided,
        issuer=row.get("issuer")[:255],
    )
    return award, reasons


def _person(row: Row, unit: Unit, people: Sequence[Person]) -> tuple[Person | None, str]:
    """The person the row names: by phone when given, else by a name the unit holds once."""
    phone = row.get("phone")
    if phone:
        try:
            wanted = normalize_phone(phone)
        except ValueError:
            return None, vi.ROW_BAD_PHONE.format(value=phone)
        found = [p for p in people if p.phone and _same_phone(p.phone, wanted)]
        if not found:
            return None, nv.ROW_UNKNOWN_PHONE.format(value=phone)
        if found[0].unit_id != unit.id:
            return None, nv.ROW_PHONE_OTHER_UNIT.format(value=phone)
        return found[0], ""
    name = nominations.fold_name(row.get("name"))
    same = [
        p for p in people if p.unit_id == unit.id and nominations.fold_name(p.full_name) == name
    ]
    return (same[0] if len(same) == 1 else None), ""


def _same_phone(stored: str, wanted: str) -> bool:
    try:
        return normalize_phone(stored) == wanted
    except ValueError:
        return False
