"""The chats that refused our messages (blocked the bot, not a follower, outside Zalo's window):
the office sees them, and their queued messages fail at once rather than retry for a day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint, bindparam, delete, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store import queues
from bot.store.dialects import insert_for, prebuilt
from bot.store.models import Base, UTCDateTime
from bot.store.outbox import OPEN, OutboxMessage


class UnreachableChat(Base):
    """A chat that refused our messages (blocked the bot, not a follower); the office sees it."""

    __tablename__ = "unreachable_chats"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(128))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(255), default="")


_U: Any = UnreachableChat.__table__
_T: Any = OutboxMessage.__table__
_AT = queues.AT


def _unreachable_statement(dialect: str) -> Any:
    return (
        insert_for(dialect)(_U)
        .values(
            channel=bindparam("channel"),
            chat_id=bindparam("chat_id"),
            since=bindparam("since", type_=_AT),
            reason=bindparam("reason"),
        )
        .on_conflict_do_nothing(index_elements=["channel", "chat_id"])
    )


_BLOCK_CHAT = (
    update(_T)
    .where(
        _T.c.channel == bindparam("key_channel"),
        _T.c.chat_id == bindparam("key_chat_id"),
        _T.c.status.in_(OPEN),
    )
    .values(status="blocked", lease_until=None, last_error=bindparam("error"))
)
_REACHABLE = delete(_U).where(
    _U.c.channel == bindparam("key_channel"), _U.c.chat_id == bindparam("key_chat_id")
)


def mark_unreachable(
    session: Session, *, channel: str, chat_id: str, reason: str, now: datetime
) -> None:
    """Record the chat and fail its queued messages: retrying a blocked chat only costs quota."""
    chat = {"channel": channel, "chat_id": chat_id}
    statement = prebuilt(session, "unreachable_chat", _unreachable_statement)
    session.execute(statement, {**chat, "since": now, "reason": reason[:255]})
    key = {"key_channel": channel, "key_chat_id": chat_id}
    session.execute(_BLOCK_CHAT, {**key, "error": reason[:500]})


def mark_reachable(session: Session, *, channel: str, chat_id: str) -> None:
    """Forget that the chat refused us: it has just written, so it was unblocked (or the
    Zalo OA window reopened) and reminders may use it again."""
    session.execute(_REACHABLE, {"key_channel": channel, "key_chat_id": chat_id})
