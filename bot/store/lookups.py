"""Reference rows the forms read: titles, unit and person names, movements. The forms never
write them; the session's identity map keeps each row read once in a turn's transaction."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.store import org
from bot.store.models import Movement, Person, TitleCatalog, Unit


class Title(NamedTuple):
    """A row of the title catalogue as the forms show it."""

    code: str
    name: str
    scope: str


_TITLES = select(TitleCatalog.code, TitleCatalog.name, TitleCatalog.scope).order_by(
    TitleCatalog.sort_order
)


def _catalog(session: Session) -> list[Title]:
    return [Title(*row) for row in session.execute(_TITLES)]


def titles(session: Session, scope: str) -> list[Title]:
    return [t for t in _catalog(session) if t.scope == scope]


def title_names(session: Session) -> dict[str, str]:
    return {t.code: t.name for t in _catalog(session)}


def unit_name(session: Session, unit_id: int | None) -> str:
    """The unit's name ("" for none)."""
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    return unit.name if unit else ""


def open_movements(session: Session, today: date) -> list[Movement]:
    """The movements open `today`, without their periods (most steps need only the title)."""
    return org.open_movements(session, today, periods=False)


def movement(session: Session, movement_id: int, *, periods: bool = False) -> Movement | None:
    """The movement; with `periods`, its report periods come in the same trip."""
    options = [selectinload(Movement.periods)] if periods else []
    return session.get(Movement, movement_id, options=options)


def person_name(session: Session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.full_name if person else ""
