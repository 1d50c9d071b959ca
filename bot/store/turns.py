"""What every message reads first, in one round trip: who wrote, and where they stand in
this chat.

The caller (person, unit, role names) and their conversation row in the chat come back as one
row of one Core query. Either side may be missing (an unlinked account, no conversation yet);
the query still returns its row.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, bindparam, func, literal_column, select
from sqlalchemy.orm import Session

from bot.store.accounts import Caller, touch_if_stale
from bot.store.conversations import ConversationState, from_row
from bot.store.models import ChannelIdentity, Conversation, Person, PersonRole

_T = cast(Table, Conversation.__table__)
_ONE = select(literal_column("1").label("one")).subquery("one")
_ROLES = (
    # Role names are the identifiers of bot.store.roles.Role (no commas). The separator is SQL
    # text, not a bound value: a literal parameter is rendered into the statement on every run.
    select(func.aggregate_strings(PersonRole.role, literal_column("','")))  # type: ignore[arg-type]
    .where(PersonRole.person_id == ChannelIdentity.person_id)
    .scalar_subquery()
)
_TURN = select(
    ChannelIdentity.person_id.label("caller_id"),
    Person.unit_id.label("caller_unit_id"),
    _ROLES.label("caller_roles"),
    ChannelIdentity.last_interaction_at,
    _T.c.person_id,
    _T.c.flow,
    _T.c.step,
    _T.c.draft,
    _T.c.version,
).select_from(
    _ONE.outerjoin(
        ChannelIdentity,
        and_(
            ChannelIdentity.channel == bindparam("channel"),
            ChannelIdentity.external_id == bindparam("user_id"),
        ),
    )
    .outerjoin(Person, Person.id == ChannelIdentity.person_id)
    .outerjoin(
        _T,
        and_(
            _T.c.channel == bindparam("channel"),
            _T.c.chat_id == bindparam("chat_id"),
            _T.c.user_id == bindparam("user_id"),
        ),
    )
)


def open_turn(
    session: Session, channel: str, user_id: str, chat_id: str, now: datetime
) -> tuple[Caller | None, ConversationState]:
    """The caller (None when the account is not linked) and their conversation in the chat.

    Marks the account as seen when its mark is stale (see `accounts.TOUCH_EVERY`). Runs on the
    session's connection: nothing is pending in the session at the start of a message.
    """
    params = {"channel": channel, "user_id": user_id, "chat_id": chat_id}
    row = session.execute(_TURN, params).one()
    state = from_row(channel, chat_id, user_id, row if row.version is not None else None)
    if row.caller_id is None:
        return None, state
    touch_if_stale(session, channel, user_id, row.last_interaction_at, now)
    roles = frozenset(row.caller_roles.split(",")) if row.caller_roles else frozenset()
    return Caller(row.caller_id, row.caller_unit_id, roles), state
