"""Wrong invite codes, per chat and per chat account: what the invite throttle counts.

Only failures within the throttle's window matter, so a chat's or an account's rows older than
that are deleted whenever it fails again, and all of them when it links.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Index, String, delete, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store.models import Base, UTCDateTime


class LinkAttempt(Base):
    """One wrong, expired or spent invite code, from `user_id` in `chat_id`."""

    __tablename__ = "link_attempts"
    __table_args__ = (
        Index("ix_link_attempts_chat", "channel", "chat_id", "at"),
        Index("ix_link_attempts_user", "channel", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


def blocked_until(
    session: Session,
    *,
    channel: str,
    chat_id: str,
    user_id: str,
    now: datetime,
    failures: int,
    window: timedelta,
) -> datetime | None:
    """When the chat and the account may both try again, if either already failed `failures`
    times within `window` before `now`: the moment its oldest counted failure leaves the
    window. None when neither is over the limit."""
    latest: datetime | None = None
    for column, key in ((LinkAttempt.chat_id, chat_id), (LinkAttempt.user_id, user_id)):
        recent = session.scalars(
            select(LinkAttempt.at)
            .where(LinkAttempt.channel == channel, column == key, LinkAttempt.at > now - window)
            .order_by(LinkAttempt.at.desc())
            .limit(failures)
        ).all()
        if len(recent) >= failures:
            until = recent[-1] + window
            latest = until if latest is None else max(latest, until)
    return latest


def record_failure(
    session: Session,
    *,
    channel: str,
    chat_id: str,
    user_id: str,
    now: datetime,
    window: timedelta,
) -> None:
    """One more failure; the chat's and the account's failures past the window are dropped."""
    session.execute(
        delete(LinkAttempt).where(
            LinkAttempt.channel == channel,
            or_(LinkAttempt.chat_id == chat_id, LinkAttempt.user_id == user_id),
            LinkAttempt.at <= now - window,
        )
    )
    session.add(LinkAttempt(channel=channel, chat_id=chat_id, user_id=user_id, at=now))
    session.flush()


def forget(session: Session, *, channel: str, chat_id: str, user_id: str) -> None:
    """The account linked: its earlier failures, and its chat's, count no more."""
    session.execute(
        delete(LinkAttempt).where(
            LinkAttempt.channel == channel,
            or_(LinkAttempt.chat_id == chat_id, LinkAttempt.user_id == user_id),
        )
    )
