"""Conversation rows (where a person is in a form, in one chat) and the optimistic-locking
`Conflict`.

A conversation belongs to a chat and a person (the platform's account id): in a group chat each
person fills their own form, and in a private chat the two ids are the same. It is read at the
start of a message and written back at its end with a conditional UPDATE on its version: two
workers handling two messages of one person at once cannot both win, and the loser's
transaction (step writes included) rolls back whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from bot.store.dialects import insert_for, prebuilt
from bot.store.models import Conversation

_T = cast(Table, Conversation.__table__)
# Built once, run on every message with parameters: Core, no ORM identity map needed.
_LOAD = select(_T.c.person_id, _T.c.flow, _T.c.step, _T.c.draft, _T.c.version).where(
    _T.c.channel == bindparam("channel"),
    _T.c.chat_id == bindparam("chat_id"),
    _T.c.user_id == bindparam("user_id"),
)


def _new_values() -> dict[str, Any]:
    """What a save writes, as `new_*` parameters (the first save and every later one)."""
    return {
        "person_id": bindparam("new_person_id"),
        "flow": bindparam("new_flow"),
        "step": bindparam("new_step"),
        "draft": bindparam("new_draft", type_=_T.c.draft.type),
        "version": bindparam("new_version"),
        "updated_at": bindparam("new_updated_at", type_=_T.c.updated_at.type),
    }


_SAVE = (
    update(_T)
    .where(
        _T.c.channel == bindparam("key_channel"),
        _T.c.chat_id == bindparam("key_chat_id"),
        _T.c.user_id == bindparam("key_user_id"),
        _T.c.version == bindparam("expected"),
    )
    .values(**_new_values())
)


def _first_save(dialect: str) -> Any:
    """A person's first row in a chat; nothing (no RETURNING row) if another worker wrote it
    first."""
    insert = insert_for(dialect)
    key: dict[str, Any] = {name: bindparam(name) for name in ("channel", "chat_id", "user_id")}
    return (
        insert(_T)
        .values(**key, **_new_values())
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(_T.c.id)
    )


Draft = dict[str, Any]


class Conflict(Exception):
    """Someone saved the same record since this draft was loaded."""

    def __init__(self, version: int, by: str, at: datetime | None) -> None:
        super().__init__(f"version {version}")
        self.version = version
        self.by = by
        self.at = at


@dataclass
class ConversationState:
    """A conversation row's content, detached from the session; `version` is what was read."""

    channel: str
    chat_id: str
    user_id: str
    person_id: int | None = None
    flow: str = ""
    step: str = ""
    draft: Draft | None = None
    version: int = 0
    exists: bool = False
    loaded: bytes = b""  # fingerprint of what was read, to skip rewriting an unchanged row

    @property
    def data(self) -> Draft:
        if self.draft is None:
            self.draft = {}
        return self.draft


def from_row(channel: str, chat_id: str, user_id: str, row: Any | None) -> ConversationState:
    """The state from a row with the columns of `_LOAD` (None: the person has no row in this
    chat yet)."""
    if row is None:
        return ConversationState(channel, chat_id, user_id)
    state = ConversationState(
        channel,
        chat_id,
        user_id,
        row.person_id,
        row.flow,
        row.step,
        dict(row.draft or {}),
        row.version,
        exists=True,
    )
    state.loaded = _fingerprint(state)
    return state


_FINGERPRINT = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def _fingerprint(state: ConversationState) -> bytes:
    """What was read, as text: nested lists in the draft may be changed in place."""
    content = [state.person_id, state.flow, state.step, state.draft or {}]
    return orjson.dumps(content, option=_FINGERPRINT, default=str)


def _key(state: ConversationState) -> dict[str, str]:
    return {"channel": state.channel, "chat_id": state.chat_id, "user_id": state.user_id}


def save_conversation(session: Session, state: ConversationState, now: datetime) -> None:
    """Write the state back if nobody else wrote it since it was read; else raise Conflict.

    An unchanged state (a question answered outside any form) is not rewritten: one write less
    per message, and nothing another worker wrote meanwhile can be lost by skipping it.
    """
    fingerprint = _fingerprint(state)
    if state.exists and state.loaded == fingerprint:
        return
    values = {
        "new_person_id": state.person_id,
        "new_flow": state.flow,
        "new_step": state.step,
        "new_draft": state.data,
        "new_version": state.version + 1,
        "new_updated_at": now.astimezone(UTC),
    }
    if not state.exists:
        # ON CONFLICT DO NOTHING: two first messages of one person cannot both insert.
        first = {**values, **_key(state)}
        if (
            session.execute(prebuilt(session, "conversation_first", _first_save), first).first()
            is None
        ):
            raise Conflict(1, "", None)
    else:
        key = {f"key_{name}": value for name, value in _key(state).items()}
        result = session.execute(_SAVE, {**values, **key, "expected": state.version})
        if getattr(result, "rowcount", 0) != 1:
            raise Conflict(state.version + 1, "", None)
    state.version += 1
    state.exists = True
    state.loaded = fingerprint
