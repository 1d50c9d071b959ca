"""When a person last wrote to us on a channel: Zalo OA may message a person only within
7 days of it (a free reply within 48 hours), so the reminders' routing reads it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.store.models import ChannelIdentity


def record_interaction(session: Session, *, channel: str, external_id: str, at: datetime) -> int:
    """The person's last interaction on a linked identity; only ever moves forward.

    A late, redelivered or out-of-order event never moves it back. Returns how many
    identities were updated (0 for an account not linked to a person).
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
