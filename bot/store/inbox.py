"""Updates received and not yet handled, and the keys of updates already handled.

A webhook answers 200 (and a polling loop confirms its offset) only once the update's row is
committed, so an update survives a crash between receipt and processing. A turn writes its
update's key (`ProcessedUpdate`) in the same transaction as its change and its replies, so a
redelivered update, or one run again after a crash, does nothing. Claims carry a lease: a
worker that dies mid-turn leaves its rows to the next claim once the lease runs out.
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
    bindparam,
    delete,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store import queues
from bot.store.dialects import insert_for, prebuilt
from bot.store.models import Base, Json, UTCDateTime

LEASE = timedelta(seconds=60)
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
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)


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
    payload: Json
    attempts: int  # this attempt included


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


_CLAIMABLE = queues.claimable(
    _T, [_T.c.id, _T.c.channel, _T.c.payload, _T.c.attempts], _T.c.processed_at.is_(None)
)
_LEASE = queues.leasing(_T)
_DONE = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"))
    .values(processed_at=bindparam("at", type_=_AT), lease_until=None)
)
_RELEASE = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"))
    .values(lease_until=bindparam("retry_at", type_=_AT))
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
    session: Session, *, now: datetime, limit: int = 100, lease: timedelta = LEASE
) -> list[ClaimedUpdate]:
    """Leases the oldest unhandled update of each chat that no live worker holds."""
    found = queues.claim(session, _CLAIMABLE, _LEASE, now=now, limit=limit, lease=lease)
    return [ClaimedUpdate(r.id, r.channel, r.payload, r.attempts + 1) for r in found]


def mark_done(session: Session, inbox_id: int, *, now: datetime) -> None:
    session.execute(_DONE, {"row_id": inbox_id, "at": now})


def release(session: Session, inbox_id: int, *, retry_at: datetime) -> None:
    """Give a failed update back for another try at `retry_at`."""
    session.execute(_RELEASE, {"row_id": inbox_id, "retry_at": retry_at})


def mark_processed(session: Session, *, channel: str, update_key: str, now: datetime) -> bool:
    """True the first time an update is seen; False for a redelivery (nothing is written)."""
    params = {"channel": channel, "update_key": update_key, "received_at": now}
    statement = prebuilt(session, "processed_update", _processed_statement)
    return session.execute(statement, params).first() is not None


def purge(session: Session, *, before: datetime) -> tuple[int, int]:
    """Forget updates handled before `before`: (processed_updates, inbox rows) deleted.

    Only handled inbox rows go; one still waiting for its turn is kept however old it is.
    """
    seen = session.execute(delete(_P).where(_P.c.received_at < before))
    done = session.execute(
        delete(_T).where(_T.c.processed_at.is_not(None), _T.c.processed_at < before)
    )
    return int(getattr(seen, "rowcount", 0) or 0), int(getattr(done, "rowcount", 0) or 0)
