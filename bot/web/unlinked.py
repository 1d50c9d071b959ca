"""Who has not linked a chat yet: people with no ChannelIdentity, counted by unit and listed a
page at a time. Such a person gets no reminder and no hand-off notice, so the office invites them.

`NOT IN (SELECT person_id …)` rather than a correlated NOT EXISTS: both databases build the
linked set once (channel_identities has no index on person_id)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bot.store.models import ChannelIdentity, InviteCode, Person, Unit


@dataclass(frozen=True)
class UnitCount:
    unit_id: int | None  # None: people who belong to no unit
    name: str
    people: int
    unlinked: int


def _unlinked() -> ColumnElement[bool]:
    return Person.id.not_in(select(ChannelIdentity.person_id))


def counts(session: Session) -> list[UnitCount]:
    """Every unit that has people: how many, and how many have no chat; most unlinked first."""
    by_unit = select(Person.unit_id, func.count()).group_by(Person.unit_id)
    people = {unit_id: n for unit_id, n in session.execute(by_unit)}
    unlinked = {unit_id: n for unit_id, n in session.execute(by_unit.where(_unlinked()))}
    names = {unit_id: name for unit_id, name in session.execute(select(Unit.id, Unit.name))}
    found = [
        UnitCount(
            unit_id, names.get(unit_id, "") if unit_id else "", total, unlinked.get(unit_id, 0)
        )
        for unit_id, total in people.items()
    ]
    return sorted(found, key=lambda c: (-c.unlinked, c.unit_id is None, c.name))


def page(
    session: Session, unit_id: int | None, *, offset: int, limit: int
) -> list[tuple[Person, str]]:
    """The unlinked people of one unit (None: of every unit), with their unit's name, by name."""
    query = (
        select(Person, Unit.name)
        .outerjoin(Unit, Unit.id == Person.unit_id)
        .where(_unlinked())
        .order_by(Unit.name, Person.full_name, Person.id)
        .offset(offset)
        .limit(limit)
    )
    if unit_id is not None:
        query = query.where(Person.unit_id == unit_id)
    return [(person, name or "") for person, name in session.execute(query)]


def open_invites(
    session: Session, person_ids: Collection[int], now: datetime
) -> dict[int, datetime]:
    """When the newest unused code of each person expires, for those holding one still valid:
    the office sees who was invited already (the code itself was shown once, when issued)."""
    if not person_ids:
        return {}
    query = (
        select(InviteCode.person_id, func.max(InviteCode.expires_at))
        .where(
            InviteCode.person_id.in_(sorted(person_ids)),
            InviteCode.used_at.is_(None),
            InviteCode.expires_at > now,
        )
        .group_by(InviteCode.person_id)
    )
    return {person_id: at for person_id, at in session.execute(query)}
