"""Updates received and not yet handled, and the keys of updates already handled.

A webhook answers 200 (and a polling loop confirms its offset) only once the update's row is
committed, so an update survives a crash between receipt and processing. A turn writes its
update's key (`ProcessedUpdate`) in the same transaction as its change and its replies, so a
redelivered update, or one run again after a crash, does nothing. Claims carry a lease with
its owner (see bot.store.queues): a worker that dies mid-turn leaves its rows to the next
claim once the lease runs out, or at once to a process that restarts alone.

An update that failed is given back with a time for its next try (`release`); while it waits
it holds back its chat's later updates, but only for `hold` after its first failure: then the
chat goes on and the update is tried again between the chat's other updates. An update that
cannot be handled ends as a dead letter (`mark_dead`): closed, with the reason on its row,
and kept by the purge for the office to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Index,
    Integer,
    String,
    UniqueConstraint,
    and_,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store import queues
from bot.store.dialects import insert_for, prebuilt
from bot.store.models import Base, Json, UTCDateTime

LEASE = timedelta(seconds=20)  # renewed while the turn runs (queues.renew)
HOLD = timedelta(seconds=60)  # how long a failing update may hold back its chat
RETENTION = timedelta(hours=48)  # dedupe rows outlive any platform's redelivery window


class InboxUpdate(Base):
    """A platform update received and acknowledged, kept until its turn has run."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "update_key"),
        Index("ix_inbox_open", "processed_at", "chat_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    update_key: Mapped[str] = mapped_column(String(255))
    chat_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[Json] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())  # its first failure
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a dead letter since
    last_error: Mapped[str] = mapped_column(String(500), default="")


class ProcessedUpdate(Base):
    """A platform update already handled; kept at least 48 hours against redelivery."""

    __tablename__ = "processed_updates"
    __table_args__ = (UniqueConstraint("channel", "update_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    update_key: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


@dataclass(frozen=True)
class ClaimedUpdate:
    """An inbox row leased to this worker."""

    id: int
    channel: str
    chat_id: str
    update_key: str
    payload: Json
    attempts: int  # this attempt included
    failing_since: datetime | None  # its first failure, if it failed before


_T: Any = InboxUpdate.__table__
_P: Any = ProcessedUpdate.__table__
_AT = queues.AT  # statements built once, run with parameters (see bot.store.queues)


def _store_statement(dialect: str) -> Any:
    return (
        insert_for(dialect)(_T)
        .values(
            channel=bindparam("channel"),
            update_key=bindparam("update_key"),
            chat_id=bindparam("chat_id"),
            payload=bindparam("payload", type_=_T.c.payload.type),
            received_at=bindparam("received_at", type_=_AT),
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["channel", "update_key"])
        .returning(_T.c.id)
    )


def _processed_statement(dialect: str) -> Any:
    return (
        insert_for(dialect)(_P)
        .values(
            channel=bindparam("channel"),
            update_key=bindparam("update_key"),
            received_at=bindparam("received_at", type_=_AT),
        )
        .on_conflict_do_nothing(index_elements=["channel", "update_key"])
        .returning(_P.c.id)
    )


# Failing for longer than the hold and waiting for its next try: the chat goes on meanwhile.
_ASIDE = and_(
    _T.c.failing_since.is_not(None),
    _T.c.failing_since < bindparam("hold_start", type_=_AT),
    _T.c.lease_until.is_not(None),
    _T.c.lease_until > queues.NOW,
)
_CLAIMABLE = queues.claimable(
    _T,
    [
        _T.c.id,
        _T.c.channel,
        _T.c.chat_id,
        _T.c.update_key,
        _T.c.payload,
        _T.c.attempts,
        _T.c.failing_since,
    ],
    _T.c.processed_at.is_(None),
    aside=_ASIDE,
)
_LEASE = queues.leasing(_T)
_DONE = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"))
    .values(processed_at=bindparam("at", type_=_AT), lease_until=None, lease_owner=None)
)
_DEAD = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"))
    .values(
        processed_at=bindparam("at", type_=_AT),
        dead_at=bindparam("at", type_=_AT),
        lease_until=None,
        lease_owner=None,
        last_error=bindparam("error"),
    )
)
_RELEASE = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"))
    .values(
        lease_until=bindparam("retry_at", type_=_AT),
        lease_owner=None,
        failing_since=func.coalesce(_T.c.failing_since, bindparam("now", type_=_AT)),
        last_error=bindparam("error"),
    )
)


def store(
    session: Session, *, channel: str, update_key: str, chat_id: str, payload: Json, now: datetime
) -> bool:
    """Store an update once; False for a redelivery of one already stored."""
    params = {
        "channel": channel,
        "update_key": update_key,
        "chat_id": chat_id,
        "payload": payload,
        "received_at": now,
    }
    statement = prebuilt(session, "inbox_store", _store_statement)
    return session.execute(statement, params).first() is not None


def claim(
    session: Session,
    *,
    now: datetime,
    limit: int = 100,
    lease: timedelta = LEASE,
    owner: str = "",
    hold: timedelta = HOLD,
) -> list[ClaimedUpdate]:
    """Leases to `owner` the oldest unhandled update of each chat that no live worker holds;
    an update failing for longer than `hold` and waiting for its next try is passed over."""
    found = queues.claim(
        session,
        _CLAIMABLE,
        _LEASE,
        now=now,
        limit=limit,
        lease=lease,
        owner=owner,
        hold_start=now - hold,
    )
    return [
        ClaimedUpdate(
            r.id, r.channel, r.chat_id, r.update_key, r.payload, r.attempts + 1, r.failing_since
        )
        for r in found
    ]


def mark_done(session: Session, inbox_id: int, *, now: datetime) -> None:
    session.execute(_DONE, {"row_id": inbox_id, "at": now})


def mark_dead(session: Session, inbox_id: int, *, now: datetime, reason: str) -> None:
    """Closes an update that cannot be handled: a dead letter, with the reason on its row."""
    session.execute(_DEAD, {"row_id": inbox_id, "at": now, "error": reason[:500]})


def release(
    session: Session, inbox_id: int, *, retry_at: datetime, now: datetime, error: str
) -> None:
    """Give a failed update back for another try at `retry_at`; its first failure and the
    latest error are kept on the row."""
    params = {"row_id": inbox_id, "retry_at": retry_at, "now": now, "error": error[:500]}
    session.execute(_RELEASE, params)


def renew(
    session: Session, *, owner: str, ids: list[int], now: datetime, lease: timedelta = LEASE
) -> int:
    """The heartbeat of `owner`'s claims in hand (bot.store.queues.renew)."""
    return queues.renew(session, _T, owner=owner, ids=ids, now=now, lease=lease)


def reclaim(session: Session, *, now: datetime) -> int:
    """Frees the leases of dead runs, for a process alone on its database at start."""
    return queues.reclaim(session, _T, now=now)


def dead_letters(session: Session, *, limit: int = 100) -> list[InboxUpdate]:
    """The updates that ended as dead letters, newest first."""
    found = select(InboxUpdate).where(InboxUpdate.dead_at.is_not(None))
    return list(session.scalars(found.order_by(InboxUpdate.dead_at.desc()).limit(limit)))


def mark_processed(session: Session, *, channel: str, update_key: str, now: datetime) -> bool:
    """True the first time an update is seen; False for a redelivery (nothing is written)."""
    params = {"channel": channel, "update_key": update_key, "received_at": now}
    statement = prebuilt(session, "processed_update", _processed_statement)
    return session.execute(statement, params).first() is not None


def purge(session: Session, *, before: datetime) -> tuple[int, int]:
    """Forget updates handled before `before`: (processed_updates, inbox rows) deleted.

    Only handled inbox rows go; one still waiting for its turn is kept however old it is,
    and so is a dead letter, for the office to read its reason.
    """
    seen = session.execute(delete(_P).where(_P.c.received_at < before))
    done = session.execute(
        delete(_T).where(
            _T.c.processed_at.is_not(None), _T.c.processed_at < before, _T.c.dead_at.is_(None)
        )
    )
    return int(getattr(seen, "rowcount", 0) or 0), int(getattr(done, "rowcount", 0) or 0)
