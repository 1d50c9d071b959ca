"""Who is who: invites and chat identities, roles, clusters, open movements, titles, audit.

Every function takes a Session and never commits: the caller owns the transaction, so a flow step
and the rows it writes succeed or fail together. Moments are aware; the models store them in UTC.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session, lazyload

from bot.store.models import (
    AuditLog,
    ChannelIdentity,
    Cluster,
    ClusterMember,
    InviteCode,
    Movement,
    Person,
    TitleCatalog,
)
from bot.store.roles import Role
from bot.store.titles import TITLES

# No 0/O, 1/I/L: a code is read aloud over the phone and typed on a small keyboard.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 8


class InviteError(Exception):
    """Why a code did not link: `reason` is "not_found", "expired" or "used" (the chat says it
    in the person's language, bot.i18n)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def aware(value: datetime) -> datetime:
    """A stored moment as an aware datetime (model columns already are; raw SQL may not be)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(UTC)


def normalize_code(code: str) -> str:
    """What a person typed (`abcd efgh`, ` ABCD-EFGH `) -> the stored form (`ABCDEFGH`)."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def create_invite(
    session: Session, person_id: int, now: datetime, ttl: timedelta = timedelta(days=7)
) -> InviteCode:
    """A fresh one-time code for the person, valid for `ttl` from `now`."""
    while True:
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
        if session.scalar(select(InviteCode.id).where(InviteCode.code == code)) is None:
            break
    invite = InviteCode(code=code, person_id=person_id, expires_at=_utc(now + ttl))
    session.add(invite)
    session.flush()
    return invite


def invite_person(session: Session, code: str, now: datetime) -> Person:
    """The person an invite code would link to, without spending it; InviteError as
    `link_identity` raises it for a code that would not link."""
    invite = session.scalar(select(InviteCode).where(InviteCode.code == normalize_code(code)))
    if invite is None:
        raise InviteError("not_found")
    if invite.used_at is not None:
        raise InviteError("used")
    if aware(invite.expires_at) <= now:
        raise InviteError("expired")
    person = session.get(Person, invite.person_id)
    assert person is not None  # the foreign key guarantees it
    return person


def bind_identity(
    session: Session, *, channel: str, external_id: str, person_id: int, now: datetime
) -> None:
    """Binds a chat account to a person without an invite: for the local console only, whose
    user is the machine's administrator (`thidua chat --as`). Audited like a link."""
    identity = session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
        )
    )
    before = None if identity is None else {"person_id": identity.person_id}
    if identity is None:
        identity = ChannelIdentity(channel=channel, external_id=external_id, linked_at=_utc(now))
        session.add(identity)
    identity.person_id = person_id
    session.flush()
    audit(
        session,
        person_id=None,
        action="identity.bind_local",
        entity="channel_identity",
        entity_id=identity.id,
        before=before,
        after={"channel": channel, "external_id": external_id, "person_id": person_id},
        now=now,
    )


def link_identity(
    session: Session, *, channel: str, external_id: str, code: str, now: datetime
) -> Person:
    """Spend the invite code and bind this chat account to its person.

    The code is claimed with a conditional UPDATE, so two accounts racing with one code cannot
    both win. An account already linked to someone else is moved to the invite's person.
    """
    invite = session.scalar(select(InviteCode).where(InviteCode.code == normalize_code(code)))
    if invite is None:
        raise InviteError("not_found")
    if invite.used_at is not None:
        raise InviteError("used")
    if aware(invite.expires_at) <= now:
        raise InviteError("expired")
    claimed = session.execute(
        update(InviteCode)
        .where(InviteCode.id == invite.id, InviteCode.used_at.is_(None))
        .values(used_at=_utc(now))
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise InviteError("used")
    session.refresh(invite)
    identity = session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
        )
    )
    before = None if identity is None else {"person_id": identity.person_id}
    if identity is None:
        identity = ChannelIdentity(channel=channel, external_id=external_id)
        session.add(identity)
    identity.person_id = invite.person_id
    identity.linked_at = _utc(now)
    identity.last_interaction_at = _utc(now)
    session.flush()
    audit(
        session,
        person_id=invite.person_id,
        action="identity.link",
        entity="channel_identity",
        entity_id=identity.id,
        before=before,
        after={"channel": channel, "external_id": external_id, "person_id": invite.person_id},
        now=now,
    )
    person = session.get(Person, invite.person_id)
    assert person is not None  # the foreign key guarantees it
    return person


_ROLES_BY_NAME = {role.value: role for role in Role}  # a lookup, not Role(name), per message


def roles_of(person: Person) -> set[Role]:
    """The person's stored roles; a value this version does not know is ignored, not fatal."""
    return known_roles(row.role for row in person.roles)


def known_roles(names: Iterable[str]) -> set[Role]:
    """Stored role names as Roles; a value this version does not know is ignored, not fatal."""
    return {_ROLES_BY_NAME[name] for name in names if name in _ROLES_BY_NAME}


def clusters_of_unit(session: Session, unit_id: int, year: int) -> list[Cluster]:
    """The cụm/khối the unit belongs to that year, as member, lead or deputy."""
    member_of = select(ClusterMember.cluster_id).where(ClusterMember.unit_id == unit_id)
    return list(
        session.scalars(
            select(Cluster)
            .where(
                Cluster.year == year,
                or_(
                    Cluster.id.in_(member_of),
                    Cluster.lead_unit_id == unit_id,
                    Cluster.deputy_unit_id == unit_id,
                ),
            )
            .order_by(Cluster.kind, Cluster.code)
        )
    )


def cluster_led_from(
    session: Session, unit_id: int | None, roles: Collection[Role], year: int
) -> Cluster | None:
    """`cluster_led_by` for whoever holds `roles` in `unit_id`, without their Person row."""
    if unit_id is None or Role.CLUSTER_LEAD not in roles:
        return None
    return session.scalar(
        select(Cluster)
        .where(Cluster.lead_unit_id == unit_id, Cluster.year == year)
        .order_by(Cluster.kind, Cluster.code)
        .limit(1)
    )


_OPEN_MOVEMENTS = (
    select(Movement)
    .where(Movement.start_date <= bindparam("today"), Movement.end_date >= bindparam("today"))
    .order_by(Movement.start_date, Movement.id)
)
_OPEN_MOVEMENTS_ONLY = _OPEN_MOVEMENTS.options(lazyload(Movement.periods))


def open_movements(session: Session, today: date, *, periods: bool = True) -> list[Movement]:
    """Movements running today, earliest first (`periods=False`: their periods read if used)."""
    query = _OPEN_MOVEMENTS if periods else _OPEN_MOVEMENTS_ONLY
    return list(session.scalars(query, {"today": today}))


def seed_titles(session: Session) -> int:
    """Add the titles of the law that are missing; returns how many were added."""
    existing = set(session.scalars(select(TitleCatalog.code)))
    added = 0
    for order, title in enumerate(TITLES, start=1):
        if title.code in existing:
            continue
        session.add(
            TitleCatalog(
                code=title.code,
                name=title.name,
                scope=title.scope,
                legal_basis=title.legal_basis,
                sort_order=order,
            )
        )
        added += 1
    session.flush()
    return added


_AUDIT = insert(cast(Table, AuditLog.__table__))


def audit(
    session: Session,
    *,
    person_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    """Append one row to the audit log; dates and decimals are stored as text, as JSON needs.

    Written at once with a Core INSERT (nothing reads audit rows back through the ORM in the
    same transaction); pending ORM changes are flushed first, so rows keep the order of calls.
    """
    row = {
        "at": _utc(now),
        "person_id": person_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": None if before is None else _jsonable(before),
        "after": None if after is None else _jsonable(after),
    }
    session.flush()
    session.execute(_AUDIT, row)  # flushed just above: no ORM execution needed


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((_jsonable(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return _utc(value).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value
