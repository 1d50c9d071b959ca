"""`thidua people import`: cadres upserted by phone number, with their unit and roles.

The file is the truth for the roles of the people it lists: a re-import replaces them. A person
with no role given is a plain cadre (may ask questions, nothing else).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.admin.tables import Column, ImportFailed, ImportSummary, Row, RowError
from bot.admin.units import unit_code
from bot.admin.values import fold, split_list
from bot.i18n import vi
from bot.store.models import Person, PersonRole, Unit
from bot.store.org import audit
from bot.store.phone import normalize_phone
from bot.store.roles import ROLE_ALIASES, Role

COLUMNS = (
    Column(
        "name", vi.COL_PERSON_NAME, required=True, note=vi.NOTE_PERSON_NAME, aliases=("họ tên",)
    ),
    Column("phone", vi.COL_PERSON_PHONE, required=True, note=vi.NOTE_PERSON_PHONE),
    Column("position", vi.COL_PERSON_POSITION, note=vi.NOTE_PERSON_POSITION),
    Column("unit", vi.COL_PERSON_UNIT, note=vi.NOTE_PERSON_UNIT),
    Column("roles", vi.COL_PERSON_ROLES, note=vi.NOTE_PERSON_ROLES),
)

# Roles that act for a unit, so the person must belong to one.
UNIT_ROLES = frozenset({Role.CLUSTER_LEAD, Role.UNIT_HEAD, Role.UNIT_OFFICER})


@functools.cache
def _role_lookup() -> dict[str, Role]:
    """Every spelling of every role, folded: built once (a file of 10,000 people asks 10,000
    times)."""
    lookup = {fold(alias): role for alias, role in ROLE_ALIASES.items()}
    lookup.update({fold(label): Role(value) for value, label in vi.ROLE_LABELS.items()})
    lookup.update({fold(role.value): role for role in Role})
    return lookup


def parse_roles(text: str) -> set[Role]:
    """'Thủ trưởng; cán bộ thi đua' -> {UNIT_HEAD, UNIT_OFFICER}; empty -> {CADRE}."""
    lookup = _role_lookup()
    roles: set[Role] = set()
    for item in split_list(text):
        role = lookup.get(fold(item))
        if role is None:
            raise ValueError(vi.ROW_UNKNOWN_ROLE.format(role=item, known=vi.ROLE_EXAMPLES))
        roles.add(role)
    return roles or {Role.CADRE}


@dataclass(frozen=True)
class _PersonRow:
    line: int
    name: str
    phone: str
    position: str
    unit: str
    roles: frozenset[Role]


def import_people(session: Session, rows: Sequence[Row], *, now: datetime) -> ImportSummary:
    """Check every row, then write them all; raise ImportFailed (writing nothing) on any error."""
    units = {u.code: u for u in session.scalars(select(Unit))}
    by_phone: dict[str, list[Person]] = {}
    for person in session.scalars(select(Person).where(Person.phone != "")):
        try:
            by_phone.setdefault(normalize_phone(person.phone), []).append(person)
        except ValueError:
            continue
    errors: list[RowError] = []
    parsed: list[_PersonRow] = []
    first_line: dict[str, int] = {}
    for row in rows:
        reasons: list[str] = []
        name, unit = row.get("name"), unit_code(row.get("unit"))
        if not name:
            reasons.append(vi.ROW_MISSING.format(column=vi.COL_PERSON_NAME))
        elif len(name) > 255:
            reasons.append(vi.ROW_TOO_LONG.format(column=vi.COL_PERSON_NAME, limit=255))
        phone = ""
        if not row.get("phone"):
            reasons.append(vi.ROW_MISSING.format(column=vi.COL_PERSON_PHONE))
        else:
            try:
                phone = normalize_phone(row.get("phone"))
            except ValueError:
                reasons.append(vi.ROW_BAD_PHONE.format(value=row.get("phone")))
        if phone in first_line:
            reasons.append(vi.ROW_DUPLICATE.format(value=row.get("phone"), line=first_line[phone]))
        elif phone:
            first_line[phone] = row.line
        if phone and len(by_phone.get(phone, [])) > 1:
            ids = ", ".join(str(p.id) for p in by_phone[phone])
            reasons.append(vi.ROW_AMBIGUOUS_PHONE.format(value=row.get("phone"), ids=ids))
        if unit and unit not in units:
            reasons.append(vi.ROW_UNKNOWN_UNIT.format(code=unit))
        roles: set[Role] = set()
        try:
            roles = parse_roles(row.get("roles"))
        except ValueError as error:
            reasons.append(str(error))
        if not unit and roles & UNIT_ROLES:
            reasons.append(vi.ROW_ROLE_NEEDS_UNIT)
        if reasons:
            errors.extend(RowError(row.line, reason) for reason in reasons)
        else:
            position = row.get("position")
            parsed.append(_PersonRow(row.line, name, phone, position, unit, frozenset(roles)))
    if errors:
        raise ImportFailed(errors)

    created = 0
    for item in parsed:
        matches = by_phone.get(item.phone)
        if matches:
            person = matches[0]
        else:
            person = Person(full_name=item.name, phone=item.phone)
            session.add(person)
            created += 1
        person.full_name, person.phone, person.position = item.name, item.phone, item.position
        person.unit_id = units[item.unit].id if item.unit else None
        _set_roles(person, item.roles)
    session.flush()
    summary = ImportSummary(created=created, updated=len(parsed) - created)
    audit(
        session,
        person_id=None,
        action="import",
        entity="person",
        entity_id=None,
        before=None,
        after={"created": summary.created, "updated": summary.updated},
        now=now,
    )
    return summary


def _set_roles(person: Person, roles: frozenset[Role]) -> None:
    """Keep the rows of roles that stay (the unique key would refuse a delete-then-insert)."""
    for row in [r for r in person.roles if r.role not in roles]:
        person.roles.remove(row)
    have = {r.role for r in person.roles}
    for role in sorted(roles - have):
        person.roles.append(PersonRole(role=role.value))
