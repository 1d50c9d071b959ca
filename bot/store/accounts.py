"""The person behind a chat account, read once per message with their roles, in one query.

Every message starts here, so it is kept to one round trip: the person, their roles (joined, not
a second SELECT) and when the account was last marked as seen. The mark is what reminders use
to prefer accounts still in use; rewriting it on every message would add a write per message
for a value that only matters to the hour, so it is refreshed when older than `TOUCH_EVERY`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, contains_eager

from bot.store.models import ChannelIdentity, Person, PersonRole

TOUCH_EVERY = timedelta(minutes=10)

# Built once: constructing a statement costs more than running it on SQLite (see bench/flows.py).
_PERSON = (
    select(Person, ChannelIdentity.last_interaction_at)
    .join(ChannelIdentity, ChannelIdentity.person_id == Person.id)
    .outerjoin(PersonRole, PersonRole.person_id == Person.id)
    .options(contains_eager(Person.roles))
    .where(
        ChannelIdentity.channel == bindparam("channel"),
        ChannelIdentity.external_id == bindparam("external_id"),
    )
)
_TOUCH = (
    update(ChannelIdentity)
    .where(
        ChannelIdentity.channel == bindparam("key_channel"),
        ChannelIdentity.external_id == bindparam("key_external_id"),
    )
    .values(last_interaction_at=bindparam("at", type_=ChannelIdentity.last_interaction_at.type))
    .execution_options(synchronize_session=False)
)


def person_and_touch(
    session: Session, channel: str, external_id: str, now: datetime
) -> Person | None:
    """The linked person (roles loaded), marking the account as seen if the mark is stale."""
    key = {"channel": channel, "external_id": external_id}
    # One row per role: unique() folds them into one person with the whole roles collection.
    rows = session.execute(_PERSON, key).unique().all()
    if not rows:
        return None
    person, seen = rows[0]
    if seen is None or now - seen >= TOUCH_EVERY:
        touch = {"key_channel": channel, "key_external_id": external_id}
        session.execute(_TOUCH, {**touch, "at": now.astimezone(UTC)})
    return person
