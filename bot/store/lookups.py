"""Reference rows the forms read many times in one transaction, read once per transaction.

Titles, unit and person names, movements: every prompt and summary of every form asks for them,
and in a group of turns (bot.core.router.handle_group) many chats ask at once. The memo lives in
the session's `info`, keyed by its transaction, so nothing outlives the transaction that read it
and a later one sees the office's changes. The forms never write these rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session, joinedload, lazyload
from sqlalchemy.orm.util import identity_key

from bot.store import org
from bot.store.driver import session_connection
from bot.store.models import Movement, Person, TitleCatalog, Unit


class Title(NamedTuple):
    """A row of the title catalogue as the forms show it."""

    code: str
    name: str
    scope: str


# Read as plain rows: building eleven ORM objects cost more than the query itself.
_TITLES = select(TitleCatalog.code, TitleCatalog.name, TitleCatalog.scope).order_by(
    TitleCatalog.sort_order
)


def _memo(session: Session) -> dict[Any, Any]:
    """Reference rows read in the session's current transaction (forgotten with it)."""
    transaction = session.get_transaction()
    if transaction is None:  # none begun yet: the read below begins one; remember from then
        return {}
    kept = session.info.get("lookups_memo")
    if kept is None or kept[0] is not transaction:
        kept = (transaction, {})
        session.info["lookups_memo"] = kept
    memo: dict[Any, Any] = kept[1]
    return memo


def _catalog(session: Session) -> list[Title]:
    """The title catalogue, read once per transaction (prompts and summaries ask for it often)."""
    memo = _memo(session)
    if "titles" not in memo:
        # On the connection: the forms never write titles, so there is nothing to autoflush.
        memo["titles"] = [Title(*row) for row in session_connection(session).execute(_TITLES)]
    return list(memo["titles"])


def titles(session: Session, scope: str) -> list[Title]:
    return [t for t in _catalog(session) if t.scope == scope]


def title_names(session: Session) -> dict[str, str]:
    return {t.code: t.name for t in _catalog(session)}


_MOVEMENT = (
    select(Movement)
    .where(Movement.id == bindparam("movement_id"))
    .options(lazyload(Movement.periods))
)
_MOVEMENT_WITH_PERIODS = (
    select(Movement)
    .where(Movement.id == bindparam("movement_id"))
    .options(joinedload(Movement.periods))
)


_UNIT_NAME = select(Unit.name).where(Unit.id == bindparam("unit_id"))


def unit_name(session: Session, unit_id: int | None) -> str:
    """The unit's name ("" for none); read once per transaction per unit."""
    if unit_id is None:
        return ""
    memo = _memo(session)
    key = ("unit_name", unit_id)
    if key not in memo:
        found = session_connection(session).execute(_UNIT_NAME, {"unit_id": unit_id}).scalar()
        memo[key] = found or ""  # on the connection: the forms never write units
    name: str = memo[key]
    return name


def open_movements(session: Session, today: date) -> list[Movement]:
    """`org.open_movements` without their periods, read once per transaction: when a movement
    opens, every unit starts registering at once, and a group's turns all ask. The objects
    are those `movement` keeps, so one movement is one object in the session."""
    memo = _memo(session)
    key = ("open_movements", today)
    ids: list[int] | None = memo.get(key)
    if ids is None:
        found = org.open_movements(session, today, periods=False)
        for read in found:
            memo[("movement", read.id)] = read
        memo[key] = [read.id for read in found]
        return found
    return [m for m in (movement(session, movement_id) for movement_id in ids) if m is not None]


def movement(session: Session, movement_id: int, *, periods: bool = False) -> Movement | None:
    """The movement; its periods are read only if used (most steps need a date or the title).

    `periods=True`: they will be used, so they come in the same query (joined). A prebuilt
    SELECT: `session.get` with loader options builds and keys a new statement on every call.
    """
    if identity_key(Movement, movement_id) in session.identity_map:
        return session.get(Movement, movement_id)  # already in the session: no SQL
    memo = _memo(session)
    read: Movement | None = memo.get(("movement", movement_id))
    if read is not None and not (periods and "periods" in inspect(read).unloaded):
        # Read by an earlier turn of this transaction, which the router has since let go
        # (each turn of a group starts from the rows): the forms never write movements.
        session.add(read)
        return read
    query = _MOVEMENT_WITH_PERIODS if periods else _MOVEMENT
    found = session.execute(query, {"movement_id": movement_id}).unique().scalar_one_or_none()
    if found is not None:
        memo[("movement", movement_id)] = found
    return found


def person_name(session: Session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.full_name if person else ""
