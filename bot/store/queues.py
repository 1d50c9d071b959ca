"""What the inbox and the outbox share: rows of many chats, served oldest first within each
chat, claimed with a lease. The statements are built once per table and run with parameters
(`now`, `limit`, `ids`, `until`, `owner`); building one costs more than running it, and
SQLAlchemy caches the compiled form of a reused statement.

A lease names its owner (one per running loop, `new_owner`). The owner renews the leases of
the rows it is working on (`renew`, the heartbeat), so a lease can be short: a live worker's
rows are never taken from it, and a dead worker's come free within one lease. A process that
knows it is alone on its database releases every lease left by a previous run at start
(`reclaim`), which no live worker can hold.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, select, update
from sqlalchemy.orm import Session

from bot.store.models import UTCDateTime

AT = UTCDateTime()
NOW = bindparam("now", type_=AT)


def new_owner() -> str:
    """A name for the leases of one loop of one process: host, pid and a random tail (a pid
    is reused after a restart)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def claimable(table: Any, columns: list[Any], is_open: Any, *due: Any, aside: Any = None) -> Any:
    """The oldest open row of each chat (later rows of a chat wait for it, keeping order) that
    is `due` and not leased to a live worker; on PostgreSQL locked with SKIP LOCKED, so
    workers claim disjoint sets (SQLite's write lock, taken at BEGIN, serialises claims).

    `aside`: open rows that do not hold back their chat's later rows for now. With it, a chat
    with a row in flight is skipped whole: its row set aside and its next row must not run
    side by side. Both are found in the one pass over the open rows that finds the firsts."""
    free = table.c.lease_until.is_(None) | (table.c.lease_until <= NOW)
    if aside is None:
        found = [func.min(table.c.id).label("id")]
    else:
        in_flight = and_(table.c.lease_owner.is_not(None), table.c.lease_until > NOW)
        found = [
            func.min(case((aside, None), else_=table.c.id)).label("id"),
            func.max(case((in_flight, 1), else_=0)).label("busy"),
        ]
    firsts = select(*found).where(is_open).group_by(table.c.channel, table.c.chat_id)
    chosen = firsts.subquery("firsts")
    if aside is not None:
        free = and_(free, chosen.c.busy == 0)
    # `is_open` again on the row itself: on PostgreSQL a row another worker committed after
    # this statement's snapshot is checked again, when locked, against the row's own
    # conditions only (the chat's first row still comes from the snapshot). Without it, a row
    # handled meanwhile (sent, its lease cleared) would be claimed, and sent, a second time.
    return (
        select(*columns)
        .join(chosen, chosen.c.id == table.c.id)
        .where(is_open, *due, free)
        .order_by(table.c.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True, of=table)
    )


def leasing(table: Any, **values: Any) -> Any:
    """Leases the claimed rows to `owner`: one more attempt, held until `until`."""
    return (
        update(table)
        .where(table.c.id.in_(bindparam("ids", expanding=True)))
        .values(
            attempts=table.c.attempts + 1,
            lease_until=bindparam("until", type_=AT),
            lease_owner=bindparam("owner"),
            **values,
        )
    )


def claim(
    session: Session,
    select_rows: Any,
    lease_rows: Any,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    owner: str,
    **params: Any,
) -> list[Any]:
    """Runs a claim: the rows found, leased to `owner` in the same transaction."""
    if limit <= 0:
        return []
    found = list(session.execute(select_rows, {"now": now, "limit": limit, **params}).all())
    if found:
        until = now + lease
        session.execute(
            lease_rows, {"ids": [row.id for row in found], "until": until, "owner": owner}
        )
    return found


def renew(
    session: Session, table: Any, *, owner: str, ids: list[int], now: datetime, lease: timedelta
) -> int:
    """The heartbeat: `owner`'s leases on the rows `ids` (those in hand) run for another
    `lease` from `now`; a row given up without being released is not kept alive. How many."""
    if not ids:
        return 0
    result = session.execute(
        update(table)
        .where(
            table.c.id.in_(ids),
            table.c.lease_owner == owner,
            table.c.lease_until.is_not(None),
        )
        .values(lease_until=now + lease)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def reclaim(session: Session, table: Any, *, now: datetime) -> int:
    """Releases every lease still running at `now`: for a process alone on its database at
    start, whose only possible owners are earlier runs that died. How many."""
    result = session.execute(
        update(table)
        .where(table.c.lease_owner.is_not(None), table.c.lease_until > now)
        .values(lease_until=None, lease_owner=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
