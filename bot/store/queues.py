"""What the inbox and the outbox share: rows of many chats, served oldest first within each
chat, claimed with a lease. The statements are built once per table and run with parameters
(`now`, `limit`, `ids`, `until`); building one costs more than running it, and SQLAlchemy
caches the compiled form of a reused statement."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from bot.store.models import UTCDateTime

AT = UTCDateTime()
NOW = bindparam("now", type_=AT)


def claimable(table: Any, columns: list[Any], is_open: Any, *due: Any) -> Any:
    """The oldest open row of each chat (later rows of a chat wait for it, keeping order) that
    is `due` and not leased to a live worker; on PostgreSQL locked with SKIP LOCKED, so
    workers claim disjoint sets (SQLite's write lock, taken at BEGIN, serialises claims)."""
    firsts = (
        select(func.min(table.c.id).label("id"))
        .where(is_open)
        .group_by(table.c.channel, table.c.chat_id)
        .subquery("firsts")
    )
    return (
        select(*columns)
        .join(firsts, firsts.c.id == table.c.id)
        .where(*due, table.c.lease_until.is_(None) | (table.c.lease_until <= NOW))
        .order_by(table.c.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True, of=table)
    )


def leasing(table: Any, **values: Any) -> Any:
    """Leases the claimed rows: one more attempt, held until `until`."""
    return (
        update(table)
        .where(table.c.id.in_(bindparam("ids", expanding=True)))
        .values(attempts=table.c.attempts + 1, lease_until=bindparam("until", type_=AT), **values)
    )


def claim(
    session: Session,
    select_rows: Any,
    lease_rows: Any,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
) -> list[Any]:
    """Runs a claim: the rows found, leased in the same transaction."""
    if limit <= 0:
        return []
    found = list(session.execute(select_rows, {"now": now, "limit": limit}).all())
    if found:
        session.execute(lease_rows, {"ids": [row.id for row in found], "until": now + lease})
    return found
