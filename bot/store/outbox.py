"""Replies and notifications waiting to be delivered, and the chats that refused them.

A reply is a row written in the same transaction as the change that caused it, so a crash
after the commit loses none: the sender finds it here. Rows of one chat go out in id order;
a claim carries a lease, so a sender that dies mid-send leaves its row to the next claim.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.messages import Attachment, Button, Reply, SourceRef
from bot.store.dialects import upsert_insert
from bot.store.models import Base, Json, UTCDateTime

LEASE = timedelta(seconds=60)
EXPIRES_AT = "expires_at"  # Reply.meta: a notification not worth sending after this (ISO time)
OPEN = ("pending", "sending")  # not yet delivered, failed or expired: holds back its chat


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")


class UnreachableChat(Base):
    """A chat that refused our messages (blocked the bot, not a follower); the office sees it."""

    __tablename__ = "unreachable_chats"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(128))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(255), default="")


@dataclass(frozen=True)
class Queued:
    """One message for `enqueue_many`: where it goes and its idempotency key."""

    channel: str
    chat_id: str
    reply: Reply
    key: str


@dataclass(frozen=True)
class Claimed:
    """An outbox row leased to this sender."""

    id: int
    channel: str
    chat_id: str
    payload: Json
    parts_sent: int
    attempts: int  # this attempt included


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
    return _insert(
        session, [Queued(m.channel, m.chat_id, m.reply, f"{m.key}:0") for m in messages], now
    )


def _insert(session: Session, messages: Sequence[Queued], now: datetime) -> int:
    if not messages:
        return 0
    rows = [
        {
            "channel": m.channel,
            "chat_id": m.chat_id,
            "idempotency_key": m.key,
            "payload": reply_to_json(m.reply),
            "status": "pending",
            "attempts": 0,
            "parts_sent": 0,
            "not_before": now,
            "created_at": now,
            "last_error": "",
        }
        for m in messages
    ]
    statement = (
        upsert_insert(session, OutboxMessage)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxMessage.id)
    )
    return len(session.execute(statement, rows).all())


def claim_due(
    session: Session, *, now: datetime, limit: int = 100, lease: timedelta = LEASE
) -> list[Claimed]:
    """Leases the oldest open message of each chat that is due and not leased to a live
    sender. Later messages of a chat wait for the earlier ones, which keeps replies in order;
    on PostgreSQL SKIP LOCKED lets several senders claim disjoint sets."""
    if limit <= 0:
        return []
    firsts = (
        select(func.min(OutboxMessage.id).label("id"))
        .where(OutboxMessage.status.in_(OPEN))
        .group_by(OutboxMessage.channel, OutboxMessage.chat_id)
        .subquery("firsts")
    )
    found = session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.channel,
            OutboxMessage.chat_id,
            OutboxMessage.payload,
            OutboxMessage.parts_sent,
            OutboxMessage.attempts,
        )
        .join(firsts, firsts.c.id == OutboxMessage.id)
        .where(
            OutboxMessage.not_before <= now,
            OutboxMessage.lease_until.is_(None) | (OutboxMessage.lease_until <= now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboxMessage)
    ).all()
    if found:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([row.id for row in found]))
            .values(status="sending", attempts=OutboxMessage.attempts + 1, lease_until=now + lease)
        )
    return [
        Claimed(r.id, r.channel, r.chat_id, r.payload, r.parts_sent, r.attempts + 1) for r in found
    ]


def _finish(session: Session, message_id: int, **values: Any) -> None:
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


def mark_sent(session: Session, message_id: int, *, now: datetime) -> None:
    _finish(session, message_id, status="sent", sent_at=now, lease_until=None, last_error="")


def record_progress(session: Session, message_id: int, *, parts_sent: int) -> None:
    """A long reply goes out in parts; remember how many so a retry does not repeat them."""
    _finish(session, message_id, parts_sent=parts_sent)


def reschedule(
    session: Session, message_id: int, *, not_before: datetime, error: str, parts_sent: int
) -> None:
    _finish(
        session,
        message_id,
        status="pending",
        not_before=not_before,
        lease_until=None,
        last_error=error[:500],
        parts_sent=parts_sent,
    )


def release(session: Session, message_id: int, *, parts_sent: int) -> None:
    """Give a leased row back unsent, to be claimed again at once."""
    _finish(session, message_id, status="pending", lease_until=None, parts_sent=parts_sent)


def mark_failed(session: Session, message_id: int, *, error: str, status: str = "failed") -> None:
    _finish(session, message_id, status=status, lease_until=None, last_error=error[:500])


def mark_unreachable(
    session: Session, *, channel: str, chat_id: str, reason: str, now: datetime
) -> None:
    """Record the chat and fail its queued messages: retrying a blocked chat only costs quota."""
    session.execute(
        upsert_insert(session, UnreachableChat)
        .values(channel=channel, chat_id=chat_id, since=now, reason=reason[:255])
        .on_conflict_do_nothing(index_elements=["channel", "chat_id"])
    )
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.status.in_(OPEN),
        )
        .values(status="blocked", lease_until=None, last_error=reason[:500])
    )


def reply_to_json(reply: Reply) -> Json:
    """A Reply as JSON; attachment bytes are base64 (the outbox holds only small files)."""
    return {
        "text": reply.text,
        "buttons": [
            [{"label": b.label, "payload": b.payload} for b in row] for row in reply.buttons
        ],
        "citations": [dict(vars(c)) for c in reply.citations],
        "attachments": [
            {**vars(a), "data": base64.b64encode(a.data).decode() if a.data else None}
            for a in reply.attachments
        ],
        "found": reply.found,
        "meta": dict(reply.meta),
    }


def reply_from_json(data: Json) -> Reply:
    return Reply(
        text=data["text"],
        buttons=tuple(tuple(Button(**b) for b in row) for row in data.get("buttons", ())),
        citations=tuple(SourceRef(**c) for c in data.get("citations", ())),
        attachments=tuple(
            Attachment(**{**a, "data": base64.b64decode(a["data"]) if a.get("data") else None})
            for a in data.get("attachments", ())
        ),
        found=data.get("found"),
        meta=dict(data.get("meta", {})),
    )
