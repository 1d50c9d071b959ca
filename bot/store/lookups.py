"""Reference rows the forms read: titles, unit and person names, movements. The forms never
write them; the session's identity map keeps each row read once in a turn's transaction."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, lazyload

from bot.store import org
from bot.store.models import ChannelIdentity, Movement, Person, TitleCatalog, Unit


class Title(NamedTuple):
    """A row of the title catalogue as the forms show it."""

    code: str
    name: str
    scope: str


_TITLES = select(TitleCatalog.code, TitleCatalog.name, TitleCatalog.scope).order_by(
    TitleCatalog.sort_order
)


def _catalog(session: Session) -> list[Title]:
    """Read once per session (a turn's): every prompt of the registration form shows it."""
    titles: list[Title] | None = session.info.get("title_catalog")
    if titles is None:
        titles = session.info["title_catalog"] = [Title(*row) for row in session.execute(_TITLES)]
    return titles


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


# Most steps need a movement's title or dates, not its report periods (eagerly loaded by
# default): those load here only when first used.
_MOVEMENT = (
    select(Movement)
    .where(Movement.id == bindparam("movement_id"))
    .options(lazyload(Movement.periods))
)


def movement(session: Session, movement_id: int) -> Movement | None:
    return session.execute(_MOVEMENT, {"movement_id": movement_id}).scalar_one_or_none()


def person_name(session: Session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.full_name if person else ""


_ACCOUNT_NAME = (
    select(Person.full_name)
    .join(ChannelIdentity, ChannelIdentity.person_id == Person.id)
    .where(
        ChannelIdentity.channel == bindparam("channel"),
        ChannelIdentity.external_id == bindparam("external_id"),
    )
)


def account_name(session: Session, channel: str, external_id: str) -> str:
    """The name of the person a chat account is linked to; "" for an account not linked."""
    name = session.scalar(_ACCOUNT_NAME, {"channel": channel, "external_id": external_id})
    return name or ""
