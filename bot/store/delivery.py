"""Rows that make delivery exactly-once-ish at any scale: seen updates and the outbox.

An update's key is inserted in the same transaction as the change it causes and the replies it
produces, so a redelivered update is acknowledged and does nothing, and a crash after the
commit loses no reply: the sender finds it in the outbox. Claims carry a lease, so a worker
that dies mid-send hands its rows to the next one when the lease runs out.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Index,
    Integer,
    String,
    UniqueConstraint,
    and_,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from bot.messages import Attachment, Button, Citation, Reply
from bot.store.models import Base, ChannelIdentity, Json, UTCDateTime

LEASE = timedelta(seconds=60)
RETENTION = timedelta(hours=48)  # dedupe rows outlive any platform's redelivery window


class OutboxMessage(Base):
    """One reply or notification to deliver; sent in id order within its chat."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

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


class ProcessedUpdate(Base):
    """A platform update already handled; kept at least 48 hours against redelivery."""

    __tablename__ = "processed_updates"
    __table_args__ = (UniqueConstraint("channel", "update_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    update_key: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class UnreachableChat(Base):
    """A chat that refused our messages (blocked the bot, not a follower); the office sees it."""

    __tablename__ = "unreachable_chats"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(128))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(255), default="")


class InboxUpdate(Base):
    """A platform update received and acknowledged, kept until its turn has run.

    Webhooks answer 200 as soon as this row is committed, and a polling loop confirms its
    offset only then, so an update survives a crash between receipt and processing.
    """

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


class PlatformToken(Base):
    """A platform's current access and refresh token (Zalo OA refresh tokens are single-use)."""

    __tablename__ = "platform_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    access_token: Mapped[str] = mapped_column(String(2048))
    refresh_token: Mapped[str] = mapped_column(String(2048))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)


def mark_processed(session: Session, *, channel: str, update_key: str, now: datetime) -> bool:
    """True the first time an update is seen; False for a redelivery (nothing is written)."""
    statement = (
        _insert(session, ProcessedUpdate)
        .values(channel=channel, update_key=update_key, received_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "update_key"])
        .returning(ProcessedUpdate.id)
    )
    return session.execute(statement).first() is not None


def purge_processed(session: Session, *, older_than: datetime) -> int:
    rows = session.query(ProcessedUpdate).filter(ProcessedUpdate.received_at < older_than)
    return rows.delete(synchronize_session=False)


def enqueue(
    session: Session,
    *,
    channel: str,
    chat_id: str,
    replies: Sequence[Reply],
    key: str,
    now: datetime,
) -> int:
    """Queue replies under `key:n`; queuing the same key twice queues nothing more."""
    if not replies:
        return 0
    values = [
        {
            "channel": channel,
            "chat_id": chat_id,
            "idempotency_key": f"{key}:{n}",
            "payload": reply_to_json(reply),
            "status": "pending",
            "attempts": 0,
            "parts_sent": 0,
            "not_before": now,
            "created_at": now,
            "last_error": "",
        }
        for n, reply in enumerate(replies)
    ]
    statement = (
        _insert(session, OutboxMessage)
        .values(values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxMessage.id)
    )
    return len(session.execute(statement).all())


@dataclass(frozen=True)
class Queued:
    """One message for `enqueue_many`: where it goes and its idempotency key."""

    channel: str
    chat_id: str
    reply: Reply
    key: str


_ENQUEUE: dict[str, Any] = {}


def enqueue_many(session: Session, messages: Sequence[Queued], *, now: datetime) -> None:
    """Queue many single-message notifications (reminders) in one round trip, each under
    `key:0` like `enqueue`; a key already queued is skipped."""
    if not messages:
        return
    dialect = session.get_bind().dialect.name
    statement = _ENQUEUE.get(dialect)
    if statement is None:
        statement = _insert(session, OutboxMessage).on_conflict_do_nothing(
            index_elements=["idempotency_key"]
        )
        _ENQUEUE[dialect] = statement
    params = [
        {
            "channel": m.channel,
            "chat_id": m.chat_id,
            "idempotency_key": f"{m.key}:0",
            "payload": reply_to_json(m.reply),
            "status": "pending",
            "attempts": 0,
            "parts_sent": 0,
            "not_before": now,
            "lease_until": None,
            "created_at": now,
            "sent_at": None,
            "last_error": "",
        }
        for m in messages
    ]
    session.connection().execute(statement, params)


def claim_due(
    session: Session, *, now: datetime, limit: int = 100, lease: timedelta = LEASE
) -> list[OutboxMessage]:
    """The oldest unsent message of each chat that is due and not leased to a live worker.

    Later messages of a chat wait for the earlier ones, which keeps replies in order. On
    PostgreSQL the rows are locked with SKIP LOCKED so several workers claim disjoint sets.
    """
    earlier = aliased(OutboxMessage)
    open_states = ("pending", "sending")
    first_of_chat = (
        select(func.min(earlier.id))
        .where(
            earlier.channel == OutboxMessage.channel,
            earlier.chat_id == OutboxMessage.chat_id,
            earlier.status.in_(open_states),
        )
        .scalar_subquery()
    )
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status.in_(open_states),
            OutboxMessage.id == first_of_chat,
            OutboxMessage.not_before <= now,
            (OutboxMessage.lease_until.is_(None)) | (OutboxMessage.lease_until <= now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboxMessage)
    rows = list(session.scalars(query))
    for row in rows:
        row.status = "sending"
        row.attempts += 1
        row.lease_until = now + lease
    return rows


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


def mark_failed(session: Session, message_id: int, *, error: str, status: str = "failed") -> None:
    _finish(session, message_id, status=status, lease_until=None, last_error=error[:500])


def mark_unreachable(
    session: Session, *, channel: str, chat_id: str, reason: str, now: datetime
) -> None:
    """Record the chat and fail its queued messages: retrying a blocked chat only costs quota."""
    statement = (
        _insert(session, UnreachableChat)
        .values(channel=channel, chat_id=chat_id, since=now, reason=reason)
        .on_conflict_do_nothing(index_elements=["channel", "chat_id"])
    )
    session.execute(statement)
    session.execute(
        update(OutboxMessage)
        .where(
            and_(
                OutboxMessage.channel == channel,
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.status.in_(("pending", "sending")),
            )
        )
        .values(status="blocked", lease_until=None, last_error=reason[:500])
    )


def reply_to_json(reply: Reply) -> Json:
    """A Reply as JSON; attachment bytes are base64 (the outbox holds only small files)."""
    data = asdict(reply)
    data["attachments"] = [
        {**asdict(a), "data": base64.b64encode(a.data).decode() if a.data else None}
        for a in reply.attachments
    ]
    return data


def reply_from_json(data: Json) -> Reply:
    return Reply(
        text=data["text"],
        buttons=tuple(tuple(Button(**b) for b in row) for row in data.get("buttons", ())),
        citations=tuple(Citation(**c) for c in data.get("citations", ())),
        attachments=tuple(
            Attachment(**{**a, "data": base64.b64decode(a["data"]) if a.get("data") else None})
            for a in data.get("attachments", ())
        ),
        found=data.get("found"),
        meta=dict(data.get("meta", {})),
    )


def receive(
    session: Session,
    *,
    channel: str,
    update_key: str,
    chat_id: str,
    payload: Json,
    now: datetime,
) -> bool:
    """Store an update once; False for a redelivery of one already stored."""
    statement = (
        _insert(session, InboxUpdate)
        .values(
            channel=channel,
            update_key=update_key,
            chat_id=chat_id,
            payload=payload,
            received_at=now,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["channel", "update_key"])
        .returning(InboxUpdate.id)
    )
    return session.execute(statement).first() is not None


def claim_inbox(
    session: Session, *, now: datetime, limit: int = 100, lease: timedelta = LEASE
) -> list[InboxUpdate]:
    """The oldest unprocessed update of each chat, leased like outbox rows."""
    earlier = aliased(InboxUpdate)
    first_of_chat = (
        select(func.min(earlier.id))
        .where(
            earlier.channel == InboxUpdate.channel,
            earlier.chat_id == InboxUpdate.chat_id,
            earlier.processed_at.is_(None),
        )
        .scalar_subquery()
    )
    query = (
        select(InboxUpdate)
        .where(
            InboxUpdate.processed_at.is_(None),
            InboxUpdate.id == first_of_chat,
            (InboxUpdate.lease_until.is_(None)) | (InboxUpdate.lease_until <= now),
        )
        .order_by(InboxUpdate.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=InboxUpdate)
    rows = list(session.scalars(query))
    for row in rows:
        row.attempts += 1
        row.lease_until = now + lease
    return rows


def mark_received_done(session: Session, inbox_id: int, *, now: datetime) -> None:
    session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.id == inbox_id)
        .values(processed_at=now, lease_until=None)
    )


def release_inbox(session: Session, inbox_id: int, *, retry_at: datetime) -> None:
    """Give a failed update back for another try at `retry_at`."""
    session.execute(
        update(InboxUpdate).where(InboxUpdate.id == inbox_id).values(lease_until=retry_at)
    )


def record_interaction(session: Session, *, channel: str, external_id: str, at: datetime) -> int:
    """The person's last interaction on a linked identity; only ever moves forward.

    Zalo OA lets us message a person only within 7 days of it; a late, redelivered or
    out-of-order event never moves it back. Returns how many identities were updated (0 for an
    account not linked to a person).
    """
    result = session.execute(
        update(ChannelIdentity)
        .where(
            ChannelIdentity.channel == channel,
            ChannelIdentity.external_id == external_id,
            (ChannelIdentity.last_interaction_at.is_(None))
            | (ChannelIdentity.last_interaction_at < at),
        )
        .values(last_interaction_at=at)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purge_dedupe(session: Session, *, before: datetime) -> tuple[int, int]:
    """Forget updates handled before `before`: (processed_updates, inbox rows) deleted.

    Only processed inbox rows go; one still waiting for its turn is kept however old it is.
    """
    seen = session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.received_at < before))
    done = session.execute(
        delete(InboxUpdate).where(
            InboxUpdate.processed_at.is_not(None), InboxUpdate.processed_at < before
        )
    )
    return int(getattr(seen, "rowcount", 0) or 0), int(getattr(done, "rowcount", 0) or 0)
