"""Replies and notifications waiting to be delivered (the chats that refused them:
bot.store.unreachable; a reply as the row's JSON: bot.store.reply_json).

A reply is a row written in the same transaction as the change that caused it, so a crash
after the commit loses none: the sender finds it here. Rows of one chat go out in id order;
a claim carries a lease with its owner, renewed while the send runs (bot.store.queues), so a
sender that dies mid-send leaves its row to the next claim.

A row the platform would not take ends `failed`, with its last error and the time of its
first failure: the office lists those rows (`failed_rows`) and queues them again (`retry`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Index,
    Integer,
    String,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.messages import Reply
from bot.store import queues
from bot.store.dialects import insert_for, prebuilt
from bot.store.models import Base, Json, UTCDateTime
from bot.store.reply_json import reply_to_json

LEASE = timedelta(seconds=20)  # renewed while the send runs (queues.renew)
EXPIRES_AT = "expires_at"  # Reply.meta: a notification not worth sending after this (ISO time)
PENDING = "pending"
UNCERTAIN = "uncertain"  # a send got no answer and may have arrived: not again before `not_before`
FAILED = "failed"  # given up (bad request, unknown channel, retries spent): the office's list
OPEN = (PENDING, "sending", UNCERTAIN)  # not yet delivered, failed or expired: holds its chat


class OutboxMessage(Base):
    """One reply or notification to deliver; sent in id order within its chat."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "not_before"),
        Index("ix_outbox_chat", "chat_id", "channel", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    payload: Mapped[Json] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")
    first_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # retries count from it


@dataclass(frozen=True)
class Queued:
    """One message for `enqueue_many`: where it goes and its idempotency key."""

    channel: str
    chat_id: str
    reply: Reply
    key: str
    not_before: datetime | None = None  # held back until then (quiet hours); None: at once


@dataclass(frozen=True)
class Claimed:
    """An outbox row leased to this sender."""

    id: int
    channel: str
    chat_id: str
    payload: Json
    parts_sent: int
    attempts: int  # this attempt included
    first_failed_at: datetime | None = None  # None: never failed yet
    was_uncertain: bool = False  # the attempt before got no answer (it may have arrived)


@dataclass(frozen=True)
class FailedRow:
    """A message the office may want to send again: what `thidua outbox failed` shows."""

    id: int
    channel: str
    chat_id: str
    first_failed_at: datetime | None
    attempts: int
    last_error: str
    text: str


_T: Any = OutboxMessage.__table__
_AT = queues.AT  # statements built once, run with parameters (see bot.store.queues)


def _enqueue_statement(dialect: str) -> Any:
    return (
        insert_for(dialect)(_T)
        .values(
            channel=bindparam("channel"),
            chat_id=bindparam("chat_id"),
            idempotency_key=bindparam("idempotency_key"),
            payload=bindparam("payload", type_=_T.c.payload.type),
            status="pending",
            attempts=0,
            parts_sent=0,
            not_before=bindparam("not_before", type_=_AT),
            created_at=bindparam("created_at", type_=_AT),
            last_error="",
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(_T.c.id)
    )


_DUE = queues.claimable(
    _T,
    [
        _T.c.id,
        _T.c.channel,
        _T.c.chat_id,
        _T.c.payload,
        _T.c.parts_sent,
        _T.c.attempts,
        _T.c.first_failed_at,
        _T.c.status,
    ],
    _T.c.status.in_(OPEN),
    _T.c.not_before <= queues.NOW,
)
_LEASE = queues.leasing(_T, status="sending")
_SENT = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"))
    .values(status="sent", sent_at=bindparam("at", type_=_AT), lease_until=None, last_error="")
)
_PROGRESS = update(_T).where(_T.c.id == bindparam("row_id")).values(parts_sent=bindparam("parts"))
_RESCHEDULE = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"))
    .values(
        status="pending",
        not_before=bindparam("not_before", type_=_AT),
        lease_until=None,
        last_error=bindparam("error"),
        parts_sent=bindparam("parts"),
    )
)
_FIRST_FAILURE = func.coalesce(_T.c.first_failed_at, bindparam("at", type_=_AT))
_BACK_OFF = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"))
    .values(
        status=bindparam("status"),
        not_before=bindparam("not_before", type_=_AT),
        lease_until=None,
        last_error=bindparam("error"),
        parts_sent=bindparam("parts"),
        first_failed_at=_FIRST_FAILURE,
    )
)
_RELEASE = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"))
    .values(status="pending", lease_until=None, parts_sent=bindparam("parts"))
)
_FAIL = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"))
    .values(
        status=bindparam("status"),
        lease_until=None,
        last_error=bindparam("error"),
        parts_sent=func.coalesce(bindparam("parts", type_=Integer()), _T.c.parts_sent),
        first_failed_at=_FIRST_FAILURE,
    )
)


def enqueue(
    session: Session,
    *,
    channel: str,
    chat_id: str,
    replies: Sequence[Reply],
    key: str,
    now: datetime,
) -> int:
    """Queue replies under `key:n`, in order; queuing the same key twice queues nothing more.
    Returns how many rows were new."""
    messages = [Queued(channel, chat_id, reply, f"{key}:{n}") for n, reply in enumerate(replies)]
    return _insert(session, messages, now)


def enqueue_many(session: Session, messages: Sequence[Queued], *, now: datetime) -> int:
    """Queue single-message notifications (reminders), each under `key:0` like `enqueue`."""
    keyed = [Queued(m.channel, m.chat_id, m.reply, f"{m.key}:0", m.not_before) for m in messages]
    return _insert(session, keyed, now)


def _insert(session: Session, messages: Sequence[Queued], now: datetime) -> int:
    """One INSERT per message (usually one or two per turn), each telling whether it was new."""
    statement = prebuilt(session, "outbox_enqueue", _enqueue_statement)
    queued = 0
    for m in messages:
        params = {
            "channel": m.channel,
            "chat_id": m.chat_id,
            "idempotency_key": m.key,
            "payload": reply_to_json(m.reply),
            "not_before": m.not_before or now,
            "created_at": now,
        }
        queued += session.execute(statement, params).first() is not None
    return queued


def claim_due(
    session: Session,
    *,
    now: datetime,
    limit: int = 100,
    lease: timedelta = LEASE,
    owner: str = "",
) -> list[Claimed]:
    """Leases to `owner` the oldest open message of each chat that is due and not leased to a
    live sender. Later messages of a chat wait for the earlier ones, which keeps replies in
    order; on PostgreSQL SKIP LOCKED lets several senders claim disjoint sets."""
    found = queues.claim(session, _DUE, _LEASE, now=now, limit=limit, lease=lease, owner=owner)
    return [
        Claimed(
            r.id,
            r.channel,
            r.chat_id,
            r.payload,
            r.parts_sent,
            r.attempts + 1,
            r.first_failed_at,
            r.status == UNCERTAIN,
        )
        for r in found
    ]


def renew(
    session: Session, *, owner: str, ids: list[int], now: datetime, lease: timedelta = LEASE
) -> int:
    """The heartbeat of `owner`'s sends in hand (bot.store.queues.renew)."""
    return queues.renew(session, _T, owner=owner, ids=ids, now=now, lease=lease)


def reclaim(session: Session, *, now: datetime) -> int:
    """Frees the leases of dead runs, for a process alone on its database at start."""
    return queues.reclaim(session, _T, now=now)


def mark_sent(session: Session, message_id: int, *, now: datetime) -> None:
    session.execute(_SENT, {"row_id": message_id, "at": now})


def reschedule(
    session: Session, message_id: int, *, not_before: datetime, error: str, parts_sent: int
) -> None:
    params = {
        "row_id": message_id,
        "not_before": not_before,
        "error": error[:500],
        "parts": parts_sent,
    }
    session.execute(_RESCHEDULE, params)


def back_off(
    session: Session,
    message_id: int,
    *,
    not_before: datetime,
    error: str,
    parts_sent: int,
    now: datetime,
    uncertain: bool = False,
) -> None:
    """A failed attempt, tried again at `not_before`; the first failure's time is kept.
    `uncertain`: the send may have arrived (the row shows it until it is tried again)."""
    params = {
        "row_id": message_id,
        "status": UNCERTAIN if uncertain else PENDING,
        "not_before": not_before,
        "error": error[:500],
        "parts": parts_sent,
        "at": now,
    }
    session.execute(_BACK_OFF, params)


def release(session: Session, message_id: int, *, parts_sent: int) -> None:
    """Give a leased row back unsent, to be claimed again at once."""
    session.execute(_RELEASE, {"row_id": message_id, "parts": parts_sent})


def mark_failed(
    session: Session,
    message_id: int,
    *,
    error: str,
    status: str = FAILED,
    now: datetime | None = None,
    parts_sent: int | None = None,
) -> None:
    """Stop trying the row. `now` stamps a first failure not yet recorded; `parts_sent`, the
    parts delivered by the last attempt, which a later retry skips."""
    params = {
        "row_id": message_id,
        "status": status,
        "error": error[:500],
        "parts": parts_sent,
        "at": now,
    }
    session.execute(_FAIL, params)


def failed_rows(session: Session, *, limit: int = 200) -> list[FailedRow]:
    """Messages given up on, oldest first, for the office to read and send again."""
    rows = session.execute(
        select(_T).where(_T.c.status == FAILED).order_by(_T.c.id).limit(limit)
    ).all()
    return [
        FailedRow(
            r.id,
            r.channel,
            r.chat_id,
            r.first_failed_at,
            r.attempts,
            r.last_error,
            str((r.payload or {}).get("text", "")),
        )
        for r in rows
    ]


def retry(session: Session, ids: Sequence[int] | None) -> list[int]:
    """Queues failed messages again (`ids`, or every one for None) as new: attempts and the
    first failure start over, the parts already delivered stay skipped. Their time to go is
    still the one they last had, so they are due at once and keep their place in their chat.
    Returns their ids; an id that is not a failed message is left alone."""
    statement = (
        update(_T)
        .where(_T.c.status == FAILED)
        .values(status=PENDING, lease_until=None, attempts=0, first_failed_at=None)
        .returning(_T.c.id)
    )
    if ids is not None:
        statement = statement.where(_T.c.id.in_(ids))
    return sorted(session.execute(statement).scalars())
