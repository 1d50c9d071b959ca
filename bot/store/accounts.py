"""Who wrote: the person behind a chat account as the access rules need them, and its seen mark.

Read on every message (see `bot.store.turns`) as plain values, no ORM object: a flow that needs
the `Person` itself loads it then. The mark is what reminders use to prefer accounts still in
use; rewriting it on every message would add a write per message for a value that only matters
to the hour, so it is refreshed when older than `TOUCH_EVERY`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from bot.store.models import ChannelIdentity

TOUCH_EVERY = timedelta(minutes=10)


@dataclass(frozen=True)
class Caller:
    """A linked person as the access rules need them: id, unit and stored role names."""

    person_id: int
    unit_id: int | None
    roles: frozenset[str]


_TOUCH = (
    update(ChannelIdentity)
    .where(
        ChannelIdentity.channel == bindparam("key_channel"),
        ChannelIdentity.external_id == bindparam("key_external_id"),
    )
    .values(last_interaction_at=bindparam("at", type_=ChannelIdentity.last_interaction_at.type))
)


def touch_if_stale(
    session: Session, channel: str, external_id: str, seen: datetime | None, now: datetime
) -> None:
    """Mark the account as seen at `now` if its mark (`seen`, as read) is older than TOUCH_EVERY."""
    if seen is None or now - seen >= TOUCH_EVERY:
        key = {"key_channel": channel, "key_external_id": external_id}
        session.execute(_TOUCH, {**key, "at": now.astimezone(UTC)})
