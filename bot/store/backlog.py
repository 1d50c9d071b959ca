"""What the outbox holds back, read at each metrics scrape: one indexed query, no rows loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.outbox import OPEN, OutboxMessage


@dataclass(frozen=True)
class Backlog:
    """`depth`: messages not yet delivered, failed or expired (due or not); `oldest_due_s`:
    how long the oldest of them that is due has waited past its due time (0 when none is due).
    A reminder queued for 7:00 is not late at 6:00: age counts from when it was due."""

    depth: int
    oldest_due_s: float


def outbox_backlog(session: Session, now: datetime) -> Backlog:
    open_rows = OutboxMessage.status.in_(OPEN)
    due = func.min(OutboxMessage.not_before).filter(OutboxMessage.not_before <= now)
    depth, oldest = session.execute(select(func.count(), due).where(open_rows)).one()
    waited = (now - oldest).total_seconds() if oldest is not None else 0.0
    return Backlog(int(depth), max(waited, 0.0))
