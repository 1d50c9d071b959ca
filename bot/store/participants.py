"""Which units take part in the province's movements: every unit but the office's own.

The office (Ban Thi đua - Khen thưởng) runs the movements; it does not register, report or
appear among the units that owe something. Its unit is the one its people (the office role)
belong to, so no separate setting can drift from the people list.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Person, PersonRole, Unit
from bot.store.roles import Role


def office_unit_ids(session: Session) -> set[int]:
    """The units of the people who hold the office role."""
    query = (
        select(Person.unit_id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role == Role.OFFICE_ADMIN.value, Person.unit_id.is_not(None))
    )
    return {unit_id for unit_id in session.scalars(query) if unit_id is not None}


def taking_part(session: Session) -> list[Unit]:
    """Every unit that should submit, by code."""
    office = office_unit_ids(session)
    units = session.scalars(select(Unit).order_by(Unit.code))
    return [unit for unit in units if unit.id not in office]
